//go:build linux && !wayland

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>

static int studioXError;

static int studioIgnoreXError(Display *d, XErrorEvent *e) {
	studioXError = e->error_code;
	return 0;
}

// studioMapState returns the window's map state (IsUnmapped, IsUnviewable
// or IsViewable), or -1 when it cannot be read (a window already gone).
// X errors are caught for the call, so that they never end the process.
static int studioMapState(Display *d, Window w) {
	XWindowAttributes a;
	int (*prev)(Display *, XErrorEvent *) = XSetErrorHandler(studioIgnoreXError);
	studioXError = 0;
	Status ok = XGetWindowAttributes(d, w, &a);
	XSync(d, False);
	XSetErrorHandler(prev);
	if (!ok || studioXError != 0) {
		return -1;
	}
	return a.map_state;
}
*/
import "C"

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// x11Visibility reads whether a window is viewable on its X server: an
// iconified (minimised) or hidden window is unmapped; so is one on
// another virtual desktop with most window managers. It uses a connection
// of its own.
type x11Visibility struct {
	win  fyne.Window
	mu   sync.Mutex
	dpy  *C.Display
	fail bool // the display could not be opened: always visible
}

// windowVisibility returns a Config.Visible for w, and a function that
// releases what it holds, to call once the window has closed.
func windowVisibility(w fyne.Window) (visible func() bool, release func()) {
	v := &x11Visibility{win: w}
	return v.visible, v.close
}

// visible runs on the UI goroutine (RunNative needs it).
func (v *x11Visibility) visible() bool {
	nw, ok := v.win.(driver.NativeWindow)
	if !ok {
		return true
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			handle = x.WindowHandle
		}
	})
	if handle == 0 {
		return true
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dpy == nil && !v.fail {
		v.dpy = C.XOpenDisplay(nil)
		v.fail = v.dpy == nil
	}
	if v.fail {
		return true
	}
	return C.studioMapState(v.dpy, C.Window(handle)) != C.IsUnmapped
}

func (v *x11Visibility) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dpy != nil {
		C.XCloseDisplay(v.dpy)
		v.dpy = nil
	}
	v.fail = true
}
