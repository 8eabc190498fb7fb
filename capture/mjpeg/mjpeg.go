// Package mjpeg decodes the JPEG frames that MJPEG cameras send straight
// into I420 pictures, with libjpeg-turbo's TurboJPEG API (cgo, pkg-config
// libturbojpeg). The JPEG is decompressed to its YUV planes, never to RGB:
// 4:2:0 frames land directly in the destination planes, and other
// subsamplings (4:2:2, what webcams send, 4:4:4, 4:4:0, 4:1:1) have their
// chroma averaged down to 4:2:0 in the same call. Greyscale frames get flat
// chroma (128).
//
// Frames without Huffman tables (many webcams leave out the DHT segment and
// rely on the standard tables of the JPEG specification) decode as if the
// tables were there.
package mjpeg

/*
#cgo pkg-config: libturbojpeg
#cgo CFLAGS: -O3
#include <stdlib.h>
#include "decode.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

var (
	// ErrCorrupt is wrapped by the errors for data TurboJPEG cannot decode
	// cleanly: a broken or truncated frame (a camera unplugged mid-frame),
	// or one that only decodes with warnings. The error text carries
	// TurboJPEG's message.
	ErrCorrupt = errors.New("mjpeg: corrupt JPEG")
	// ErrUnsupported is wrapped by the errors for JPEGs that are valid but
	// not YCbCr or greyscale (CMYK, RGB) or use an unusual subsampling.
	ErrUnsupported = errors.New("mjpeg: unsupported JPEG")
	// ErrTooLarge is wrapped by the errors for pictures of more than
	// Decoder.MaxPixels pixels.
	ErrTooLarge = errors.New("mjpeg: picture too large")
	// ErrClosed is returned by DecodeI420 after Close.
	ErrClosed = errors.New("mjpeg: decoder closed")
)

// DefaultMaxPixels is the MaxPixels of a new Decoder: 4096×4096.
const DefaultMaxPixels = 4096 * 4096

// Decoder decodes JPEG frames into I420. It holds a TurboJPEG handle and
// scratch planes that it reuses from frame to frame, so one Decoder per
// stream avoids allocation. A Decoder is not safe for concurrent use; Close
// frees the handle.
type Decoder struct {
	d *C.studio_dec
	// MaxPixels bounds width×height of the frames DecodeI420 accepts (and
	// so what it allocates); larger ones fail with ErrTooLarge before any
	// decoding. Zero or less means no bound.
	MaxPixels int
}

// NewDecoder returns a decoder with MaxPixels = DefaultMaxPixels.
func NewDecoder() (*Decoder, error) {
	d := C.studio_dec_new()
	if d == nil {
		return nil, errors.New("mjpeg: cannot create a TurboJPEG decompressor")
	}
	return &Decoder{d: d, MaxPixels: DefaultMaxPixels}, nil
}

// Close frees the TurboJPEG handle and the scratch planes. It is safe to
// call more than once; DecodeI420 returns ErrClosed afterwards.
func (d *Decoder) Close() error {
	if d.d != nil {
		C.studio_dec_free(d.d)
		d.d = nil
	}
	return nil
}

// DecodeI420 decodes the baseline (or progressive) JPEG jpeg into dst as
// I420 (4:2:0) of the JPEG's own size.
//
// dst must not be nil. It is used as it is when it is a 4:2:0 picture of the
// JPEG's size whose planes are long enough; otherwise DecodeI420 replaces
// *dst with a newly allocated picture (image.NewYCbCr, Rect at the origin),
// so a caller that keeps one dst per stream allocates only when the camera
// changes size. Strides and a Rect not at the origin are honoured.
//
// On error, dst keeps its size but its pixels are unspecified. Errors wrap
// ErrCorrupt, ErrUnsupported, ErrTooLarge or ErrClosed.
func (d *Decoder) DecodeI420(dst *image.YCbCr, jpeg []byte) error {
	if d.d == nil {
		return ErrClosed
	}
	if dst == nil {
		return errors.New("mjpeg: nil destination")
	}
	if len(jpeg) == 0 {
		return fmt.Errorf("%w: empty frame", ErrCorrupt)
	}
	for attempt := 0; ; attempt++ {
		var y, cb, cr *C.uchar
		w, h := dst.Rect.Dx(), dst.Rect.Dy()
		if fits(dst, w, h) {
			y = (*C.uchar)(unsafe.Pointer(&dst.Y[dst.YOffset(dst.Rect.Min.X, dst.Rect.Min.Y)]))
			co := dst.COffset(dst.Rect.Min.X, dst.Rect.Min.Y)
			cb = (*C.uchar)(unsafe.Pointer(&dst.Cb[co]))
			cr = (*C.uchar)(unsafe.Pointer(&dst.Cr[co]))
		} else {
			w, h = 0, 0
		}
		rc := C.studio_decode_i420(d.d, (*C.uchar)(unsafe.Pointer(&jpeg[0])), C.ulong(len(jpeg)),
			y, C.int(dst.YStride), cb, cr, C.int(dst.CStride), C.int(w), C.int(h),
			C.longlong(d.MaxPixels))
		info := d.d.info
		switch rc {
		case C.STUDIO_OK:
			return nil
		case C.STUDIO_RESIZE:
			if attempt > 0 {
				return fmt.Errorf("mjpeg: destination still the wrong size after resizing")
			}
			*dst = *image.NewYCbCr(image.Rect(0, 0, int(info.width), int(info.height)), image.YCbCrSubsampleRatio420)
			continue
		}
		msg := C.GoString(&d.d.errmsg[0])
		switch rc {
		case C.STUDIO_UNSUPPORTED:
			return fmt.Errorf("%w: %s (subsampling %d, colorspace %d)", ErrUnsupported, msg, int(info.subsamp), int(info.colorspace))
		case C.STUDIO_TOO_LARGE:
			return fmt.Errorf("%w: %dx%d, more than %d pixels", ErrTooLarge, int(info.width), int(info.height), d.MaxPixels)
		case C.STUDIO_NOMEM:
			return fmt.Errorf("mjpeg: %dx%d: %s", int(info.width), int(info.height), msg)
		}
		return fmt.Errorf("%w: %s", ErrCorrupt, msg)
	}
}

// fits reports whether dst is a w×h 4:2:0 picture whose planes hold w×h luma
// and (w+1)/2 × (h+1)/2 chroma samples at its strides.
func fits(dst *image.YCbCr, w, h int) bool {
	if dst.SubsampleRatio != image.YCbCrSubsampleRatio420 || w <= 0 || h <= 0 {
		return false
	}
	cw, ch := (w+1)/2, (h+1)/2
	if dst.YStride < w || dst.CStride < cw {
		return false
	}
	yo := dst.YOffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	co := dst.COffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	return yo >= 0 && co >= 0 &&
		len(dst.Y) >= yo+(h-1)*dst.YStride+w &&
		len(dst.Cb) >= co+(ch-1)*dst.CStride+cw &&
		len(dst.Cr) >= co+(ch-1)*dst.CStride+cw
}
