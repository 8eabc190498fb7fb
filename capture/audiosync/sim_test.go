package audiosync

import (
	"math"
	"math/rand/v2"
	"time"

	"studio/capture"
)

// device simulates a sound card: a nominal rate, a real rate off by skew
// against the media clock, and a signal defined on media time (so that a
// locked output reproduces it exactly at its PTS).
type device struct {
	rate, ch int
	skew     float64 // real rate = rate·(1+skew) samples per media second
	start    float64 // media time (s) at which sample 0 was captured
	jitter   float64 // arrivals are uniform in ±jitter (s) around the true time
	rng      *rand.Rand
	n        int64 // samples produced
	// signal returns channel c's value at media time t.
	signal func(t float64, c int) float64
	buf    []int16
}

func (d *device) realRate() float64 { return float64(d.rate) * (1 + d.skew) }

// captureTime returns the media time at which sample j was captured.
func (d *device) captureTime(j float64) float64 { return d.start + j/d.realRate() }

// read returns the next frames samples and their arrival time (the
// capture time of the end of the block, plus jitter, plus extra).
func (d *device) read(frames int, extra float64) ([]int16, time.Duration) {
	d.buf = d.buf[:0]
	for i := 0; i < frames; i++ {
		t := d.captureTime(float64(d.n))
		for c := 0; c < d.ch; c++ {
			d.buf = append(d.buf, int16(math.Round(d.signal(t, c))))
		}
		d.n++
	}
	arr := d.captureTime(float64(d.n)) + extra
	if d.jitter > 0 {
		arr += (d.rng.Float64()*2 - 1) * d.jitter
	}
	return d.buf, time.Duration(arr * 1e9)
}

// skip drops frames samples, as a device that lost them.
func (d *device) skip(frames int) { d.n += int64(frames) }

// tone returns a signal of amplitude amp[c] at freq Hz.
func tone(freq float64, amp ...float64) func(float64, int) float64 {
	return func(t float64, c int) float64 { return amp[c] * math.Sin(2*math.Pi*freq*t) }
}

// lockError is the output time of the sample being produced minus the true
// capture time of the input sample being read.
func lockError(a *Aligner, d *device) float64 {
	held := int64(0)
	if a.hold.active {
		held = a.hold.frames
	}
	idx0 := d.n - held - a.idx // device index of the resampler's index 0
	out := float64(a.out.base)/1e9 + a.outNow()
	return out - d.captureTime(float64(idx0)+a.rs.position())
}

// sink collects output frames, checks that their PTS are contiguous, and
// keeps channel samples (or only feeds an analyzer).
type sink struct {
	rate, ch, frameSamples int
	first                  time.Duration
	frames                 int64
	gaps                   int // PTS discontinuities
	keep                   bool
	samples                [][]float64 // per channel, when keep
	onSample               func(t float64, v []float64)
	tmp                    []float64
}

func newSink(out capture.AudioProps, frameSamples int, keep bool) *sink {
	return &sink{rate: out.SampleRate, ch: out.Channels, frameSamples: frameSamples, keep: keep,
		samples: make([][]float64, out.Channels), tmp: make([]float64, out.Channels)}
}

// ptsAt returns the exact time (s) of output sample n.
func (s *sink) ptsAt(n int64) float64 {
	return float64(s.first)/1e9 + float64(n)/float64(s.rate)
}

// ptsOf returns the PTS frame k must carry.
func (s *sink) ptsOf(k int64) time.Duration {
	n := k * int64(s.frameSamples)
	return s.first + time.Duration(n/int64(s.rate))*time.Second + time.Duration((n%int64(s.rate))*int64(time.Second)/int64(s.rate))
}

func (s *sink) add(frames []*capture.AudioFrame) {
	for _, f := range frames {
		if s.frames == 0 {
			s.first = f.PTS
		}
		n := s.frames * int64(s.frameSamples)
		if f.PTS != s.ptsOf(s.frames) || f.SampleRate != s.rate || f.Channels != s.ch || len(f.Samples) != s.frameSamples*s.ch {
			s.gaps++
		}
		for i := 0; i < s.frameSamples; i++ {
			for c := 0; c < s.ch; c++ {
				v := float64(f.Samples[i*s.ch+c])
				s.tmp[c] = v
				if s.keep {
					s.samples[c] = append(s.samples[c], v)
				}
			}
			if s.onSample != nil {
				s.onSample(s.ptsAt(n+int64(i)), s.tmp)
			}
		}
		s.frames++
		f.Release()
	}
}

// toneCheck follows one channel of a tone: discontinuities (the 2cos(ω)
// recurrence failing by more than 1% of the amplitude), rising zero
// crossings on the PTS timeline for the frequency, and the residual of a
// local sine fit.
type toneCheck struct {
	freq, amp, rate float64
	from            float64 // ignore samples before this PTS (s)
	k               float64 // 2cos(ω)
	x1, x2          float64
	n               int64
	clicks          int
	clickAt         []float64 // PTS of the first 100 clicks
	worst           float64   // largest recurrence residual / amp
	zc              []float64
	zcFrom          float64 // crossings before this PTS are not kept
	fitEvery        int     // fit one block of samples in fitEvery (0: all)
	blocks          int
	fit             sineFit
	resid, power    float64
}

func newToneCheck(freq, amp, rate, from float64) *toneCheck {
	c := &toneCheck{freq: freq, amp: amp, rate: rate, from: from, k: 2 * math.Cos(2*math.Pi*freq/rate)}
	c.fit.init(freq, int(rate/10))
	return c
}

func (c *toneCheck) add(t, x float64) {
	if t < c.from {
		c.x2, c.x1 = c.x1, x
		return
	}
	c.n++
	if c.n > 2 {
		r := math.Abs(x-c.k*c.x1+c.x2) / c.amp
		c.worst = max(c.worst, r)
		if r > 0.01 {
			c.clicks++
			if len(c.clickAt) < 100 {
				c.clickAt = append(c.clickAt, t)
			}
		}
		if c.x1 < 0 && x >= 0 && t >= c.zcFrom {
			c.zc = append(c.zc, t-(x/(x-c.x1))/c.rate)
		}
	}
	c.x2, c.x1 = c.x1, x
	if c.fitEvery > 1 && (c.blocks%c.fitEvery) != 0 {
		if len(c.fit.ts)+1 >= c.fit.n {
			c.fit.ts, c.fit.xs = c.fit.ts[:0], c.fit.xs[:0]
			c.blocks++
		} else {
			c.fit.ts = append(c.fit.ts, t)
		}
		return
	}
	if r, p, ok := c.fit.add(t, x); ok {
		c.blocks++
		c.resid += r
		c.power += p
	}
}

// residualDB is the residual power against the fitted sines, in dB.
func (c *toneCheck) residualDB() float64 { return 10 * math.Log10(c.resid/c.power) }

// frequency returns the mean frequency between the zero crossings after t.
func (c *toneCheck) frequency(after float64) float64 {
	i := 0
	for i < len(c.zc) && c.zc[i] < after {
		i++
	}
	z := c.zc[i:]
	if len(z) < 2 {
		return 0
	}
	return float64(len(z)-1) / (z[len(z)-1] - z[0])
}

// sineFit fits a·sin + b·cos + t·(c·sin + d·cos) + t²·(e·sin + f·cos) + g
// over blocks of n samples on the PTS timeline (the t terms absorb a
// slightly different frequency or amplitude, the t² terms a slow glide of the
// frequency), refining the frequency by Gauss-Newton, and returns each
// block's residual and signal power.
type sineFit struct {
	w  float64
	n  int
	ts []float64
	xs []float64
}

func (f *sineFit) init(freq float64, n int) { f.w, f.n = 2*math.Pi*freq, n }

func (f *sineFit) add(t, x float64) (resid, power float64, ok bool) {
	f.ts = append(f.ts, t)
	f.xs = append(f.xs, x)
	if len(f.ts) < f.n {
		return 0, 0, false
	}
	defer func() { f.ts, f.xs = f.ts[:0], f.xs[:0] }()
	tc := (f.ts[0] + f.ts[len(f.ts)-1]) / 2
	w := f.w
	var p [7]float64
	basis := func(t float64) [7]float64 {
		d := t - tc
		s, c := math.Sincos(w * d)
		return [7]float64{s, c, d * s, d * c, d * d * s, d * d * c, 1}
	}
	// Gauss-Newton on the frequency: the d·sin and d·cos terms measure
	// how far the block's frequency is from w.
	for iter := 0; iter < 3; iter++ {
		var ata [7][7]float64
		var atb [7]float64
		for i, t := range f.ts {
			b := basis(t)
			for r := 0; r < 7; r++ {
				atb[r] += b[r] * f.xs[i]
				for c := r; c < 7; c++ {
					ata[r][c] += b[r] * b[c]
				}
			}
		}
		for r := 0; r < 7; r++ {
			for c := 0; c < r; c++ {
				ata[r][c] = ata[c][r]
			}
		}
		p = solve7(ata, atb)
		if iter < 2 {
			w += (p[3]*p[0] - p[2]*p[1]) / (p[0]*p[0] + p[1]*p[1])
		}
	}
	for i, t := range f.ts {
		b := basis(t)
		y := 0.0
		for r := 0; r < 7; r++ {
			y += p[r] * b[r]
		}
		resid += (f.xs[i] - y) * (f.xs[i] - y)
		power += y * y
	}
	return resid, power, true
}

// solve7 solves a 7×7 system by Gaussian elimination with partial pivoting.
func solve7(a [7][7]float64, b [7]float64) [7]float64 {
	for c := 0; c < 7; c++ {
		p := c
		for r := c + 1; r < 7; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 7; r++ {
			m := a[r][c] / a[c][c]
			for k := c; k < 7; k++ {
				a[r][k] -= m * a[c][k]
			}
			b[r] -= m * b[c]
		}
	}
	var x [7]float64
	for r := 6; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 7; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x
}
