package tee

import (
	"context"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"studio/capture"
)

// fakeSource is a video source whose buffers are counted: outstanding is how
// many frames it has handed out and not had back, doubles how many times a
// frame was released twice. With a gate, each Read waits for a value on it
// (the test paces the source); without one Read returns at once.
type fakeSource struct {
	props  capture.VideoProps
	gate   chan struct{}
	status *capture.SourceStatus // returned by Status when set

	mu     sync.Mutex
	free   []*fakeBuf // guarded by mu
	seq    uint64     // guarded by mu
	closed chan struct{}
	once   sync.Once

	outstanding, produced, released, doubles atomic.Int64
	last                                     atomic.Pointer[capture.VideoFrame]
}

type fakeBuf struct {
	src   *fakeSource
	img   *image.YCbCr
	frame capture.VideoFrame
	inUse atomic.Bool
	rel   func()
}

func newFake(gate chan struct{}) *fakeSource {
	return &fakeSource{
		props:  capture.VideoProps{Width: 16, Height: 16, FPS: 30},
		gate:   gate,
		closed: make(chan struct{}),
	}
}

func (s *fakeSource) Props() capture.VideoProps { return s.props }

func (s *fakeSource) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *fakeSource) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

func (s *fakeSource) Read(ctx context.Context) (*capture.VideoFrame, error) {
	if s.isClosed() {
		return nil, capture.ErrClosed
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-s.closed:
			return nil, capture.ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	var b *fakeBuf
	if n := len(s.free); n > 0 {
		b = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		b = &fakeBuf{src: s, img: image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420)}
		b.rel = b.release
	}
	seq := s.seq
	s.seq++
	s.mu.Unlock()
	b.inUse.Store(true)
	s.outstanding.Add(1)
	s.produced.Add(1)
	b.frame = *capture.NewVideoFrame(b.img, time.Duration(seq)*time.Second/30, seq, b.rel)
	s.last.Store(&b.frame)
	return &b.frame, nil
}

func (b *fakeBuf) release() {
	s := b.src
	if !b.inUse.Swap(false) {
		s.doubles.Add(1)
		return
	}
	s.outstanding.Add(-1)
	s.released.Add(1)
	s.mu.Lock()
	s.free = append(s.free, b)
	s.mu.Unlock()
}

// checkAllReleased fails t unless every frame s made came back exactly once.
func (s *fakeSource) checkAllReleased(t *testing.T) {
	t.Helper()
	if n := s.outstanding.Load(); n != 0 {
		t.Errorf("%d frames never released (%d made, %d released)", n, s.produced.Load(), s.released.Load())
	}
	if n := s.doubles.Load(); n != 0 {
		t.Errorf("%d frames released twice", n)
	}
}

// reportingFake is a fakeSource that implements capture.Reporter.
type reportingFake struct{ *fakeSource }

func (r reportingFake) Status() capture.SourceStatus { return *r.status }

// tick lets a gated fake source make one frame, failing t if nobody takes it.
func tick(t *testing.T, gate chan struct{}) {
	t.Helper()
	select {
	case gate <- struct{}{}:
	case <-time.After(5 * time.Second):
		t.Fatal("source not read within 5 s")
	}
}

// deadline returns a context that ends after 5 s: a Read that should return
// and hangs fails the test instead of blocking it.
func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
