package encodetest

import (
	"context"
	"image"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/synth"
)

// Ring serves pre-rendered frames in a loop, unpaced, with PTS counting
// frame intervals from zero; Padded frames sit inside a larger image
// (a stride wider than the picture), as cameras and screen grabs give.
type Ring struct {
	props  capture.VideoProps
	Frames []*image.YCbCr
	Padded bool
	n      int
}

// NewRing renders count frames of the synth pattern at w x h, fps.
func NewRing(t testing.TB, w, h, fps, count int) *Ring {
	t.Helper()
	p := NewPattern(t, w, h, fps, synth.Unpaced())
	defer p.Close()
	r := &Ring{props: p.Props()}
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
		r.Frames = append(r.Frames, img)
	}
	return r
}

// WithPadding returns a Ring of the same frames, from the start, padded.
func (r *Ring) WithPadding() *Ring { return &Ring{props: r.props, Frames: r.Frames, Padded: true} }

func (r *Ring) Props() capture.VideoProps { return r.props }
func (r *Ring) Close() error              { return nil }

func (r *Ring) Read(ctx context.Context) (*capture.VideoFrame, error) {
	img := r.Frames[r.n%len(r.Frames)]
	pts := time.Duration(r.n) * time.Second / time.Duration(r.props.FPS)
	seq := uint64(r.n)
	r.n++
	if !r.Padded {
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
