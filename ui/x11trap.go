//go:build linux && !wayland

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>

static int studioTrapCode;

static int studioTrapHandler(Display *d, XErrorEvent *e) {
	if (studioTrapCode == 0) {
		studioTrapCode = e->error_code;
	}
	return 0;
}

static XErrorHandler studioTrapBegin(void) {
	studioTrapCode = 0;
	return XSetErrorHandler(studioTrapHandler);
}

// studioTrapEnd waits until the server has handled every request sent on
// d, drops the events queued on it (the studio's own connections select
// none, but some are sent to every client), puts the previous handler
// back and returns the first error's code (0 for none).
static int studioTrapEnd(Display *d, XErrorHandler prev) {
	XEvent ev;
	XSync(d, False);
	while (XPending(d) > 0) {
		XNextEvent(d, &ev);
	}
	XSetErrorHandler(prev);
	return studioTrapCode;
}
*/
import "C"

import (
	"fmt"
	"sync"
)

// xTrapMu serialises xTrap: Xlib's error handler is one for the process.
var xTrapMu sync.Mutex

// xTrap runs fn, which makes Xlib calls on dpy, with X protocol errors
// caught instead of ending the process (Xlib's default), and returns the
// first error as an error. It waits until the server has handled fn's
// requests. The studio's own X connections make all their calls in
// xTrap; the handler is the process's for that time, so an error that
// another connection reads then is dropped too.
func xTrap(dpy *C.Display, fn func()) error {
	xTrapMu.Lock()
	defer xTrapMu.Unlock()
	prev := C.studioTrapBegin()
	fn()
	if code := C.studioTrapEnd(dpy, prev); code != 0 {
		return fmt.Errorf("%w: code %d", errXProtocol, int(code))
	}
	return nil
}
