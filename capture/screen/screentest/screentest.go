// Package screentest starts private X servers (Xvfb) for tests and paints
// known pictures on their screens, so that screen capture can be checked
// against what was drawn.
//
// Every server is stopped by t.Cleanup. When Xvfb is missing, the test is
// skipped on a developer machine and fails under CI (CI is set).
package screentest

/*
#cgo pkg-config: x11 xrandr
#include <stdlib.h>
#include "paint.h"
*/
import "C"

import (
	"bufio"
	"image"
	"image/color"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Xvfb is a running virtual X server.
type Xvfb struct {
	// Display is the server's name for $DISPLAY, such as ":3".
	Display string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// startTimeout bounds how long Xvfb may take to accept connections.
const startTimeout = 15 * time.Second

// StartXvfb starts Xvfb with one screen of w×h at depth 24 on a display
// number it picks itself (-displayfd), and returns once the server accepts
// connections. It is stopped when the test ends.
func StartXvfb(t testing.TB, w, h int) *Xvfb {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Xvfb not found on PATH (install xvfb)")
		}
		t.Skip("Xvfb not found on PATH (install xvfb)")
	}
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var stderr strings.Builder
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", strconv.Itoa(w)+"x"+strconv.Itoa(h)+"x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr} // fd 3
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		wr.Close()
		t.Fatalf("Xvfb: %v", err)
	}
	wr.Close()
	x := &Xvfb{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(x.exited)
	}()
	t.Cleanup(x.stop)

	// Xvfb writes the display number when it is ready; the pipe closes
	// without it if Xvfb exits.
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if n == "" {
			<-x.exited
			t.Fatalf("Xvfb exited before it was ready:\n%s", stderr.String())
		}
		x.Display = ":" + n
	case <-time.After(startTimeout):
		x.stop()
		<-number
		t.Fatalf("Xvfb not ready after %v:\n%s", startTimeout, stderr.String())
	}
	return x
}

// stop ends the server: SIGTERM, so that it removes its lock file and
// socket, then SIGKILL if it lingers.
func (x *Xvfb) stop() {
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-x.exited:
	case <-time.After(5 * time.Second):
		_ = x.cmd.Process.Kill()
		<-x.exited
	}
}

// Stop ends the server now, as a crash of the X server would; Cleanup
// does nothing more afterwards.
func (x *Xvfb) Stop() { x.stop() }

// Paint makes img the root window's background on display, stretched from
// its top-left corner (img should be the screen's size). It stays there
// after Paint returns.
func Paint(t testing.TB, display string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb := make([]byte, w*h*3)
	for y := range h {
		for x := range w {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			i := (y*w + x) * 3
			rgb[i], rgb[i+1], rgb[i+2] = c.R, c.G, c.B
		}
	}
	cname := C.CString(display)
	defer C.free(unsafe.Pointer(cname))
	if rc := C.screentest_paint(cname, (*C.uint8_t)(unsafe.Pointer(&rgb[0])), C.int(w), C.int(h)); rc != 0 {
		t.Fatalf("painting the root window of %s failed (%d)", display, int(rc))
	}
}

// Resize changes the screen of display to w×h through RandR, as a user
// changing the resolution would. Xvfb goes from 1×1 up to the size it was
// started with. A size the server refuses ends the process (Xlib's default
// error handler), failing the test.
func Resize(t testing.TB, display string, w, h int) {
	t.Helper()
	cname := C.CString(display)
	defer C.free(unsafe.Pointer(cname))
	if rc := C.screentest_resize(cname, C.int(w), C.int(h)); rc != 0 {
		t.Fatalf("resizing the screen of %s failed (%d)", display, int(rc))
	}
}

// Halves returns a w×h picture whose left half is left and right half is
// right.
func Halves(w, h int, left, right color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := left
			if x >= w/2 {
				c = right
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}
