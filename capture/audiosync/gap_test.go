package audiosync

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"studio/capture"
)

// feed pushes blocks of ms milliseconds from d until its capture time
// reaches until, with arrivals delayed to at least notBefore (a reader stall).
func feed(a *Aligner, d *device, s *sink, ms, until, notBefore float64) {
	frames := int(float64(d.rate) * ms / 1000)
	for d.captureTime(float64(d.n)) < until {
		smp, arr := d.read(frames, 0)
		if nb := time.Duration(notBefore * 1e9); arr < nb {
			arr = nb
		}
		s.add(a.Push(smp, d.rate, d.ch, arr))
	}
}

func mono48() capture.AudioProps { return capture.AudioProps{SampleRate: 48000, Channels: 1} }

// A device that loses 300 ms of samples: exact silence fills the gap and
// the audio after it is on the clock again.
func TestGapFillsSilence(t *testing.T) {
	a := New(mono48(), 1024)
	d := &device{rate: 48000, ch: 1, start: 1, jitter: 0.002, rng: rand.New(rand.NewPCG(3, 4)), signal: tone(440, 16000)}
	s := newSink(mono48(), 1024, true)
	feed(a, d, s, 20, 4, 0)
	gapStart := d.captureTime(float64(d.n))
	d.skip(48000 * 3 / 10)
	gapEnd := d.captureTime(float64(d.n))
	feed(a, d, s, 20, 6, 0)
	st := a.Stats()
	e := lockError(a, d)
	t.Logf("stats %+v, lock error after the gap %.2f ms", st, e*1e3)
	if st.Gaps != 1 || st.Relocks != 2 {
		t.Errorf("stats %+v: want one gap and two locks", st)
	}
	if got := float64(st.SilenceSamples) / 48000; math.Abs(got-0.3) > 0.005 {
		t.Errorf("%.4f s of silence, want 0.300±0.005", got)
	}
	if math.Abs(e) > 0.005 {
		t.Errorf("lock error %.2f ms after the gap", e*1e3)
	}
	if s.gaps != 0 {
		t.Errorf("%d frames off the contiguous timeline", s.gaps)
	}
	for i, v := range s.samples[0] {
		if pts := s.ptsAt(int64(i)); pts > gapStart+0.005 && pts < gapEnd-0.005 && v != 0 {
			t.Fatalf("sample at %.4f s inside the gap is %v, want silence", pts, v)
		}
	}
}

// A reader that stalls 200 ms while the device buffers reads a burst of
// late blocks: the audio is continuous, so nothing is inserted or dropped.
func TestReaderStallIsNotAGap(t *testing.T) {
	a := New(mono48(), 1024)
	d := &device{rate: 48000, ch: 1, start: 1, jitter: 0.002, rng: rand.New(rand.NewPCG(5, 6)), signal: tone(440, 16000)}
	s := newSink(mono48(), 1024, false)
	c := newToneCheck(440, 16000, 48000, 1.5)
	s.onSample = func(t float64, v []float64) { c.add(t, v[0]) }
	feed(a, d, s, 20, 4, 0)
	feed(a, d, s, 20, 4.2, 4.2) // blocks captured in [4, 4.2] all arrive at 4.2
	feed(a, d, s, 20, 8, 0)
	st := a.Stats()
	t.Logf("stats %+v, lock error %.2f ms", st, lockError(a, d)*1e3)
	if st.Gaps != 0 || st.Relocks != 1 || st.SilenceSamples != 0 || st.DroppedSamples != 0 {
		t.Errorf("stats %+v: want no gap, silence or drop", st)
	}
	if math.Abs(lockError(a, d)) > 0.005 {
		t.Errorf("lock error %.2f ms", lockError(a, d)*1e3)
	}
	checkTone(t, "mono", c, 440, -60)
}

// A device that delivers half a second of stale audio at once: the input
// overlapping what was already played is dropped and the output stays on
// the clock, with the tone's phase intact (the re-lock restarts the
// interpolator, so the few samples within its reach of the splice differ).
func TestStaleBurstIsDropped(t *testing.T) {
	a := New(mono48(), 1024)
	d := &device{rate: 48000, ch: 1, start: 1, jitter: 0.002, rng: rand.New(rand.NewPCG(7, 8)), signal: tone(440, 16000)}
	s := newSink(mono48(), 1024, false)
	c := newToneCheck(440, 16000, 48000, 1.5)
	after := newToneCheck(440, 16000, 48000, 4.1)
	s.onSample = func(t float64, v []float64) { c.add(t, v[0]); after.add(t, v[0]) }
	feed(a, d, s, 20, 4, 0)
	d.start -= 0.5 // the next samples were captured 0.5 s earlier than the count says
	smp, arr := d.read(48000*52/100, 0)
	s.add(a.Push(smp, 48000, 1, arr))
	feed(a, d, s, 20, 8, 0)
	st := a.Stats()
	e := lockError(a, d)
	t.Logf("stats %+v, lock error %.2f ms", st, e*1e3)
	if st.Relocks != 2 || st.Gaps != 0 || st.SilenceSamples != 0 {
		t.Errorf("stats %+v: want one re-lock and no silence", st)
	}
	if got := float64(st.DroppedSamples) / 48000; math.Abs(got-0.5) > 0.005 {
		t.Errorf("dropped %.4f s, want 0.500±0.005", got)
	}
	if math.Abs(e) > 0.005 {
		t.Errorf("lock error %.2f ms", e*1e3)
	}
	if s.gaps != 0 {
		t.Errorf("%d frames off the contiguous timeline", s.gaps)
	}
	const splice = 4.0 // when the burst arrived
	for _, at := range c.clickAt {
		if math.Abs(at-splice) > 0.025 {
			t.Errorf("discontinuity at %.4f s, away from the splice at %.3f s", at, splice)
		}
	}
	t.Logf("%d samples near the splice differ from the tone", c.clicks)
	checkTone(t, "after the splice", after, 440, -60)
}
