// Painting the root window of a test X server.
#include <stdint.h>
#include <stdlib.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xrandr.h>

#include "paint.h"

int screentest_paint(const char *display, const uint8_t *rgb, int w, int h) {
	Display *dpy = XOpenDisplay(display);
	if (dpy == NULL)
		return 1;
	int scr = DefaultScreen(dpy);
	Window root = RootWindow(dpy, scr);
	Visual *vis = DefaultVisual(dpy, scr);
	int depth = DefaultDepth(dpy, scr);
	char *data = malloc((size_t)w * (size_t)h * 4);
	if (data == NULL) {
		XCloseDisplay(dpy);
		return 2;
	}
	XImage *img = XCreateImage(dpy, vis, (unsigned)depth, ZPixmap, 0, data, (unsigned)w, (unsigned)h, 32, 0);
	if (img == NULL) {
		free(data);
		XCloseDisplay(dpy);
		return 3;
	}
	// Whatever the visual's layout, XPutPixel puts each component where
	// it belongs (true colour with 8-bit components assumed).
	unsigned long rm = vis->red_mask, gm = vis->green_mask, bm = vis->blue_mask;
	int rs = __builtin_ctzl(rm), gs = __builtin_ctzl(gm), bs = __builtin_ctzl(bm);
	for (int y = 0; y < h; y++) {
		const uint8_t *s = rgb + (size_t)y * (size_t)w * 3;
		for (int x = 0; x < w; x++, s += 3) {
			unsigned long px = (((unsigned long)s[0] << rs) & rm) | (((unsigned long)s[1] << gs) & gm) |
				(((unsigned long)s[2] << bs) & bm);
			XPutPixel(img, x, y, px);
		}
	}
	Pixmap pix = XCreatePixmap(dpy, root, (unsigned)w, (unsigned)h, (unsigned)depth);
	GC gc = XCreateGC(dpy, pix, 0, NULL);
	XPutImage(dpy, pix, gc, img, 0, 0, 0, 0, (unsigned)w, (unsigned)h);
	// The window keeps the pixmap as its background after this client
	// has gone.
	XSetWindowBackgroundPixmap(dpy, root, pix);
	XClearWindow(dpy, root);
	XFreeGC(dpy, gc);
	XFreePixmap(dpy, pix);
	XDestroyImage(img); // frees data
	XSync(dpy, False);
	XCloseDisplay(dpy);
	return 0;
}

int screentest_resize(const char *display, int w, int h) {
	Display *dpy = XOpenDisplay(display);
	if (dpy == NULL)
		return 1;
	Window root = DefaultRootWindow(dpy);
	int eb, erb;
	if (!XRRQueryExtension(dpy, &eb, &erb)) {
		XCloseDisplay(dpy);
		return 2;
	}
	// The screen cannot be smaller than a CRTC showing it: switch them
	// off first (Xvfb has one, and nothing shows on it anyway).
	XRRScreenResources *res = XRRGetScreenResources(dpy, root);
	if (res != NULL) {
		for (int i = 0; i < res->ncrtc; i++)
			XRRSetCrtcConfig(dpy, res, res->crtcs[i], CurrentTime, 0, 0, None, RR_Rotate_0, NULL, 0);
		XRRFreeScreenResources(res);
	}
	// About 96 dpi.
	XRRSetScreenSize(dpy, root, w, h, w * 254 / 960, h * 254 / 960);
	XSync(dpy, False);
	XCloseDisplay(dpy);
	return 0;
}
