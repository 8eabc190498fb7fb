package tap

import (
	"context"
	"image"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var stereo = capture.AudioProps{SampleRate: 48000, Channels: 2}

func tone(t testing.TB) *synth.Tone {
	src, err := synth.NewTone(capture.NewClock(), stereo, 1000, 1024, synth.Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestVideoTapInterval(t *testing.T) {
	src, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: 64, Height: 36, FPS: 30}, synth.Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	var seen []time.Duration
	v := Video(src, 100*time.Millisecond, func(img *image.YCbCr, pts time.Duration) {
		if img == nil || img.Rect.Dx() != 64 {
			t.Errorf("preview image %v", img)
		}
		seen = append(seen, pts)
	})
	defer v.Close()
	if v.Props() != src.Props() {
		t.Errorf("props %v", v.Props())
	}
	ctx := context.Background()
	var start time.Duration
	for i := range 30 { // one second at 30 fps
		f, err := v.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			start = f.PTS
		}
		if f.Seq != uint64(i) {
			t.Fatalf("frame %d has seq %d: frames must pass through", i, f.Seq)
		}
		f.Release()
	}
	// Frames every 33.3 ms, previews at least 100 ms apart: 0, 100, 200, …
	if len(seen) != 10 || seen[0] != start {
		t.Errorf("previews at %v, want 10 from %v", seen, start)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i]-seen[i-1] < 100*time.Millisecond {
			t.Errorf("previews %v and %v closer than the interval", seen[i-1], seen[i])
		}
	}
}

func TestAudioLevelsOfTone(t *testing.T) {
	var levels []Level
	a := Audio(tone(t), func(l Level) { levels = append(levels, l) })
	defer a.Close()
	ctx := context.Background()
	for range 10 {
		f, err := a.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	if len(levels) != 10 {
		t.Fatalf("%d levels for 10 frames", len(levels))
	}
	// ToneLevel 0.25: peak -12 dBFS, RMS 3 dB lower.
	wantPeak := 20 * math.Log10(synth.ToneLevel)
	for i, l := range levels {
		if math.Abs(l.PeakDBFS-wantPeak) > 0.1 || math.Abs(l.RMSDBFS-(wantPeak-3.01)) > 0.1 {
			t.Errorf("frame %d: peak %.2f RMS %.2f dBFS, want %.2f and %.2f", i, l.PeakDBFS, l.RMSDBFS, wantPeak, wantPeak-3.01)
		}
	}
	if levels[1].PTS-levels[0].PTS != time.Second*1024/48000 {
		t.Errorf("level PTS %v, %v", levels[0].PTS, levels[1].PTS)
	}
}

func TestAudioMute(t *testing.T) {
	var last Level
	a := Audio(tone(t), func(l Level) { last = l })
	defer a.Close()
	ctx := context.Background()
	f, _ := a.Read(ctx)
	pts0 := f.PTS
	f.Release()
	a.SetMuted(true)
	if !a.Muted() {
		t.Fatal("Muted() = false after SetMuted(true)")
	}
	f, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range f.Samples {
		if v != 0 {
			t.Fatalf("muted sample %d = %d", i, v)
		}
	}
	if len(f.Samples) != 2048 || f.PTS != pts0+time.Second*1024/48000 {
		t.Errorf("muted frame: %d samples at %v; size and timing must not change", len(f.Samples), f.PTS)
	}
	f.Release()
	if !math.IsInf(last.PeakDBFS, -1) || !math.IsInf(last.RMSDBFS, -1) {
		t.Errorf("muted level %+v, want -Inf", last)
	}
	a.SetMuted(false)
	f, _ = a.Read(ctx)
	f.Release()
	if last.PeakDBFS < -13 {
		t.Errorf("unmuted level %+v", last)
	}
}

func TestSubscribeCopiesAndCancels(t *testing.T) {
	a := Audio(tone(t), nil)
	got := make(chan []int16, 100)
	cancel := a.Subscribe(func(s []int16, rate, ch int) {
		if rate != 48000 || ch != 2 {
			t.Errorf("subscriber got %d Hz %d ch", rate, ch)
		}
		got <- append([]int16(nil), s...)
	})
	ctx := context.Background()
	f, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]int16(nil), f.Samples...)
	f.Release()
	select {
	case s := <-got:
		if len(s) != len(want) || s[1] != want[1] || s[100] != want[100] {
			t.Error("subscriber got different samples")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber got nothing")
	}
	cancel()
	cancel()
	// After cancel nothing more arrives (the goroutine is gone: goleak).
	f, _ = a.Read(ctx)
	f.Release()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
		t.Error("subscriber called after cancel")
	default:
	}
}

func TestSlowSubscriberNeverBlocks(t *testing.T) {
	a := Audio(tone(t), nil)
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	calls := 0
	a.Subscribe(func([]int16, int, int) {
		calls++
		select {
		case entered <- struct{}{}:
		default:
		}
		<-block
	})
	ctx := context.Background()
	f, _ := a.Read(ctx)
	f.Release()
	<-entered // the subscriber is stuck in its first call
	for range 100 {
		f, err := a.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	close(block)
	_ = a.Close() // stops the subscriber (Close owns it)
	if calls > 1+subQueue {
		t.Errorf("%d calls: a stuck subscriber should get at most its queue", calls)
	}
	if a.Subscribe(func([]int16, int, int) {}) == nil {
		t.Error("Subscribe after Close returned nil")
	}
}

func TestAudioTapZeroAllocs(t *testing.T) {
	a := Audio(tone(t), func(Level) {})
	defer a.Close()
	cancel := a.Subscribe(func([]int16, int, int) {})
	defer cancel()
	ctx := context.Background()
	for range 20 {
		f, _ := a.Read(ctx)
		f.Release()
	}
	if n := testing.AllocsPerRun(200, func() {
		f, _ := a.Read(ctx)
		f.Release()
	}); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

func BenchmarkAudioTap(b *testing.B) {
	a := Audio(tone(b), func(Level) {})
	defer a.Close()
	cancel := a.Subscribe(func([]int16, int, int) {})
	defer cancel()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := a.Read(ctx)
		f.Release()
	}
}

func BenchmarkToneAlone(b *testing.B) {
	src := tone(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := src.Read(ctx)
		f.Release()
	}
}

func BenchmarkVideoTap720p(b *testing.B) {
	src, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: 1280, Height: 720, FPS: 30}, synth.Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	v := Video(src, 100*time.Millisecond, func(*image.YCbCr, time.Duration) {})
	defer v.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := v.Read(ctx)
		f.Release()
	}
}
