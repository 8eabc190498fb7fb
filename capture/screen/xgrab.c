// Grabbing the root window through Xlib, with MIT-SHM when the server
// offers it (XShmGetImage into one shared segment) and XGetImage otherwise.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>

#include "convert.h"
#include "xgrab.h"

struct xgrab {
	Display *dpy;
	Window root;
	int use_shm;
	XShmSegmentInfo shm; // shmid -1 and shmaddr NULL when not attached
	XImage *img;         // the shared image; NULL without MIT-SHM
	int sw, sh;          // the root window's size the image and plan were made for
	int dw, dh;          // the output size
	int ro, go, bo;      // byte offsets of red, green and blue in a pixel
	plan p;

	// Set by the handlers below, from inside Xlib calls on this display.
	int lost;
	int x_error;
	struct xgrab *next; // in the registry of open grabbers
};

// The X error handler is process-wide. Ours answers for the displays
// registered here and hands the others to the handler it replaced, so
// that other Xlib users in the process (the window toolkit) keep theirs.
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static xgrab *reg_head;
static XErrorHandler prev_handler;
static XIOErrorHandler prev_io_handler;
static int handler_installed;

static xgrab *reg_find(Display *dpy) {
	for (xgrab *g = reg_head; g != NULL; g = g->next) {
		if (g->dpy == dpy)
			return g;
	}
	return NULL;
}

static int on_x_error(Display *dpy, XErrorEvent *ev) {
	pthread_mutex_lock(&reg_mu);
	xgrab *g = reg_find(dpy);
	if (g != NULL) {
		g->x_error = ev->error_code;
		pthread_mutex_unlock(&reg_mu);
		return 0;
	}
	XErrorHandler prev = prev_handler;
	pthread_mutex_unlock(&reg_mu);
	return prev != NULL ? prev(dpy, ev) : 0;
}

// on_io_error is the process-wide I/O error handler. Xlib's default
// prints a line and calls exit(); for our displays this one marks the
// grabber lost and returns, and Xlib then calls the display's exit handler
// (on_io_exit), which returns too. Other displays get the handler it
// replaced.
static int on_io_error(Display *dpy) {
	pthread_mutex_lock(&reg_mu);
	xgrab *g = reg_find(dpy);
	if (g != NULL) {
		g->lost = 1;
		pthread_mutex_unlock(&reg_mu);
		return 0;
	}
	XIOErrorHandler prev = prev_io_handler;
	pthread_mutex_unlock(&reg_mu);
	return prev != NULL ? prev(dpy) : 0;
}

static void reg_add(xgrab *g) {
	pthread_mutex_lock(&reg_mu);
	if (!handler_installed) {
		prev_handler = XSetErrorHandler(on_x_error);
		prev_io_handler = XSetIOErrorHandler(on_io_error);
		handler_installed = 1;
	}
	g->next = reg_head;
	reg_head = g;
	pthread_mutex_unlock(&reg_mu);
}

static void reg_remove(xgrab *g) {
	pthread_mutex_lock(&reg_mu);
	for (xgrab **pp = &reg_head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_mu);
}

// on_io_exit replaces the display's exit handler, which calls exit():
// after it returns, Xlib treats the display as dead (later calls on it
// return at once) instead of ending the process.
static void on_io_exit(Display *dpy, void *data) {
	(void)dpy;
	if (data != NULL)
		((xgrab *)data)->lost = 1;
}

// byte_offset returns where the 8 bits of mask sit in a 32-bit pixel
// stored in byte order order, or -1 when mask is not one whole byte.
static int byte_offset(unsigned long mask, int order) {
	for (int i = 0; i < 4; i++) {
		if (mask == 0xffUL << (8 * i))
			return order == LSBFirst ? i : 3 - i;
	}
	return -1;
}

static void free_image(xgrab *g) {
	if (g->img != NULL) {
		if (g->shm.shmaddr != NULL && !g->lost) {
			XShmDetach(g->dpy, &g->shm);
			XSync(g->dpy, False);
		}
		g->img->data = NULL; // the segment is not malloc'd: shmdt frees it
		XDestroyImage(g->img);
		g->img = NULL;
	}
	if (g->shm.shmaddr != NULL) {
		shmdt(g->shm.shmaddr);
		g->shm.shmaddr = NULL;
	}
	if (g->shm.shmid >= 0) {
		shmctl(g->shm.shmid, IPC_RMID, NULL);
		g->shm.shmid = -1;
	}
}

// setup (re)creates the image and the plan for a root window of w x h.
static int setup(xgrab *g, int w, int h) {
	free_image(g);
	plan_free(&g->p);
	int scr = DefaultScreen(g->dpy);
	Visual *vis = DefaultVisual(g->dpy, scr);
	int depth = DefaultDepth(g->dpy, scr);
	if (g->use_shm) {
		g->img = XShmCreateImage(g->dpy, vis, (unsigned)depth, ZPixmap, NULL, &g->shm, (unsigned)w, (unsigned)h);
		if (g->img == NULL)
			return XGRAB_NO_MEMORY;
		if (g->img->bits_per_pixel != 32)
			return XGRAB_FORMAT;
		g->shm.shmid = shmget(IPC_PRIVATE, (size_t)g->img->bytes_per_line * (size_t)h, IPC_CREAT | 0600);
		if (g->shm.shmid < 0)
			return XGRAB_NO_MEMORY;
		void *addr = shmat(g->shm.shmid, NULL, 0);
		if (addr == (void *)-1)
			return XGRAB_NO_MEMORY;
		g->shm.shmaddr = g->img->data = addr;
		g->shm.readOnly = False;
		g->x_error = 0;
		XShmAttach(g->dpy, &g->shm);
		XSync(g->dpy, False);
		if (g->lost)
			return XGRAB_LOST;
		if (g->x_error != 0) {
			// A server on another machine cannot attach our memory:
			// fall back to XGetImage.
			g->shm.shmaddr = NULL; // not attached: only shmdt below
			shmdt(addr);
			g->img->data = NULL;
			XDestroyImage(g->img);
			g->img = NULL;
			shmctl(g->shm.shmid, IPC_RMID, NULL);
			g->shm.shmid = -1;
			g->use_shm = 0;
			g->x_error = 0;
		} else {
			// The server has attached it: mark it for removal now, so
			// that it goes away with the last detach even if this
			// process dies.
			shmctl(g->shm.shmid, IPC_RMID, NULL);
			g->shm.shmid = -1;
		}
	}
	if (g->use_shm) {
		g->ro = byte_offset(g->img->red_mask, g->img->byte_order);
		g->go = byte_offset(g->img->green_mask, g->img->byte_order);
		g->bo = byte_offset(g->img->blue_mask, g->img->byte_order);
	} else {
		// Learn the format from a one-pixel image, as XGetImage gives it.
		XImage *probe = XGetImage(g->dpy, g->root, 0, 0, 1, 1, AllPlanes, ZPixmap);
		if (probe == NULL)
			return g->lost ? XGRAB_LOST : XGRAB_X_ERROR;
		int bpp = probe->bits_per_pixel;
		g->ro = byte_offset(probe->red_mask, probe->byte_order);
		g->go = byte_offset(probe->green_mask, probe->byte_order);
		g->bo = byte_offset(probe->blue_mask, probe->byte_order);
		XDestroyImage(probe);
		if (bpp != 32)
			return XGRAB_FORMAT;
	}
	if (g->ro < 0 || g->go < 0 || g->bo < 0)
		return XGRAB_FORMAT;
	switch (plan_init(&g->p, w, h, g->dw, g->dh)) {
	case 0:
		break;
	case -2:
		return XGRAB_TOO_SMALL;
	default:
		return XGRAB_NO_MEMORY;
	}
	g->sw = w;
	g->sh = h;
	return XGRAB_OK;
}

static int root_size(xgrab *g, int *w, int *h) {
	Window root;
	int x, y;
	unsigned int uw, uh, border, depth;
	if (!XGetGeometry(g->dpy, g->root, &root, &x, &y, &uw, &uh, &border, &depth))
		return g->lost ? XGRAB_LOST : XGRAB_X_ERROR;
	if (g->lost)
		return XGRAB_LOST;
	*w = (int)uw;
	*h = (int)uh;
	return XGRAB_OK;
}

int xgrab_open(const char *display_name, int dw, int dh, int use_shm, xgrab **out) {
	*out = NULL;
	xgrab *g = calloc(1, sizeof *g);
	if (g == NULL)
		return XGRAB_NO_MEMORY;
	g->shm.shmid = -1;
	g->dw = dw;
	g->dh = dh;
	g->dpy = XOpenDisplay(display_name);
	if (g->dpy == NULL) {
		free(g);
		return XGRAB_NO_DISPLAY;
	}
	XSetIOErrorExitHandler(g->dpy, on_io_exit, g);
	reg_add(g);
	g->root = DefaultRootWindow(g->dpy);
	g->use_shm = use_shm && XShmQueryExtension(g->dpy);
	int w, h;
	int rc = root_size(g, &w, &h);
	if (rc == XGRAB_OK)
		rc = setup(g, w, h);
	if (rc != XGRAB_OK) {
		xgrab_close(g);
		return rc;
	}
	*out = g;
	return XGRAB_OK;
}

// fetch brings the root window's pixels into memory and returns them with
// their stride, or NULL. *tmp is set to an image the caller destroys.
static const uint8_t *fetch(xgrab *g, int *stride, XImage **tmp) {
	*tmp = NULL;
	g->x_error = 0;
	if (g->use_shm) {
		if (!XShmGetImage(g->dpy, g->root, g->img, 0, 0, AllPlanes) || g->x_error != 0 || g->lost)
			return NULL;
		*stride = g->img->bytes_per_line;
		return (const uint8_t *)g->img->data;
	}
	XImage *im = XGetImage(g->dpy, g->root, 0, 0, (unsigned)g->sw, (unsigned)g->sh, AllPlanes, ZPixmap);
	if (im == NULL || g->lost || g->x_error != 0) {
		if (im != NULL)
			XDestroyImage(im);
		return NULL;
	}
	*tmp = im;
	*stride = im->bytes_per_line;
	return (const uint8_t *)im->data;
}

int xgrab_grab(xgrab *g, uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride, int *resized) {
	*resized = 0;
	if (g->lost)
		return XGRAB_LOST;
	int stride;
	XImage *tmp;
	const uint8_t *px = fetch(g, &stride, &tmp);
	if (px == NULL && !g->lost) {
		// The root window may have shrunk under the image: look again.
		int rc = xgrab_check_size(g, resized);
		if (rc != XGRAB_OK)
			return rc;
		if (*resized)
			px = fetch(g, &stride, &tmp);
	}
	if (px == NULL)
		return g->lost ? XGRAB_LOST : XGRAB_X_ERROR;
	plan_convert(&g->p, px, stride, g->ro, g->go, g->bo, y, ystride, cb, cr, cstride);
	if (tmp != NULL)
		XDestroyImage(tmp);
	return XGRAB_OK;
}

int xgrab_check_size(xgrab *g, int *changed) {
	*changed = 0;
	if (g->lost)
		return XGRAB_LOST;
	int w, h;
	int rc = root_size(g, &w, &h);
	if (rc != XGRAB_OK || (w == g->sw && h == g->sh))
		return rc;
	*changed = 1;
	return setup(g, w, h);
}

void xgrab_info(xgrab *g, const char **name, int *w, int *h, int *shm, int *x_error) {
	*name = DisplayString(g->dpy);
	*w = g->sw;
	*h = g->sh;
	*shm = g->use_shm;
	*x_error = g->x_error;
}

void xgrab_close(xgrab *g) {
	if (g == NULL)
		return;
	free_image(g);
	plan_free(&g->p);
	// XCloseDisplay is safe on a broken connection: Xlib skips the
	// requests and frees its memory.
	XCloseDisplay(g->dpy);
	reg_remove(g);
	free(g);
}

int xgrab_describe(const char *display_name, char *name, int name_len, int *w, int *h) {
	xgrab g;
	memset(&g, 0, sizeof g);
	g.shm.shmid = -1;
	g.dpy = XOpenDisplay(display_name);
	if (g.dpy == NULL)
		return XGRAB_NO_DISPLAY;
	XSetIOErrorExitHandler(g.dpy, on_io_exit, &g);
	reg_add(&g);
	g.root = DefaultRootWindow(g.dpy);
	int rc = root_size(&g, w, h);
	snprintf(name, (size_t)name_len, "%s", DisplayString(g.dpy));
	XCloseDisplay(g.dpy);
	reg_remove(&g);
	return rc;
}
