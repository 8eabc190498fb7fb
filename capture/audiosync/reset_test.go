package audiosync

import (
	"math"
	"math/rand/v2"
	"testing"

	"studio/capture"
)

// saw is a sawtooth on media time, 1000 input samples per period from
// start, so that each output sample's value tells the input time it came
// from to a fraction of a sample.
func saw(start float64, rate int) func(float64, int) float64 {
	return func(t float64, _ int) float64 {
		p := (t - start) * float64(rate) / 1000
		return (p-math.Floor(p))*32000 - 16000
	}
}

// checkSaw checks the output samples from PTS from onward against the
// sawtooth, away from its wraps, to half an output sample.
func checkSaw(t *testing.T, s *sink, start float64, rate int, from float64) {
	t.Helper()
	sig := saw(start, rate)
	checked, worst := 0, 0.0
	for i, v := range s.samples[0] {
		pts := s.ptsAt(int64(i))
		p := (pts - start) * float64(rate) / 1000
		if pts < from || p-math.Floor(p) < 0.02 || p-math.Floor(p) > 0.98 {
			continue
		}
		checked++
		worst = max(worst, math.Abs(v-sig(pts, 0)))
	}
	// one output sample moves the sawtooth by 32·rate/48000 LSB
	limit := 16 * float64(rate) / 48000
	t.Logf("sawtooth: %d samples checked, worst error %.1f LSB (limit %.1f)", checked, worst, limit)
	if checked < 1000 || worst > limit {
		t.Errorf("sawtooth off by %.1f LSB over %d samples, want within %.1f", worst, checked, limit)
	}
}

// After Reset, a device that starts later: silence from the old audio's end
// to the new device's first sample, which lands at its capture time.
func TestResetFillsSilence(t *testing.T) {
	out := capture.AudioProps{SampleRate: 48000, Channels: 1}
	a := New(out, 1024)
	s := newSink(out, 1024, true)
	d := &device{rate: 48000, ch: 2, start: 1, signal: tone(440, 10000, 10000)}
	feed(a, d, s, 20, 3, 0)
	oldEnd := d.captureTime(float64(d.n))
	next := a.Next()
	a.Reset()
	if a.Next() != next {
		t.Fatalf("Reset moved Next from %v to %v", next, a.Next())
	}
	startB := oldEnd + 0.7
	b := &device{rate: 44100, ch: 1, start: startB, signal: saw(startB, 44100)}
	feed(a, b, s, 20, startB+2, 0)
	st := a.Stats()
	t.Logf("stats %+v", st)
	if got, want := st.SilenceSamples, int64(math.Round(0.7*48000)); got < want-1 || got > want+1 {
		t.Errorf("%d samples of silence, want %d±1", got, want)
	}
	for i, v := range s.samples[0] {
		if pts := s.ptsAt(int64(i)); pts > oldEnd+0.001 && pts < startB-0.001 && v != 0 {
			t.Fatalf("sample at %.4f s is %v, want silence", pts, v)
		}
	}
	checkSaw(t, s, startB, 44100, startB+0.001)
	if s.gaps != 0 {
		t.Errorf("%d frames off the contiguous timeline", s.gaps)
	}
}

// After Reset, a device whose first block reaches back before the output's
// end: the overlapping input is dropped and the rest lands on its time.
func TestResetDropsOverlap(t *testing.T) {
	out := capture.AudioProps{SampleRate: 48000, Channels: 1}
	a := New(out, 1024)
	s := newSink(out, 1024, true)
	d := &device{rate: 48000, ch: 1, start: 1, signal: tone(440, 10000)}
	feed(a, d, s, 20, 3, 0)
	oldEnd := d.captureTime(float64(d.n))
	a.Reset()
	startB := oldEnd - 0.3 // its buffer holds 0.3 s from before the old device's end
	b := &device{rate: 44100, ch: 2, start: startB, signal: saw(startB, 44100)}
	smp, arr := b.read(44100*32/100, 0)
	s.add(a.Push(smp, 44100, 2, arr))
	feed(a, b, s, 20, startB+2, 0)
	st := a.Stats()
	t.Logf("stats %+v", st)
	if st.SilenceSamples != 0 {
		t.Errorf("%d samples of silence, want none", st.SilenceSamples)
	}
	if want := int64(math.Round(0.3 * 44100)); st.DroppedSamples < want-2 || st.DroppedSamples > want+2 {
		t.Errorf("dropped %d input samples, want %d±2", st.DroppedSamples, want)
	}
	checkSaw(t, s, startB, 44100, oldEnd+0.001)
	if s.gaps != 0 {
		t.Errorf("%d frames off the contiguous timeline", s.gaps)
	}
}

// A first block that reaches back before the clock's zero starts the
// output at 0 and drops the earlier input.
func TestStartNotBeforeZero(t *testing.T) {
	out := capture.AudioProps{SampleRate: 48000, Channels: 1}
	a := New(out, 480)
	s := newSink(out, 480, true)
	d := &device{rate: 48000, ch: 1, start: -0.1, signal: saw(-0.1, 48000)}
	smp, arr := d.read(48000*15/100, 0) // 150 ms arriving at 50 ms
	s.add(a.Push(smp, 48000, 1, arr))
	feed(a, d, s, 20, 1, 0)
	if s.first != 0 {
		t.Errorf("first PTS %v, want 0", s.first)
	}
	if st := a.Stats(); st.DroppedSamples != 4800 {
		t.Errorf("dropped %d samples, want 4800", st.DroppedSamples)
	}
	checkSaw(t, s, -0.1, 48000, 0.001)
}

// Channel conversion: mono is duplicated, stereo averaged to mono, stereo
// kept; a DC level comes through exactly.
func TestChannels(t *testing.T) {
	for _, tc := range []struct {
		name        string
		inCh, outCh int
		in, want    []float64
	}{
		{"mono to stereo", 1, 2, []float64{7000}, []float64{7000, 7000}},
		{"stereo to mono", 2, 1, []float64{10000, -4000}, []float64{3000}},
		{"stereo to stereo", 2, 2, []float64{10000, -4000}, []float64{10000, -4000}},
		{"mono to mono", 1, 1, []float64{-1234}, []float64{-1234}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := capture.AudioProps{SampleRate: 48000, Channels: tc.outCh}
			a := New(out, 256)
			s := newSink(out, 256, true)
			d := &device{rate: 44100, ch: tc.inCh, start: 1, signal: func(_ float64, c int) float64 { return tc.in[c] }}
			feed(a, d, s, 10, 2, 0)
			for c, w := range tc.want {
				for i, v := range s.samples[c][2400:] {
					if v != w {
						t.Fatalf("channel %d sample %d is %v, want %v", c, i+2400, v, w)
					}
				}
			}
		})
	}
}

func TestRejectsBadBlocks(t *testing.T) {
	a := New(capture.AudioProps{SampleRate: 48000, Channels: 2}, 1024)
	buf := make([]int16, 960)
	for _, tc := range []struct{ rate, ch int }{{0, 1}, {48000, 0}, {48000, 3}, {999, 1}, {1 << 30, 2}} {
		if f := a.Push(buf, tc.rate, tc.ch, 0); len(f) != 0 {
			t.Errorf("rate %d channels %d: got frames", tc.rate, tc.ch)
		}
	}
	if st := a.Stats(); st.Rejected != 5 || st.Relocks != 0 {
		t.Errorf("stats %+v, want 5 rejected blocks and nothing else", st)
	}
	if a.Next() != 0 || a.DriftPPM() != 0 {
		t.Errorf("Next %v DriftPPM %v before any valid block", a.Next(), a.DriftPPM())
	}
}

// Steady-state pushes allocate nothing when the caller reuses dst.
func TestSteadyStateAllocations(t *testing.T) {
	out := capture.AudioProps{SampleRate: 48000, Channels: 2}
	a := New(out, 1024)
	d := &device{rate: 44100, ch: 1, start: 1, signal: tone(440, 10000)}
	s := newSink(out, 1024, false)
	feed(a, d, s, 20, 6, 0)
	var dst []*capture.AudioFrame
	allocs := testing.AllocsPerRun(200, func() {
		smp, arr := d.read(882, 0)
		dst = a.PushAppend(dst[:0], smp, 44100, 1, arr)
		for _, f := range dst {
			f.Release()
		}
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per push, want 0", allocs)
	}
}

// Reset with the same rate and channels restarts the drift estimate from
// the old one: DriftPPM reads 0 until the new data suffices, and the lock
// error stays within the first block's arrival jitter (no start-up
// transient while the rate is learnt again).
func TestResetKeepsDriftGuess(t *testing.T) {
	out := capture.AudioProps{SampleRate: 48000, Channels: 2}
	a := New(out, 1024)
	s := newSink(out, 1024, false)
	d := &device{rate: 48000, ch: 2, skew: 0.005, start: 1, jitter: 0.01, rng: rand.New(rand.NewPCG(9, 10)), signal: tone(440, 10000, 10000)}
	feed(a, d, s, 20, 21, 0)
	a.Reset()
	if a.DriftPPM() != 0 {
		t.Errorf("DriftPPM %.0f right after Reset, want 0", a.DriftPPM())
	}
	d.skip(48000 / 5) // reopened 200 ms later
	worst := 0.0
	for d.captureTime(float64(d.n)) < 31 {
		smp, arr := d.read(960, 0)
		s.add(a.Push(smp, 48000, 2, arr))
		worst = max(worst, math.Abs(lockError(a, d)))
	}
	t.Logf("after Reset: worst lock error %.2f ms, DriftPPM %.0f, stats %+v", worst*1e3, a.DriftPPM(), a.Stats())
	if worst > 0.015 {
		t.Errorf("lock error reached %.1f ms after Reset, want within 15 ms", worst*1e3)
	}
	if math.Abs(a.DriftPPM()-5000) > 1000 {
		t.Errorf("DriftPPM %.0f, want 5000±1000", a.DriftPPM())
	}
	if s.gaps != 0 {
		t.Errorf("%d frames off the contiguous timeline", s.gaps)
	}
}
