//go:build linux && !wayland

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <string.h>

// studioPreviewCreate makes a child of parent, of parent's depth and
// visual, black, selecting no events (so that pointer and key events go
// on to parent), unmapped; 0 when parent's visual is not 24- or 32-bit
// TrueColor with 32 bits a pixel, red in 0xff0000 and blue in 0xff.
// Call it in xTrap.
static Window studioPreviewCreate(Display *d, Window parent, int *depth) {
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, parent, &a) || a.visual == NULL) {
		return 0;
	}
	Visual *v = a.visual;
	if (v->class != TrueColor || v->red_mask != 0xff0000 || v->green_mask != 0xff00 || v->blue_mask != 0xff) {
		return 0;
	}
	if (a.depth != 24 && a.depth != 32) {
		return 0;
	}
	int n = 0, bpp = 0;
	XPixmapFormatValues *f = XListPixmapFormats(d, &n);
	for (int i = 0; i < n; i++) {
		if (f[i].depth == a.depth) {
			bpp = f[i].bits_per_pixel;
		}
	}
	if (f != NULL) {
		XFree(f);
	}
	if (bpp != 32) {
		return 0;
	}
	*depth = a.depth;
	unsigned long black = a.depth == 32 ? 0xff000000UL : 0;
	return XCreateSimpleWindow(d, parent, 0, 0, 1, 1, 0, black, black);
}

// studioPreviewPut draws w×h pixels of 32-bit little-endian 0xAARRGGBB
// words, stride bytes a row, at (x, y) of win. data is read before it
// returns. Call it in xTrap.
static int studioPreviewPut(Display *d, Window win, GC gc, int depth, char *data, int w, int h, int stride, int x, int y) {
	XImage img;
	memset(&img, 0, sizeof img);
	img.width = w;
	img.height = h;
	img.format = ZPixmap;
	img.data = data;
	img.byte_order = LSBFirst;
	img.bitmap_unit = 32;
	img.bitmap_bit_order = LSBFirst;
	img.bitmap_pad = 32;
	img.depth = depth;
	img.bytes_per_line = stride;
	img.bits_per_pixel = 32;
	img.red_mask = 0xff0000;
	img.green_mask = 0xff00;
	img.blue_mask = 0xff;
	if (!XInitImage(&img)) {
		return 0;
	}
	XPutImage(d, win, gc, &img, 0, 0, x, y, w, h);
	return 1;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

var (
	// errXProtocol is an X protocol error caught by xTrap.
	errXProtocol = errors.New("x11: protocol error")
	// errNoNative says that frames cannot be drawn in a window of their
	// own: no X display, or a parent window of a kind not handled.
	errNoNative = errors.New("no native preview")
)

// x11Handle returns the X window of w, and whether w is an X11 window at
// all (a zero handle then means one not yet made). UI goroutine only.
func x11Handle(w fyne.Window) (handle uintptr, isX11 bool) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return 0, false
	}
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			handle, isX11 = x.WindowHandle, true
		}
	})
	return handle, isX11
}

// nativePreview draws preview frames into an X window of its own, a child
// of the studio's window, on an X connection of its own, so that showing
// a frame costs a conversion and one XPutImage instead of a redraw of the
// whole Fyne window. The child covers the preview's area (place sets it)
// and is mapped only while place allows it and a frame of that size has
// been drawn; elsewhere Fyne's own drawing shows through. X protocol
// errors (the parent destroyed under it) are caught and stop the drawing;
// they never end the process.
//
// draw may run on any goroutine, one call at a time; place and close on
// any goroutine. All methods are safe after close, and do nothing.
type nativePreview struct {
	drawMu sync.Mutex // serialises draw: conv and spare
	conv   rgbScaler
	spare  []byte // the buffer draw writes next

	mu     sync.Mutex // the X connection and what follows
	dpy    *C.Display
	win    C.Window
	gc     C.GC
	depth  C.int
	rect   image.Rectangle // child's area in parent pixels; empty before place
	want   bool            // place allows the child to be seen
	mapped bool
	frame  []byte          // the last frame drawn, for the area below
	at     image.Rectangle // where frame is drawn in the child; empty: none
	dead   bool            // closed, or an X error
}

// openNativePreview makes the (unmapped) child window of the X window
// parent, on a new connection to the default display.
func openNativePreview(parent uintptr) (*nativePreview, error) {
	dpy := C.XOpenDisplay(nil)
	if dpy == nil {
		return nil, fmt.Errorf("%w: cannot open the X display", errNoNative)
	}
	n := &nativePreview{dpy: dpy}
	err := xTrap(dpy, func() {
		n.win = C.studioPreviewCreate(dpy, C.Window(parent), &n.depth)
		if n.win != 0 {
			n.gc = C.XCreateGC(dpy, C.Drawable(n.win), 0, nil)
		}
	})
	if err == nil && n.win == 0 {
		err = fmt.Errorf("%w: the window's visual is not 24/32-bit TrueColor", errNoNative)
	}
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// draw converts img to the child's size, aspect kept, and puts it on
// screen if the child is mapped; it keeps it for place otherwise. It
// returns false, having done nothing, when no frame is wanted: place has
// not allowed the child, or the child has no area, or after close.
func (n *nativePreview) draw(img image.Image) bool {
	n.drawMu.Lock()
	defer n.drawMu.Unlock()
	n.mu.Lock()
	rect, ok := n.rect, n.want && !n.dead
	n.mu.Unlock()
	if !ok || rect.Empty() {
		return false
	}
	at := letterbox(rect.Size(), img.Bounds().Size())
	if at.Empty() {
		return false
	}
	size := at.Size()
	need := 4 * size.X * size.Y
	if cap(n.spare) < need {
		n.spare = make([]byte, need)
	}
	buf := n.spare[:need]
	n.conv.scaleBGRA(buf, 4*size.X, size, img)

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dead || n.rect != rect {
		return true // moved meanwhile: the next frame is drawn at the new size
	}
	n.spare, n.frame, n.at = n.frame, buf, at
	if n.mapped {
		n.putLocked()
	}
	return true
}

// putLocked draws the kept frame. n.mu held.
func (n *nativePreview) putLocked() {
	if n.at.Empty() {
		return
	}
	at := n.at
	n.do(func() {
		C.studioPreviewPut(n.dpy, n.win, n.gc, n.depth, (*C.char)(unsafe.Pointer(&n.frame[0])),
			C.int(at.Dx()), C.int(at.Dy()), C.int(4*at.Dx()), C.int(at.Min.X), C.int(at.Min.Y))
	})
}

// place moves the child over r (parent pixels) and says whether it may be
// seen. The child is mapped when allowed and a frame has been drawn at
// r's size, and unmapped otherwise; moving to a new size unmaps it until
// the next frame. X requests are made only for what changed.
func (n *nativePreview) place(r image.Rectangle, allow bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dead {
		return
	}
	n.want = allow
	if r != n.rect {
		if n.rect.Size() != r.Size() {
			n.at = image.Rectangle{} // the kept frame has the old size
		}
		n.rect = r
		if !r.Empty() {
			n.do(func() {
				C.XMoveResizeWindow(n.dpy, n.win, C.int(r.Min.X), C.int(r.Min.Y), C.uint(r.Dx()), C.uint(r.Dy()))
			})
		}
	}
	show := allow && !n.rect.Empty() && !n.at.Empty()
	switch {
	case show && !n.mapped && !n.dead:
		n.do(func() { C.XMapWindow(n.dpy, n.win) })
		n.mapped = !n.dead
		n.putLocked()
	case !show && n.mapped:
		n.do(func() { C.XUnmapWindow(n.dpy, n.win) })
		n.mapped = false
	}
}

// do runs fn's X calls in xTrap; an error stops all drawing. n.mu held.
func (n *nativePreview) do(fn func()) {
	if n.dead {
		return
	}
	if err := xTrap(n.dpy, fn); err != nil {
		n.dead = true
	}
}

// close destroys the child window (if the parent has not taken it with
// it already) and closes the connection.
func (n *nativePreview) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dpy == nil {
		return
	}
	n.dead = true
	_ = xTrap(n.dpy, func() {
		if n.gc != nil {
			C.XFreeGC(n.dpy, n.gc)
		}
		if n.win != 0 {
			C.XDestroyWindow(n.dpy, n.win)
		}
	})
	C.XCloseDisplay(n.dpy)
	n.dpy = nil
	n.mapped = false
}
