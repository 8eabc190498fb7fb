package failover

import (
	"context"
	"errors"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/synth"
)

// fakeAudio hands out frames of `size` samples per channel with the value
// `level`, contiguous from start, then fails with fail (after n frames; n < 0:
// never), or stalls until ctx ends when fail is nil.
type fakeAudio struct {
	props       capture.AudioProps
	start       time.Duration
	size, n     int
	level       int16
	fail        error
	reads, sent int
}

func (f *fakeAudio) Props() capture.AudioProps { return f.props }
func (f *fakeAudio) Close() error              { return nil }

func (f *fakeAudio) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if f.reads++; f.n >= 0 && f.reads > f.n {
		if f.fail != nil {
			return nil, f.fail
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	s := make([]int16, f.size*f.props.Channels)
	for i := range s {
		s[i] = f.level
	}
	pts := f.start + samplesDur(int64(f.sent*f.size), f.props.SampleRate)
	f.sent++
	return capture.NewAudioFrame(s, f.props.SampleRate, f.props.Channels, pts, nil), nil
}

// readTimeline reads n frames and checks that each starts where the last
// ended; it returns the frames' first samples and their lengths.
func readTimeline(t *testing.T, a *AudioSource, n int) (first []int16, lens []int, end time.Duration) {
	t.Helper()
	var start time.Duration
	var count int64
	for i := range n {
		f, err := a.Read(context.Background())
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if i == 0 {
			start = f.PTS
		}
		if want := start + samplesDur(count, f.SampleRate); f.PTS != want {
			t.Fatalf("frame %d: PTS %v, want %v", i, f.PTS, want)
		}
		count += int64(len(f.Samples) / f.Channels)
		first = append(first, f.Samples[0])
		lens = append(lens, len(f.Samples)/f.Channels)
		f.Release()
	}
	return first, lens, start + samplesDur(count, 48000)
}

func TestAudioFailsOverToSilenceAndComesBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset time.Duration // where the reopened device starts, from the clock when it opens
	}{
		{"gap", 60 * time.Millisecond},
		{"overlap", -10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := capture.NewClock()
			props := capture.AudioProps{SampleRate: 48000, Channels: 2}
			// 960-sample frames (20 ms) before the loss.
			src := &fakeAudio{props: props, size: 960, n: 5, level: 7, fail: errUnplugged, start: clock.Now() - 100*time.Millisecond}
			st := newStatuses()
			opened := make(chan *fakeAudio, 1)
			a := Audio(src, clock, Options[capture.AudioSource]{
				Notify: st.notify, Retry: 30 * time.Millisecond,
				Reopen: func(context.Context) (capture.AudioSource, error) {
					f := &fakeAudio{props: props, size: 4096, n: -1, level: 9, start: clock.Now() + tc.offset}
					opened <- f
					return f, nil
				},
			})
			defer a.Close()
			first, _, _ := readTimeline(t, a, 5)
			for _, v := range first {
				if v != 7 {
					t.Fatal("device frames altered")
				}
			}
			var end time.Duration
			var last *capture.AudioFrame
			for i := 0; ; i++ {
				f, err := a.Read(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if f.Samples[0] != 0 {
						t.Fatal("the first frame after the loss is not silent")
					}
				} else if (f.PTS - end).Abs() > time.Microsecond { // PTS is exact; adding durations rounds
					t.Fatalf("frame %d at %v, the last ended at %v", i, f.PTS, end)
				}
				end = f.PTS + samplesDur(int64(len(f.Samples)/2), 48000)
				if f.Samples[0] == 9 {
					last = f
					break
				}
				if i > 100 {
					t.Fatal("the reopened device's audio never came through")
				}
			}
			dev := <-opened
			n := len(last.Samples) / 2
			switch {
			case tc.offset > 0 && last.PTS != dev.start && (last.PTS-dev.start).Abs() > 21*time.Microsecond:
				t.Errorf("device audio placed at %v, it starts at %v", last.PTS, dev.start)
			case tc.offset < 0 && (n >= 4096 || (last.PTS+samplesDur(int64(n), 48000)-dev.start-samplesDur(4096, 48000)).Abs() > 21*time.Microsecond):
				t.Errorf("overlapping frame: %d samples at %v; the device's frame ends at %v", n, last.PTS, dev.start+samplesDur(4096, 48000))
			}
			if s := <-st.ch; s.State != capture.SourceLost || !errors.Is(s.Err, errUnplugged) {
				t.Fatalf("status %+v", s)
			}
			if s := <-st.ch; s.State != capture.SourceOK {
				t.Fatalf("status %+v", s)
			}
		})
	}
}

func TestAudioStallBecomesPacedSilence(t *testing.T) {
	clock := capture.NewClock()
	props := capture.AudioProps{SampleRate: 48000, Channels: 1}
	tone, err := synth.NewTone(clock, props, 440, 480)
	if err != nil {
		t.Fatal(err)
	}
	st := newStatuses()
	a := Audio(&stallAfter{Tone: tone, n: 1}, clock, Options[capture.AudioSource]{Notify: st.notify, Stall: 50 * time.Millisecond})
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
	if s := <-st.ch; s.State != capture.SourceLost || !errors.Is(s.Err, ErrStalled) {
		t.Fatalf("status %+v", s)
	}
}

// stallAfter passes n frames of a tone, then blocks until ctx ends.
type stallAfter struct {
	*synth.Tone
	n, reads int
}

func (s *stallAfter) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if s.reads++; s.reads > s.n {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.Tone.Read(ctx)
}

func BenchmarkAudioPassThrough(b *testing.B) {
	clock := capture.NewClock()
	a := newAudio(&fakeAudio{props: capture.AudioProps{SampleRate: 48000, Channels: 2}, size: 1024, n: -1}, clock, Options[capture.AudioSource]{}, true)
	defer a.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := a.Read(ctx)
		f.Release()
	}
}

func BenchmarkVideoPassThrough(b *testing.B) {
	clock := capture.NewClock()
	pat, _ := synth.NewPattern(clock, capture.VideoProps{Width: 1280, Height: 720, FPS: 30}, synth.Unpaced())
	v := newVideo(pat, clock, Options[capture.VideoSource]{})
	defer v.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := v.Read(ctx)
		f.Release()
	}
}
