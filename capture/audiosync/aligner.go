package audiosync

import (
	"math"
	"sync"
	"time"

	"studio/capture"
)

// Timing rules, in seconds of media time.
const (
	gapThreshold   = 0.100 // a block this much later than the line is a gap candidate
	aheadThreshold = 0.100 // a block this much ahead of the line is stale: re-lock
	relockError    = 0.150 // output-to-input error that forces a re-lock
	lockTau        = 2.0   // time constant that pulls the lock error to zero
	maxCorrection  = 0.005 // largest ratio correction for the lock error
	slewPerSecond  = 1600e-6
	glideTau       = 0.5  // time constant (s) of the ratio's approach to its target
	maxFill        = 10.0 // most silence written by one Push
	minRate        = 1000
	maxRate        = 384000
	scratchFrames  = 1024
)

// Aligner converts blocks of device PCM into fixed-size frames on the media
// clock. It is safe for concurrent use; Push and Reset are meant to be called
// from one reading goroutine, Next, DriftPPM and Stats from any.
//
// Guarantees: frame PTS are contiguous (frame k+1 starts exactly
// frameSamples/rate after frame k, computed from an integer sample count);
// the device's rate is measured against the arrival times and the resampling
// ratio follows it, gliding sample by sample (at most 1600 ppm per second of
// output), so the pitch never steps; the lock error (output PTS minus the
// estimated capture time of the input being read) is pulled toward zero
// with a 2 s time constant. Gaps, stale bursts and Reset follow the rules in
// the package documentation. Frames are recycled through Release.
type Aligner struct {
	mu      sync.Mutex
	out     writer
	outRate float64
	started bool // the output timeline exists
	fresh   bool // Reset was called: the next Push configures a new device
	relock  bool // the next block re-locks the input to the output timeline
	forced  bool // the next re-lock uses forcedT0 instead of the block's own estimate
	forceT0 float64

	inRate, inCh int
	wc           int // working channels: min(inCh, out channels)
	rs           resampler
	live         bool  // rs holds input not yet drained
	idx          int64 // input index one past the last frame given to rs
	est          estimator
	g            ramp
	scratch      []float32
	dst          []*capture.AudioFrame

	hold  holdState
	stats Stats
}

// Stats counts what the Aligner did to keep the output on the clock.
type Stats struct {
	Frames         int64 // output frames emitted
	SilenceSamples int64 // output samples of inserted silence (per channel)
	DroppedSamples int64 // input samples dropped (overlap or stale data)
	Relocks        int64 // re-locks: first block, Reset, gaps, stale bursts, lost lock
	Gaps           int64 // confirmed gaps (late blocks that were not a catch-up burst)
	Rejected       int64 // blocks ignored: bad rate or channel count
}

// New returns an Aligner that outputs frames of frameSamples samples per
// channel at out.SampleRate with out.Channels (1 or 2) channels. Invalid
// values are replaced: a rate outside 1 kHz..384 kHz by 48000, channels
// other than 1 or 2 by 2, frameSamples < 1 by 1024.
func New(out capture.AudioProps, frameSamples int) *Aligner {
	if out.SampleRate < minRate || out.SampleRate > maxRate {
		out.SampleRate = 48000
	}
	if out.Channels != 1 && out.Channels != 2 {
		out.Channels = 2
	}
	if frameSamples < 1 {
		frameSamples = 1024
	}
	a := &Aligner{outRate: float64(out.SampleRate)}
	a.out.rate, a.out.ch, a.out.frameSamples = out.SampleRate, out.Channels, frameSamples
	a.out.pool.size = frameSamples * out.Channels
	a.scratch = make([]float32, scratchFrames*2)
	return a
}

// Push takes one block of device samples: interleaved int16, inChannels
// (1 or 2) channels, at the device's nominal rate inRate, read from the
// device at media-clock time arrival (the block's last sample was captured
// at about arrival minus a constant device latency). It returns the
// complete output frames that are now ready (possibly none), in order, each
// with its PTS on the media clock. The caller may reuse samples after Push
// returns. Returned frames own their memory; the caller calls Release.
//
// A block with a rate outside 1 kHz..384 kHz or a channel count other than
// 1 or 2 is ignored (Stats.Rejected); a trailing partial sample is ignored.
// A block whose rate or channel count differs from the previous one is
// treated as a new device, as after Reset.
func (a *Aligner) Push(samples []int16, inRate, inChannels int, arrival time.Duration) []*capture.AudioFrame {
	return a.PushAppend(nil, samples, inRate, inChannels, arrival)
}

// PushAppend is Push appending the frames to dst, so that a caller that
// reuses dst makes steady-state pushes allocation-free.
func (a *Aligner) PushAppend(dst []*capture.AudioFrame, samples []int16, inRate, inChannels int, arrival time.Duration) []*capture.AudioFrame {
	a.mu.Lock()
	defer a.mu.Unlock()
	if inRate < minRate || inRate > maxRate || (inChannels != 1 && inChannels != 2) {
		a.stats.Rejected++
		return dst
	}
	frames := len(samples) / inChannels
	if frames == 0 {
		return dst
	}
	samples = samples[:frames*inChannels]
	a.dst = dst
	changed := a.started && (inRate != a.inRate || inChannels != a.inCh)
	if a.hold.active && (a.fresh || changed) {
		a.releaseHold(false)
	}
	if !a.started {
		base := arrival - time.Duration(int64(frames)*int64(time.Second)/int64(inRate))
		a.out.base = max(base, 0)
		a.started = true
		a.fresh = true
	}
	if a.fresh || changed {
		a.drain()
		a.configure(inRate, inChannels)
		a.fresh, a.relock, a.forced = false, true, false
	}
	t := a.seconds(arrival)
	if a.hold.active {
		a.holdBlock(samples, t)
	} else {
		a.block(samples, t, false)
	}
	dst, a.dst = a.dst, nil
	a.stats.Frames = a.out.frames
	return dst
}

// Reset forgets the device's timeline (the device was reopened or replaced,
// maybe at another rate or channel count). The next Push re-locks: its first
// sample's capture time t0 is estimated as arrival minus the block's
// duration; if t0 is later than the output's end, silence fills the
// difference (sample-exact); if earlier, the overlapping input is dropped.
// Output already produced from the old device is kept.
func (a *Aligner) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		a.fresh = true
	}
}

// Next returns the PTS that the next output frame will carry (0 before the
// first Push).
func (a *Aligner) Next() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.started {
		return 0
	}
	return a.out.next()
}

// DriftPPM returns the measured rate of the device's sample clock against
// the media clock, relative to its nominal rate, in parts per million
// (+5000 = 0.5% fast); 0 until 3 s of the current device's arrivals have
// been seen.
func (a *Aligner) DriftPPM() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fresh {
		return 0
	}
	return a.est.driftPPM()
}

// Stats returns counters of what the Aligner did.
func (a *Aligner) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.stats
	s.Frames = a.out.frames
	return s
}

// seconds converts a media-clock time to seconds after the output's base.
func (a *Aligner) seconds(d time.Duration) float64 { return float64(d-a.out.base) / 1e9 }

// outNow returns the time of the next output sample, in seconds after base.
func (a *Aligner) outNow() float64 { return float64(a.out.samples()) / a.outRate }

// rate returns the device's estimated rate in samples per media second.
func (a *Aligner) rate() float64 { return float64(a.inRate) / a.est.b }

// x converts an input index to the estimator's abscissa.
func (a *Aligner) x(idx float64) float64 { return idx / float64(a.inRate) }

// configure prepares for a device at inRate with inCh channels. The drift
// estimate restarts; with the same rate and channels the old estimate is
// the starting guess.
func (a *Aligner) configure(inRate, inCh int) {
	prior := 1.0
	same := a.inRate == inRate && a.inCh == inCh
	if same && a.est.span >= minDriftSpan {
		prior = a.est.b
	}
	if !same || a.rs.table == nil {
		a.rs.design(cutoffFrac * min(1, a.outRate/float64(inRate)))
	}
	a.inRate, a.inCh = inRate, inCh
	a.wc = min(inCh, a.out.ch)
	a.est.reset(prior)
	a.g.step = a.rate() / a.outRate
	a.g.target = a.g.step
}

// block handles one block of input at arrival t (seconds after base).
// trusted blocks are known to continue the stream and skip the gap checks.
func (a *Aligner) block(s []int16, t float64, trusted bool) {
	frames := len(s) / a.inCh
	if a.relock {
		t0 := t - float64(frames)/a.rate()
		if a.forced {
			t0 = a.forceT0
		}
		if s = a.relockAt(t0, s); s == nil {
			return
		}
	} else if !trusted {
		late := t - a.est.at(a.x(float64(a.idx+int64(frames))))
		if late > gapThreshold {
			a.startHold(s, t, late)
			return
		}
		if late < -aheadThreshold {
			a.relock = true
			a.block(s, t, true)
			return
		}
	}
	a.rs.appendInt16(s, a.inCh)
	a.live = true
	a.idx += int64(len(s) / a.inCh)
	a.est.add(a.x(float64(a.idx)), t)
	a.produce()
}

// relockAt maps the block s, whose first sample was captured at t0, onto
// the output timeline: silence up to t0, or the overlapping samples
// dropped. It returns the samples to keep, or nil if none (then the next
// block re-locks again).
func (a *Aligner) relockAt(t0 float64, s []int16) []int16 {
	a.drain()
	a.stats.Relocks++
	a.forced = false
	r := a.rate()
	p := a.outNow()
	if t0 > p {
		n := math.Round((t0 - p) * a.outRate)
		if n > maxFill*a.outRate {
			n = math.Round(maxFill * a.outRate)
			a.silence(int64(n))
			a.stats.DroppedSamples += int64(len(s) / a.inCh)
			return nil
		}
		a.silence(int64(n))
	} else if t0 < p {
		frames := len(s) / a.inCh
		d := math.Round((p - t0) * r)
		if d >= float64(frames) {
			a.stats.DroppedSamples += int64(frames)
			return nil
		}
		s = s[int(d)*a.inCh:]
		a.stats.DroppedSamples += int64(d)
		t0 += d / r
	}
	frac := min(max((a.outNow()-t0)*r, 0), 0.999999)
	a.rs.restart(a.wc, frac)
	a.idx = 0
	a.est.newSegment(0, t0)
	a.relock = false
	return s
}

// silence writes n samples of silence to the output.
func (a *Aligner) silence(n int64) {
	a.stats.SilenceSamples += n
	a.dst = a.out.writeSilence(n, a.dst)
}

// produce steers the ratio from the lock error and resamples all the input
// the kernel can reach.
func (a *Aligner) produce() {
	e := a.outNow() - a.est.at(a.x(a.rs.position()))
	if e > relockError || e < -relockError {
		a.relock = true
	}
	corr := min(max(e/lockTau, -maxCorrection), maxCorrection)
	a.g.target = a.rate() / a.outRate * (1 + corr)
	a.g.slew = a.g.target * slewPerSecond / a.outRate
	a.g.alpha = 1 / (glideTau * a.outRate)
	a.run(math.MaxInt64)
}

// run resamples while the read position is below stop.
func (a *Aligner) run(stop int64) {
	for {
		n := a.rs.run(a.scratch[:scratchFrames*a.wc], stop, &a.g)
		if n == 0 {
			return
		}
		a.dst = a.out.writeFloat(a.scratch[:n*a.wc], a.wc, a.dst)
	}
}

// drain resamples the rest of the input, with silence after it, so that
// the output reaches the time of the last input sample.
func (a *Aligner) drain() {
	if !a.live {
		return
	}
	a.live = false
	end := a.rs.end()
	a.rs.appendZeros(half)
	a.run(end)
}
