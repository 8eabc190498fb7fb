package screen

/*
#cgo pkg-config: x11 xext
#cgo CFLAGS: -O3
#include <stdlib.h>
#include "convert.h"
#include "xgrab.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"

	"studio/capture"
)

// ErrDisplayLost is returned by Read once the connection to the X server
// has broken (the server exited or was killed). The source stays lost: open
// a new one when the server is back.
var ErrDisplayLost = errors.New("screen: X connection lost")

// ErrUnsupportedFormat is returned by Open when the root window's pixels
// are not 32 bits with red, green and blue in whole bytes (depth 24 or 32
// true colour, as Xvfb -screen 0 WxHx24 and every desktop today give).
var ErrUnsupportedFormat = errors.New("screen: unsupported pixel format")

// xconn is one connection to the X server and what grabbing needs. It is
// not safe for concurrent use: Source serialises every call.
type xconn struct {
	g       *C.xgrab
	resized C.int // out-parameter of grab, here so that it does not escape per call
}

// xerr turns an xgrab result into an error, nil for XGRAB_OK.
func xerr(rc C.int, x *xconn) error {
	switch rc {
	case C.XGRAB_OK:
		return nil
	case C.XGRAB_NO_DISPLAY:
		return fmt.Errorf("screen: cannot open X display: %w", capture.ErrNoDevice)
	case C.XGRAB_FORMAT:
		return ErrUnsupportedFormat
	case C.XGRAB_NO_MEMORY:
		return errors.New("screen: out of memory (or shared memory) for the grab image")
	case C.XGRAB_TOO_SMALL:
		return errors.New("screen: the frame is too small for the screen: each frame row may cover at most 257 screen rows")
	case C.XGRAB_LOST:
		return ErrDisplayLost
	case C.XGRAB_X_ERROR:
		if x != nil {
			_, _, _, _, code := x.info()
			return fmt.Errorf("screen: the X server refused to give the screen (error code %d)", code)
		}
		return errors.New("screen: the X server refused to give the screen")
	}
	return fmt.Errorf("screen: grab failed (%d)", int(rc))
}

// openX connects to display ("" for $DISPLAY) and prepares frames of w×h.
// shm false forces XGetImage instead of MIT-SHM.
func openX(display string, w, h int, shm bool) (*xconn, error) {
	var cname *C.char
	if display != "" {
		cname = C.CString(display)
		defer C.free(unsafe.Pointer(cname))
	}
	useSHM := C.int(0)
	if shm {
		useSHM = 1
	}
	var g *C.xgrab
	if err := xerr(C.xgrab_open(cname, C.int(w), C.int(h), useSHM, &g), nil); err != nil {
		return nil, err
	}
	return &xconn{g: g}, nil
}

// grab copies the screen into img, which must be w×h I420 as given to
// openX. It does not allocate. resized tells that the screen was found
// smaller than before and the grab followed it.
func (x *xconn) grab(img *image.YCbCr) (resized bool, err error) {
	rc := C.xgrab_grab(x.g,
		(*C.uint8_t)(unsafe.Pointer(&img.Y[0])), C.int(img.YStride),
		(*C.uint8_t)(unsafe.Pointer(&img.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&img.Cr[0])), C.int(img.CStride), &x.resized)
	return x.resized != 0, xerr(rc, x)
}

// checkSize asks for the root window's size and follows a change.
func (x *xconn) checkSize() (changed bool, err error) {
	var c C.int
	err = xerr(C.xgrab_check_size(x.g, &c), x)
	return c != 0, err
}

// info returns the display's name, the screen size, whether MIT-SHM is in
// use and the last X error code.
func (x *xconn) info() (name string, w, h int, shm bool, xError int) {
	var cname *C.char
	var cw, ch, cshm, cerr C.int
	C.xgrab_info(x.g, &cname, &cw, &ch, &cshm, &cerr)
	return C.GoString(cname), int(cw), int(ch), cshm != 0, int(cerr)
}

// close frees the shared memory and closes the display.
func (x *xconn) close() {
	C.xgrab_close(x.g)
	x.g = nil
}

// describe returns the display's name and screen size.
func describe(display string) (name string, w, h int, err error) {
	var cname *C.char
	if display != "" {
		cname = C.CString(display)
		defer C.free(unsafe.Pointer(cname))
	}
	var buf [256]C.char
	var cw, ch C.int
	if err := xerr(C.xgrab_describe(cname, &buf[0], C.int(len(buf)), &cw, &ch), nil); err != nil {
		return "", 0, 0, err
	}
	return C.GoString(&buf[0]), int(cw), int(ch), nil
}

// convertRGBX scales src, w×h 32-bit pixels (stride bytes a row, red,
// green and blue at the byte offsets given), into dst. It is the
// conversion grab uses, for tests and benchmarks.
func convertRGBX(src []byte, w, h, stride, ro, gro, bo int, dst *image.YCbCr) error {
	if len(src) < stride*(h-1)+4*w {
		return errors.New("screen: source too short")
	}
	var p C.plan
	if rc := C.plan_init(&p, C.int(w), C.int(h), C.int(dst.Rect.Dx()), C.int(dst.Rect.Dy())); rc != 0 {
		return fmt.Errorf("screen: cannot scale %dx%d to %v (%d)", w, h, dst.Rect.Size(), int(rc))
	}
	defer C.plan_free(&p)
	C.plan_convert(&p, (*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(stride), C.int(ro), C.int(gro), C.int(bo),
		(*C.uint8_t)(unsafe.Pointer(&dst.Y[0])), C.int(dst.YStride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&dst.Cr[0])), C.int(dst.CStride))
	return nil
}
