package av1

// #cgo pkg-config: SvtAv1Enc
// #include <stdlib.h>
// #include "bridge.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// svtError is an EbErrorType returned by SVT-AV1.
type svtError int32

func (e svtError) Error() string {
	switch e {
	case C.EB_ErrorInsufficientResources:
		return "SVT-AV1: insufficient resources"
	case C.EB_ErrorBadParameter:
		return "SVT-AV1: bad parameter"
	case C.EB_ErrorMax:
		return "SVT-AV1: encode error"
	}
	return fmt.Sprintf("SVT-AV1: error %#x", uint32(e))
}

func svtErr(r C.int) error {
	if r == C.EB_ErrorNone {
		return nil
	}
	return svtError(r)
}

// errEmpty is returned by receive when no packet is ready.
var errEmpty = errors.New("av1: no packet ready")

// svtConfig is what one SVT-AV1 encoder instance is opened with.
type svtConfig struct {
	width, height, fps, preset int
	bitrate                    int // bit/s
	keyint                     int // frames from one key frame to the next
}

// svtEncoder is one SVT-AV1 encoder instance. Its methods must not be
// called concurrently.
type svtEncoder struct {
	c             *C.studio_av1
	width, height int
	sent          int // pictures sent
	eosSent       bool
}

// svtPacket is one temporal unit from SVT-AV1. Data points into the
// library's buffer and is valid until the next receive or close.
type svtPacket struct {
	data  []byte
	seq   int64 // the sequence number the frame was sent with
	key   bool  // a key frame
	eos   bool  // the last packet after sendEOS
	hasTD bool  // starts with a temporal delimiter
}

func openSVT(cfg svtConfig) (*svtEncoder, error) {
	cc := C.studio_av1_config{
		width:        C.int(cfg.width),
		height:       C.int(cfg.height),
		fps:          C.int(cfg.fps),
		preset:       C.int(cfg.preset),
		bitrate:      C.uint32_t(cfg.bitrate),
		intra_period: C.int32_t(cfg.keyint - 1),
	}
	var c *C.studio_av1
	if err := svtErr(C.studio_av1_open(&c, &cc)); err != nil {
		return nil, err
	}
	return &svtEncoder{c: c, width: cfg.width, height: cfg.height}, nil
}

// send hands img, a 4:2:0 picture of the configured size, to the encoder,
// which copies it before send returns.
func (s *svtEncoder) send(img *image.YCbCr, seq int64) error {
	r := img.Rect
	y := &img.Y[img.YOffset(r.Min.X, r.Min.Y)]
	ci := img.COffset(r.Min.X, r.Min.Y)
	s.sent++
	return svtErr(C.studio_av1_send(s.c,
		(*C.uint8_t)(unsafe.Pointer(y)),
		(*C.uint8_t)(unsafe.Pointer(&img.Cb[ci])),
		(*C.uint8_t)(unsafe.Pointer(&img.Cr[ci])),
		C.int(img.YStride), C.int(img.CStride), C.int64_t(seq)))
}

// sendEOS tells the encoder no more pictures come.
func (s *svtEncoder) sendEOS() error {
	s.eosSent = true
	return svtErr(C.studio_av1_send_eos(s.c))
}

// receive returns the next packet. With block false it returns errEmpty
// when none is ready; with block true it waits for one, which is only safe
// when one is due (see the package doc).
func (s *svtEncoder) receive(block bool) (svtPacket, error) {
	var (
		data  *C.uint8_t
		n     C.uint32_t
		pts   C.int64_t
		typ   C.int
		flags C.uint32_t
	)
	b := C.int(0)
	if block {
		b = 1
	}
	r := C.studio_av1_get(s.c, b, &data, &n, &pts, &typ, &flags)
	if r == C.EB_NoErrorEmptyQueue {
		return svtPacket{}, errEmpty
	}
	if err := svtErr(r); err != nil {
		return svtPacket{}, err
	}
	if flags&C.EB_BUFFERFLAG_ERROR_MASK != 0 {
		return svtPacket{}, fmt.Errorf("SVT-AV1: packet flags %#x report an error", uint32(flags))
	}
	p := svtPacket{
		seq:   int64(pts),
		key:   typ == C.EB_AV1_KEY_PICTURE,
		eos:   flags&C.EB_BUFFERFLAG_EOS != 0,
		hasTD: flags&C.EB_BUFFERFLAG_HAS_TD != 0,
	}
	if n > 0 && data != nil {
		p.data = unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))
	}
	return p, nil
}

// close frees the encoder; packets not received yet are dropped.
//
// SVT-AV1 1.4's deinit hangs unless the encoder has been sent a picture
// and then the end of stream, and has returned its last packet; so close
// sends a grey picture to an encoder that had none, and the end of stream
// unless sendEOS was called, and reads the packets out. If SVT-AV1 fails
// on the way, the instance is left allocated rather than risk the hang.
func (s *svtEncoder) close() {
	if s.c == nil {
		return
	}
	defer func() { s.c = nil }()
	if s.sent == 0 && !s.eosSent {
		blank := image.NewYCbCr(image.Rect(0, 0, s.width, s.height), image.YCbCrSubsampleRatio420)
		for i := range blank.Y {
			blank.Y[i] = 128
		}
		for i := range blank.Cb {
			blank.Cb[i], blank.Cr[i] = 128, 128
		}
		if s.send(blank, 0) != nil {
			return
		}
	}
	if !s.eosSent && s.sendEOS() != nil {
		return
	}
	for {
		p, err := s.receive(true)
		if err != nil {
			return
		}
		if p.eos {
			break
		}
	}
	C.studio_av1_close(s.c)
}
