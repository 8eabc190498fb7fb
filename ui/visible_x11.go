//go:build linux && !wayland

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>

// studioMapState returns the window's map state (IsUnmapped, IsUnviewable
// or IsViewable), or -1 when it cannot be read; call it in xTrap.
static int studioMapState(Display *d, Window w) {
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, w, &a)) {
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
	var state C.int
	if err := xTrap(v.dpy, func() { state = C.studioMapState(v.dpy, C.Window(handle)) }); err != nil {
		return true // a window gone: nothing to save
	}
	return state != C.IsUnmapped
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
