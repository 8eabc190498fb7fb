//go:build linux && !wayland

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static Window studioProbeWindow(Display *d, int x, int y, int w, int h) {
	Window win = XCreateSimpleWindow(d, DefaultRootWindow(d), x, y, w, h, 0, 0, WhitePixel(d, DefaultScreen(d)));
	XMapWindow(d, win);
	XSync(d, False);
	return win;
}

static long studioProbePixel(Display *d, int x, int y) {
	XImage *img = XGetImage(d, DefaultRootWindow(d), x, y, 1, 1, AllPlanes, ZPixmap);
	if (img == NULL) {
		return -1;
	}
	long p = (long)(XGetPixel(img, 0, 0) & 0xffffff);
	XDestroyImage(img);
	return p;
}

// studioProbeChildren returns how many children of w are viewable.
static int studioProbeViewable(Display *d, Window w) {
	Window root, parent, *kids = NULL;
	unsigned int n = 0;
	int viewable = 0;
	if (!XQueryTree(d, w, &root, &parent, &kids, &n)) {
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		XWindowAttributes a;
		if (XGetWindowAttributes(d, kids[i], &a) && a.map_state == IsViewable) {
			viewable++;
		}
	}
	if (kids != NULL) {
		XFree(kids);
	}
	return viewable;
}
*/
import "C"

import (
	"errors"
	"image"
	"image/color"
)

// x11Probe is a test's own X client: it makes a top-level window to
// attach a nativePreview to, and reads back what the screen shows. It is
// not safe for concurrent use.
type x11Probe struct {
	dpy *C.Display
	win C.Window
}

// openX11Probe connects to $DISPLAY and maps a white top-level window at
// r (on a server with no window manager, r on the screen).
func openX11Probe(r image.Rectangle) (*x11Probe, error) {
	dpy := C.XOpenDisplay(nil)
	if dpy == nil {
		return nil, errors.New("cannot open the X display")
	}
	win := C.studioProbeWindow(dpy, C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Dx()), C.int(r.Dy()))
	return &x11Probe{dpy: dpy, win: win}, nil
}

// handle is the top-level window's id.
func (x *x11Probe) handle() uintptr { return uintptr(x.win) }

// at returns the colour the screen shows at (x, y).
func (x *x11Probe) at(px, py int) (color.RGBA, error) {
	var v C.long
	err := xTrap(x.dpy, func() { v = C.studioProbePixel(x.dpy, C.int(px), C.int(py)) })
	if err == nil && v < 0 {
		err = errors.New("XGetImage failed")
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}, err
}

// viewableChildren returns how many children of the window are viewable.
func (x *x11Probe) viewableChildren() int {
	var n C.int
	_ = xTrap(x.dpy, func() { n = C.studioProbeViewable(x.dpy, x.win) })
	return int(n)
}

func (x *x11Probe) close() {
	_ = xTrap(x.dpy, func() { C.XDestroyWindow(x.dpy, x.win) })
	C.XCloseDisplay(x.dpy)
}
