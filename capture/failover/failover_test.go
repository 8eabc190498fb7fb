package failover

import (
	"context"
	"errors"
	"image"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errUnplugged = errors.New("VIDIOC_DQBUF: no such device")

// fakeVideo is a camera: frames of one grey level stamped with the clock
// every interval; after n frames (n < 0: never) it fails with fail, or
// blocks until its ctx ends when fail is nil.
type fakeVideo struct {
	clock    *capture.Clock
	props    capture.VideoProps
	grey     byte
	n        int
	fail     error
	reads    int
	closeErr chan struct{} // when set, Close blocks until it is closed
	closed   chan struct{}
	once     sync.Once
}

func newFakeVideo(clock *capture.Clock, grey byte, n int, fail error) *fakeVideo {
	return &fakeVideo{clock: clock, props: capture.VideoProps{Width: 320, Height: 180, FPS: 30}, grey: grey, n: n, fail: fail, closed: make(chan struct{})}
}

func (f *fakeVideo) Props() capture.VideoProps { return f.props }

func (f *fakeVideo) Read(ctx context.Context) (*capture.VideoFrame, error) {
	select {
	case <-f.closed:
		return nil, capture.ErrClosed
	default:
	}
	if f.reads++; f.n >= 0 && f.reads > f.n {
		if f.fail != nil {
			return nil, f.fail
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-f.closed:
			return nil, capture.ErrClosed
		}
	}
	img := image.NewYCbCr(image.Rect(0, 0, f.props.Width, f.props.Height), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = f.grey
	}
	return capture.NewVideoFrame(img, f.clock.Now(), uint64(f.reads), nil), nil
}

func (f *fakeVideo) Close() error {
	f.once.Do(func() { close(f.closed) })
	if f.closeErr != nil {
		<-f.closeErr
	}
	return nil
}

// statuses collects what Notify is told.
type statuses struct {
	mu  sync.Mutex
	got []capture.SourceStatus
	ch  chan capture.SourceStatus
}

func newStatuses() *statuses { return &statuses{ch: make(chan capture.SourceStatus, 16)} }

func (s *statuses) notify(st capture.SourceStatus) {
	s.mu.Lock()
	s.got = append(s.got, st)
	s.mu.Unlock()
	s.ch <- st
}

func (s *statuses) all() []capture.SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]capture.SourceStatus(nil), s.got...)
}

func TestVideoFailsOverToSlateAndComesBack(t *testing.T) {
	clock := capture.NewClock()
	src := newFakeVideo(clock, 200, 3, errUnplugged)
	st := newStatuses()
	reopened := make(chan struct{})
	v := newVideo(src, clock, Options[capture.VideoSource]{
		Device: "cam", Notify: st.notify, Retry: 50 * time.Millisecond,
		Reopen: func(context.Context) (capture.VideoSource, error) {
			<-reopened
			return newFakeVideo(clock, 100, -1, nil), nil
		},
	}, synth.Unpaced())
	defer v.Close()
	ctx := context.Background()
	var last time.Duration
	read := func() *capture.VideoFrame {
		t.Helper()
		f, err := v.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.PTS <= last && f.Seq > 0 {
			t.Fatalf("PTS %v after %v", f.PTS, last)
		}
		last = f.PTS
		return f
	}
	for range 3 {
		if f := read(); f.Image.Y[0] != 200 {
			t.Fatalf("device frame has grey %d", f.Image.Y[0])
		}
	}
	if f := read(); f.Image.Y[0] == 200 {
		t.Fatal("a frame after the loss came from the lost device")
	}
	if s := <-st.ch; s.State != capture.SourceLost || !errors.Is(s.Err, errUnplugged) || s.Device != "cam" {
		t.Fatalf("status after loss: %+v", s)
	}
	if s := v.Status(); s.State != capture.SourceLost {
		t.Fatalf("Status() = %v", s.State)
	}
	close(reopened)
	deadline := time.Now().Add(5 * time.Second)
	for {
		f := read()
		if f.Image.Y[0] == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reopened device never delivered")
		}
	}
	if s := <-st.ch; s.State != capture.SourceOK {
		t.Fatalf("status after reopen: %+v", s)
	}
	if s := v.Status(); s.State != capture.SourceOK || s.Err != nil {
		t.Fatalf("Status() = %+v", s)
	}
}

func TestVideoStallIsLoss(t *testing.T) {
	clock := capture.NewClock()
	st := newStatuses()
	v := newVideo(newFakeVideo(clock, 200, 1, nil), clock, Options[capture.VideoSource]{Notify: st.notify, Stall: 50 * time.Millisecond}, synth.Unpaced())
	defer v.Close()
	for range 3 {
		f, err := v.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	if s := <-st.ch; s.State != capture.SourceLost || !errors.Is(s.Err, ErrStalled) {
		t.Fatalf("status: %+v", s)
	}
}

func TestVideoCancelAndCloseAreNotLoss(t *testing.T) {
	clock := capture.NewClock()
	pat, err := synth.NewPattern(clock, capture.VideoProps{Width: 64, Height: 36, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	st := newStatuses()
	v := Video(pat, clock, Options[capture.VideoSource]{Notify: st.notify})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("read with ended ctx: %v", err)
	}
	f, err := v.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	errc := make(chan error, 1)
	go func() {
		_, err := v.Read(context.Background())
		errc <- err
	}()
	_ = v.Close()
	_ = v.Close()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, capture.ErrClosed) {
			t.Errorf("read during close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a pending Read")
	}
	if _, err := v.Read(context.Background()); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
	if got := st.all(); len(got) != 0 {
		t.Errorf("notified %v for cancel/close", got)
	}
}

func TestCloseIsBoundedWhenTheDeviceHangs(t *testing.T) {
	clock := capture.NewClock()
	src := newFakeVideo(clock, 1, -1, nil)
	src.closeErr = make(chan struct{})
	defer close(src.closeErr) // the left-behind Close ends before goleak looks
	v := newVideo(src, clock, Options[capture.VideoSource]{}, synth.Unpaced())
	start := time.Now()
	_ = v.Close()
	if d := time.Since(start); d > CloseBound+500*time.Millisecond {
		t.Fatalf("Close took %v with a hanging device", d)
	}
}

func TestVideoCountsSkippedFrames(t *testing.T) {
	clock := capture.NewClock()
	v := newVideo(newFakeVideo(clock, 1, -1, nil), clock, Options[capture.VideoSource]{}, synth.Unpaced())
	defer v.Close()
	iv := time.Second / 30
	v.out(capture.NewVideoFrame(nil, 0, 0, nil))
	v.out(capture.NewVideoFrame(nil, iv, 0, nil))     // on time
	v.out(capture.NewVideoFrame(nil, 4*iv, 0, nil))   // two missing
	v.out(capture.NewVideoFrame(nil, 5*iv+5, 0, nil)) // jitter only
	if got := v.Status().Skipped; got != 2 {
		t.Fatalf("Skipped = %d, want 2", got)
	}
}
