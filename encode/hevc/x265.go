package hevc

/*
#cgo pkg-config: x265
#include <stdint.h>
#include <stdlib.h>
#include <x265.h>

// studio_x265 is one encoder with the parameters it was opened with and
// the input and output pictures it reuses.
typedef struct {
	x265_encoder *enc;
	x265_param *param;
	x265_picture *in, *out;
} studio_x265;

enum {
	STUDIO_X265_ENOMEM = -1,
	STUDIO_X265_EPRESET = -2,
	STUDIO_X265_EPROFILE = -3,
	STUDIO_X265_EOPEN = -4,
};

static void studio_x265_free(studio_x265 *s) {
	if (s->enc) x265_encoder_close(s->enc);
	if (s->in) x265_picture_free(s->in);
	if (s->out) x265_picture_free(s->out);
	if (s->param) x265_param_free(s->param);
	free(s);
}

// studio_x265_open opens an 8-bit 4:2:0 Main profile, Main tier encoder
// tuned for zero latency: one picture in, its access unit out, in the same
// call. level is x265's levelIdc (ten times the level), 0 for the lowest
// level that fits.
static int studio_x265_open(studio_x265 **out, const char *preset, int w, int h, int fps, int kbps, int level) {
	studio_x265 *s = calloc(1, sizeof *s);
	if (!s) return STUDIO_X265_ENOMEM;
	s->param = x265_param_alloc();
	if (!s->param) { studio_x265_free(s); return STUDIO_X265_ENOMEM; }
	x265_param *p = s->param;
	if (x265_param_default_preset(p, preset, "zerolatency") < 0) { studio_x265_free(s); return STUDIO_X265_EPRESET; }
	p->logLevel = X265_LOG_WARNING;
	p->sourceWidth = w;
	p->sourceHeight = h;
	p->fpsNum = fps;
	p->fpsDenom = 1;
	p->internalCsp = X265_CSP_I420;
	p->bAnnexB = 1;
	p->bRepeatHeaders = 0;
	p->bEnableAccessUnitDelimiters = 0;
	p->bEmitInfoSEI = 0;
	p->bEmitHRDSEI = 0;
	p->bEmitVUIHRDInfo = 0; // the SPS would state the first bitrate forever
	p->bOpenGOP = 0;
	p->keyframeMax = -1; // IDR pictures only when asked for: the Go side keeps the interval
	p->levelIdc = level; // 0: the lowest that fits
	p->bHighTier = 0;
	p->lookaheadSlices = 0; // no lookahead anyway; x265 warns below 720p otherwise
	p->rc.rateControlMode = X265_RC_ABR;
	p->rc.bitrate = kbps;
	p->rc.vbvMaxBitrate = kbps;
	p->rc.vbvBufferSize = kbps; // one second
	// Speed on two cores (see BenchmarkEncode720p and scripts/bench-codecs.sh):
	p->frameNumThreads = 1; // one picture in flight: its access unit comes out of the same call
	p->bEnableWavefront = 1; // CTU rows in parallel over the pool: the only parallelism left with one frame thread
	p->psyRd = 0; // psy-rd costs CPU and PSNR (measured -0.1 dB) for a texture ultrafast's RD level barely keeps
	p->bEnableSAO = 0; // ultrafast's own choice, kept explicit: SAO costs CPU for little at this speed
	p->rc.aqMode = X265_AQ_NONE; // no adaptive quantisation: ultrafast's strength is 0 anyway, skip its analysis
	p->lookaheadDepth = 0; // zerolatency's: no frame waits for the lookahead
	if (x265_param_apply_profile(p, "main") < 0) { studio_x265_free(s); return STUDIO_X265_EPROFILE; }
	s->in = x265_picture_alloc();
	s->out = x265_picture_alloc();
	if (!s->in || !s->out) { studio_x265_free(s); return STUDIO_X265_ENOMEM; }
	x265_picture_init(p, s->in);
	x265_picture_init(p, s->out);
	s->enc = x265_encoder_open(p);
	if (!s->enc) { studio_x265_free(s); return STUDIO_X265_EOPEN; }
	*out = s;
	return 0;
}

// studio_x265_encode encodes one picture. The planes are only read during
// the call (x265 copies the picture in x265_encoder_encode) and are not
// kept. On return *nal and *nnal describe the access unit, valid until the
// next call.
static int studio_x265_encode(studio_x265 *s, uint8_t *y, uint8_t *cb, uint8_t *cr, int ystride, int cstride,
		int64_t pts, int idr, x265_nal **nal, uint32_t *nnal, int64_t *outpts) {
	x265_picture *in = s->in;
	in->planes[0] = y;
	in->planes[1] = cb;
	in->planes[2] = cr;
	in->stride[0] = ystride;
	in->stride[1] = cstride;
	in->stride[2] = cstride;
	in->pts = pts;
	in->sliceType = idr ? X265_TYPE_IDR : X265_TYPE_AUTO;
	*nal = NULL;
	*nnal = 0;
	int ret = x265_encoder_encode(s->enc, nal, nnal, in, s->out);
	in->planes[0] = in->planes[1] = in->planes[2] = NULL;
	*outpts = s->out->pts;
	return ret;
}

static int studio_x265_headers(studio_x265 *s, x265_nal **nal, uint32_t *nnal) {
	return x265_encoder_headers(s->enc, nal, nnal);
}

// studio_x265_nal returns the i-th NAL unit of an array.
static x265_nal *studio_x265_nal(x265_nal *nal, uint32_t i) { return &nal[i]; }
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"time"
	"unsafe"
)

// ErrUnknownPreset is returned by New for a preset name x265 does not know.
var ErrUnknownPreset = errors.New("hevc: unknown x265 preset")

// x265 is the C encoder. Its methods must not be called concurrently.
type x265 struct {
	s *C.studio_x265
}

// openX265 opens an encoder for the normalised cfg at level (x265's
// levelIdc: ten times the level; 0 for the lowest level that fits).
func openX265(cfg Config, level int) (*x265, error) {
	preset := C.CString(cfg.Preset)
	defer C.free(unsafe.Pointer(preset))
	var s *C.studio_x265
	switch rc := C.studio_x265_open(&s, preset, C.int(cfg.Width), C.int(cfg.Height), C.int(cfg.FPS),
		C.int(cfg.BitrateKbps), C.int(level)); rc {
	case 0:
		return &x265{s: s}, nil
	case C.STUDIO_X265_EPRESET:
		return nil, fmt.Errorf("%w %q (want one of %v)", ErrUnknownPreset, cfg.Preset, Presets())
	case C.STUDIO_X265_ENOMEM:
		return nil, errors.New("hevc: x265: out of memory")
	case C.STUDIO_X265_EPROFILE:
		return nil, errors.New("hevc: x265 refuses the Main profile for these settings")
	default:
		return nil, fmt.Errorf("hevc: x265 refuses to open at %dx%d@%d, %d kbit/s", cfg.Width, cfg.Height, cfg.FPS, cfg.BitrateKbps)
	}
}

// nalUnits appends x265's NAL units to dst without their start codes. They
// alias x265's buffer: valid until the next call into the encoder.
func nalUnits(dst [][]byte, nal *C.x265_nal, n C.uint32_t) ([][]byte, error) {
	for i := range n {
		u := C.studio_x265_nal(nal, i)
		b := unsafe.Slice((*byte)(unsafe.Pointer(u.payload)), int(u.sizeBytes))
		b, err := trimStartCode(b)
		if err != nil {
			return dst, err
		}
		dst = append(dst, b)
	}
	return dst, nil
}

// headers returns copies of the stream's NAL units from
// x265_encoder_headers: VPS, SPS and PPS.
func (x *x265) headers() ([][]byte, error) {
	var nal *C.x265_nal
	var n C.uint32_t
	if rc := C.studio_x265_headers(x.s, &nal, &n); rc < 0 {
		return nil, fmt.Errorf("hevc: x265_encoder_headers failed (%d)", int(rc))
	}
	units, err := nalUnits(nil, nal, n)
	if err != nil {
		return nil, fmt.Errorf("hevc: x265 headers: %w", err)
	}
	for i, u := range units {
		units[i] = append([]byte(nil), u...)
	}
	return units, nil
}

// encode encodes img, an IDR picture when idr is set, and appends its NAL
// units to dst; they are valid until the next call. pts is returned by
// x265 with the picture it belongs to, which zerolatency makes this one.
func (x *x265) encode(dst [][]byte, img *image.YCbCr, pts time.Duration, idr bool) ([][]byte, error) {
	r := img.Rect
	y := &img.Y[img.YOffset(r.Min.X, r.Min.Y)]
	ci := img.COffset(r.Min.X, r.Min.Y)
	var nal *C.x265_nal
	var n C.uint32_t
	var outPTS C.int64_t
	forceIDR := C.int(0)
	if idr {
		forceIDR = 1
	}
	rc := C.studio_x265_encode(x.s, (*C.uint8_t)(unsafe.Pointer(y)),
		(*C.uint8_t)(unsafe.Pointer(&img.Cb[ci])), (*C.uint8_t)(unsafe.Pointer(&img.Cr[ci])),
		C.int(img.YStride), C.int(img.CStride), C.int64_t(pts), forceIDR, &nal, &n, &outPTS)
	switch {
	case rc < 0:
		return dst, fmt.Errorf("hevc: x265_encoder_encode failed (%d)", int(rc))
	case rc == 0 || n == 0:
		return dst, errors.New("hevc: x265 returned no picture for a picture in (not zero-latency)")
	case time.Duration(outPTS) != pts:
		return dst, fmt.Errorf("hevc: x265 returned the picture of %v for the picture of %v", time.Duration(outPTS), pts)
	}
	return nalUnits(dst, nal, n)
}

// close frees the encoder; x must not be used again.
func (x *x265) close() {
	if x.s != nil {
		C.studio_x265_free(x.s)
		x.s = nil
	}
}
