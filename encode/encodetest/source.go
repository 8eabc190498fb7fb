package encodetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
)

// Recorder wraps a video source and remembers the PTS of every frame it
// hands out, and how many are not released yet.
type Recorder struct {
	capture.VideoSource
	mu   sync.Mutex
	pts  []time.Duration
	live int
}

// Read reads a frame from the source and notes it.
func (r *Recorder) Read(ctx context.Context) (*capture.VideoFrame, error) {
	f, err := r.VideoSource.Read(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.pts = append(r.pts, f.PTS)
	r.live++
	r.mu.Unlock()
	return capture.NewVideoFrame(f.Image, f.PTS, f.Seq, func() {
		r.mu.Lock()
		r.live--
		r.mu.Unlock()
		f.Release()
	}), nil
}

// PTS returns the PTS of the frames handed out so far, in order.
func (r *Recorder) PTS() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.pts)
}

// Live returns how many frames were handed out and not released.
func (r *Recorder) Live() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live
}

// NewPattern returns the test pattern at w×h and fps on a new clock.
func NewPattern(t testing.TB, w, h, fps int, opts ...synth.Option) *synth.Pattern {
	t.Helper()
	p, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: w, Height: h, FPS: fps}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ReadPacket reads e's next packet, failing the test on error.
func ReadPacket(t testing.TB, e Encoder) *encode.Packet {
	t.Helper()
	p, err := e.ReadPacket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
