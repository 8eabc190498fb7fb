package failover

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errUnplugged = errors.New("VIDIOC_DQBUF: no such device")

// failingVideo passes n frames of a pattern through, stamped with the clock
// at read like a camera, then fails with errUnplugged.
type failingVideo struct {
	*synth.Pattern
	clock  *capture.Clock
	n      int
	reads  int
	closed bool
}

func (f *failingVideo) Read(ctx context.Context) (*capture.VideoFrame, error) {
	if f.reads++; f.reads > f.n {
		return nil, errUnplugged
	}
	fr, err := f.Pattern.Read(ctx)
	if err == nil {
		fr.PTS = f.clock.Now()
	}
	return fr, err
}

func (f *failingVideo) Close() error { f.closed = true; return f.Pattern.Close() }

func TestVideoFailsOverToSlate(t *testing.T) {
	clock := capture.NewClock()
	props := capture.VideoProps{Width: 320, Height: 180, FPS: 30}
	pat, err := synth.NewPattern(clock, props, synth.Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	src := &failingVideo{Pattern: pat, clock: clock, n: 5}
	var lostErrs []error
	v := newVideo(src, clock, func(err error) { lostErrs = append(lostErrs, err) }, synth.Unpaced())
	defer v.Close()
	if v.Props() != props {
		t.Errorf("props %v", v.Props())
	}
	ctx := context.Background()
	frameDur := time.Second / 30
	var last time.Duration
	for i := range 40 {
		f, err := v.Read(ctx)
		if err != nil {
			t.Fatalf("read %d: %v (the device error must never reach the encoder)", i, err)
		}
		if f.Seq != uint64(i) {
			t.Errorf("frame %d: seq %d", i, f.Seq)
		}
		if f.Image.Rect.Dx() != 320 || f.Image.Rect.Dy() != 180 {
			t.Fatalf("frame %d: size %v", i, f.Image.Rect)
		}
		if i > 0 && (f.PTS <= last || f.PTS-last > 2*frameDur) {
			t.Fatalf("frame %d: PTS %v after %v: want strictly increasing, no gap over %v", i, f.PTS, last, 2*frameDur)
		}
		last = f.PTS
		f.Release()
	}
	if len(lostErrs) != 1 || !errors.Is(lostErrs[0], errUnplugged) {
		t.Errorf("onLost called with %v; want once, with the cause", lostErrs)
	}
	if !src.closed {
		t.Error("the lost camera was not closed")
	}
}

func TestVideoCancelAndCloseAreNotLoss(t *testing.T) {
	clock := capture.NewClock()
	pat, err := synth.NewPattern(clock, capture.VideoProps{Width: 64, Height: 36, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	v := Video(pat, clock, func(error) { calls++ })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("read with ended ctx: %v", err)
	}
	// Close while a (paced) Read waits.
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
	if calls != 0 {
		t.Errorf("onLost called %d times for cancel/close", calls)
	}
}

// failingAudio passes frames of a tone through, then fails.
type failingAudio struct {
	*synth.Tone
	n, reads int
}

func (f *failingAudio) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if f.reads++; f.reads > f.n {
		return nil, errUnplugged
	}
	return f.Tone.Read(ctx)
}

func TestAudioFailsOverToSilence(t *testing.T) {
	clock := capture.NewClock()
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	// 960-sample frames (20 ms, like the microphone) before, 1024 after.
	tone, err := synth.NewTone(clock, props, 440, 960, synth.Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lostErrs []error
	a := newAudio(&failingAudio{Tone: tone, n: 7}, clock, func(err error) {
		mu.Lock()
		lostErrs = append(lostErrs, err)
		mu.Unlock()
	}, true)
	defer a.Close()
	ctx := context.Background()
	var start time.Duration
	var samples int64 // per channel, since the first frame
	for i := range 30 {
		f, err := a.Read(ctx)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if i == 0 {
			start = f.PTS
		}
		// Sample-accurate: each frame starts exactly where the previous
		// ended, computed from the sample count.
		if want := start + samplesDur(samples, 48000); f.PTS != want {
			t.Fatalf("frame %d: PTS %v, want %v", i, f.PTS, want)
		}
		if f.SampleRate != 48000 || f.Channels != 2 || len(f.Samples)%2 != 0 {
			t.Fatalf("frame %d: %d Hz %d ch %d samples", i, f.SampleRate, f.Channels, len(f.Samples))
		}
		if i >= 7 {
			if len(f.Samples) != 2*silenceSamples {
				t.Fatalf("silent frame %d has %d samples", i, len(f.Samples))
			}
			for _, v := range f.Samples {
				if v != 0 {
					t.Fatalf("frame %d after the loss is not silent", i)
				}
			}
		}
		samples += int64(len(f.Samples) / 2)
		f.Release()
	}
	if len(lostErrs) != 1 || !errors.Is(lostErrs[0], errUnplugged) {
		t.Errorf("onLost called with %v; want once, with the cause", lostErrs)
	}
}

func TestAudioSilenceIsPaced(t *testing.T) {
	clock := capture.NewClock()
	props := capture.AudioProps{SampleRate: 48000, Channels: 1}
	tone, err := synth.NewTone(clock, props, 440, 480)
	if err != nil {
		t.Fatal(err)
	}
	a := Audio(&failingAudio{Tone: tone, n: 1}, clock, nil)
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 5 {
		f, err := a.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A frame is never handed out before the clock reaches its PTS.
		if now := clock.Now(); f.PTS > now {
			t.Fatalf("frame at %v returned at %v: early", f.PTS, now)
		}
		f.Release()
	}
}

func BenchmarkVideoPassThrough(b *testing.B) {
	clock := capture.NewClock()
	pat, _ := synth.NewPattern(clock, capture.VideoProps{Width: 1280, Height: 720, FPS: 30}, synth.Unpaced())
	v := newVideo(pat, clock, nil)
	defer v.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := v.Read(ctx)
		f.Release()
	}
}
