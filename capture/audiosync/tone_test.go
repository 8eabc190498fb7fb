package audiosync

import (
	"math"
	"math/rand/v2"
	"testing"

	"studio/capture"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// toneRun feeds a device's tone for secs seconds in blocks of 10–50 ms and
// returns the output checkers per channel.
type toneRun struct {
	inRate, inCh int
	skew, jitter float64
	out          capture.AudioProps
	from         float64 // PTS (s) before which the output is not checked; default 1.5
	freq         float64
	amp          []float64
	secs         float64
	fitEvery     int // sine-fit one 100 ms block in fitEvery (default 4)
	// per-push observation, after the push
	observe func(a *Aligner, d *device)
}

func (r toneRun) run(t *testing.T) (*Aligner, *sink, []*toneCheck) {
	t.Helper()
	const frameSamples = 1024
	a := New(r.out, frameSamples)
	d := &device{rate: r.inRate, ch: r.inCh, skew: r.skew, start: 1.0, jitter: r.jitter,
		rng: rand.New(rand.NewPCG(1, 2)), signal: tone(r.freq, r.amp...)}
	s := newSink(r.out, frameSamples, false)
	want := make([]float64, r.out.Channels)
	for c := range want {
		switch {
		case r.inCh == r.out.Channels:
			want[c] = r.amp[c]
		case r.inCh == 1:
			want[c] = r.amp[0]
		default:
			want[c] = (r.amp[0] + r.amp[1]) / 2
		}
	}
	checks := make([]*toneCheck, r.out.Channels)
	for c := range checks {
		from := r.from
		if from == 0 {
			from = 1.5
		}
		checks[c] = newToneCheck(r.freq, want[c], float64(r.out.SampleRate), from)
		checks[c].fitEvery = r.fitEvery
		if r.fitEvery == 0 {
			checks[c].fitEvery = 4
		}
	}
	s.onSample = func(t float64, v []float64) {
		for c, x := range v {
			checks[c].add(t, x)
		}
	}
	ms := func() int { return int(float64(r.inRate) * (0.010 + 0.040*d.rng.Float64())) }
	for d.captureTime(float64(d.n)) < d.start+r.secs {
		samples, arr := d.read(ms(), 0)
		s.add(a.Push(samples, r.inRate, r.inCh, arr))
		if r.observe != nil {
			r.observe(a, d)
		}
	}
	if s.gaps != 0 {
		t.Errorf("%d frames off the contiguous PTS timeline", s.gaps)
	}
	return a, s, checks
}

func checkTone(t *testing.T, name string, c *toneCheck, freq, minDB float64) {
	t.Helper()
	db := c.residualDB()
	f := c.frequency(0)
	t.Logf("%s: residual %.1f dB, frequency %.4f Hz on PTS, worst recurrence residual %.2g, %d clicks", name, db, f, c.worst, c.clicks)
	if db > minDB {
		t.Errorf("%s: residual %.1f dB, want below %.0f dB", name, db, minDB)
	}
	if math.Abs(f-freq) > 0.5 {
		t.Errorf("%s: frequency %.3f Hz on the PTS timeline, want %.1f±0.5", name, f, freq)
	}
	if c.clicks != 0 {
		t.Errorf("%s: %d discontinuities", name, c.clicks)
	}
}

func TestTone44k1MonoTo48kStereo(t *testing.T) {
	_, _, cs := toneRun{inRate: 44100, inCh: 1, out: capture.AudioProps{SampleRate: 48000, Channels: 2},
		freq: 440, amp: []float64{16000}, secs: 20, jitter: 0.010}.run(t)
	checkTone(t, "left", cs[0], 440, -60)
	checkTone(t, "right", cs[1], 440, -60)
}

func TestTone48kStereoTo48kStereo(t *testing.T) {
	_, _, cs := toneRun{inRate: 48000, inCh: 2, out: capture.AudioProps{SampleRate: 48000, Channels: 2},
		freq: 440, amp: []float64{16000, 8000}, secs: 20, jitter: 0.010}.run(t)
	checkTone(t, "left", cs[0], 440, -60)
	checkTone(t, "right", cs[1], 440, -60)
}

// High tones show aliasing and interpolation error, which grow with
// frequency; a skewed device makes the ratio non-trivial even at 48 kHz.
// They are checked once the ratio has settled (after 15 s).
func TestToneHighFrequencies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inRate int
		skew   float64
		freq   float64
		db     float64
	}{
		{"4k 44k1", 44100, 0, 4000, -60},
		{"8k 44k1", 44100, 0, 8000, -60},
		{"6k 48k +0.5%", 48000, 0.005, 6000, -60},
		{"8k 48k -0.5%", 48000, -0.005, 8000, -60},
		{"15k 44k1", 44100, 0, 15000, -60},
		{"10k 96k", 96000, 0.003, 10000, -60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, cs := toneRun{inRate: tc.inRate, inCh: 1, skew: tc.skew, out: capture.AudioProps{SampleRate: 48000, Channels: 1},
				freq: tc.freq, amp: []float64{16000}, secs: 25, jitter: 0.005, from: 15}.run(t)
			db := cs[0].residualDB()
			t.Logf("%s: residual %.1f dB", tc.name, db)
			if db > tc.db {
				t.Errorf("residual %.1f dB, want below %.0f", db, tc.db)
			}
		})
	}
}

// Going down in rate, tones above the output's Nyquist frequency must not
// fold back into the band.
func TestDownsamplingDoesNotAlias(t *testing.T) {
	for _, tc := range []struct {
		inRate, outRate int
		freq, db        float64
	}{
		{48000, 44100, 23500, -60},
		{96000, 48000, 30000, -60},
		{96000, 44100, 40000, -60},
	} {
		out := capture.AudioProps{SampleRate: tc.outRate, Channels: 1}
		a := New(out, 1024)
		s := newSink(out, 1024, true)
		d := &device{rate: tc.inRate, ch: 1, start: 1, signal: tone(tc.freq, 16000)}
		feed(a, d, s, 20, 3, 0)
		var sum float64
		x := s.samples[0][tc.outRate:]
		for _, v := range x {
			sum += v * v
		}
		db := 10 * math.Log10(sum/float64(len(x))/(16000*16000/2))
		t.Logf("%d Hz tone at %d Hz to %d Hz: %.1f dB", int(tc.freq), tc.inRate, tc.outRate, db)
		if db > tc.db {
			t.Errorf("%d Hz tone at %d Hz to %d Hz came through at %.1f dB, want below %.0f", int(tc.freq), tc.inRate, tc.outRate, db, tc.db)
		}
	}
}
