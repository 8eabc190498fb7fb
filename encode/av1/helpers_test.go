package av1

import (
	"context"
	"image"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/encodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ encode.VideoEncoder = (*Encoder)(nil)

// recorder notes the frames an encoder reads.
type recorder = encodetest.Recorder

func newPattern(t testing.TB, w, h, fps int, opts ...synth.Option) *synth.Pattern {
	t.Helper()
	return encodetest.NewPattern(t, w, h, fps, opts...)
}

func newEncoder(t testing.TB, src capture.VideoSource, cfg Config) *Encoder {
	t.Helper()
	e, err := New(src, cfg)
	if err != nil {
		src.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func readPacket(t testing.TB, e *Encoder) *encode.Packet {
	t.Helper()
	return encodetest.ReadPacket(t, e)
}

// obuTypes returns the types of the OBUs in data, failing the test unless
// each has its size field and they fill data exactly.
func obuTypes(t testing.TB, data []byte) []int {
	t.Helper()
	var types []int
	for len(data) > 0 {
		h, err := nextOBU(data)
		if err != nil {
			t.Fatalf("OBU %d: %v", len(types), err)
		}
		types = append(types, int(h.typ))
		data = data[h.size:]
	}
	return types
}

const (
	obuSequenceHeader    = 1
	obuTemporalDelimiter = 2
)

func hasType(types []int, typ int) bool {
	for _, t := range types {
		if t == typ {
			return true
		}
	}
	return false
}

// ringSource serves pre-rendered frames in a loop, unpaced, with PTS
// n/FPS, optionally with padded strides and a non-zero origin.
type ringSource struct {
	props  capture.VideoProps
	frames []*image.YCbCr
	padded bool
	n      int
}

// newRing renders count frames of the synth pattern.
func newRing(t testing.TB, w, h, fps, count int) *ringSource {
	t.Helper()
	p := newPattern(t, w, h, fps, synth.Unpaced())
	defer p.Close()
	r := &ringSource{props: p.Props()}
	for range count {
		f, err := p.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		img := image.NewYCbCr(f.Image.Rect, image.YCbCrSubsampleRatio420)
		copy(img.Y, f.Image.Y)
		copy(img.Cb, f.Image.Cb)
		copy(img.Cr, f.Image.Cr)
		f.Release()
		r.frames = append(r.frames, img)
	}
	return r
}

func (r *ringSource) Props() capture.VideoProps { return r.props }
func (r *ringSource) Close() error              { return nil }

func (r *ringSource) Read(ctx context.Context) (*capture.VideoFrame, error) {
	img := r.frames[r.n%len(r.frames)]
	pts := time.Duration(r.n) * time.Second / time.Duration(r.props.FPS)
	seq := uint64(r.n)
	r.n++
	if !r.padded {
		return capture.NewVideoFrame(img, pts, seq, nil), nil
	}
	w, h := r.props.Width, r.props.Height
	big := image.NewYCbCr(image.Rect(0, 0, w+64, h+32), image.YCbCrSubsampleRatio420)
	sub := big.SubImage(image.Rect(32, 16, 32+w, 16+h)).(*image.YCbCr)
	for y := range h {
		copy(sub.Y[sub.YOffset(32, 16+y):], img.Y[y*w:(y+1)*w])
	}
	for y := range h / 2 {
		o := sub.COffset(32, 16+2*y)
		copy(sub.Cb[o:], img.Cb[y*w/2:(y+1)*w/2])
		copy(sub.Cr[o:], img.Cr[y*w/2:(y+1)*w/2])
	}
	return capture.NewVideoFrame(sub, pts, seq, nil), nil
}
