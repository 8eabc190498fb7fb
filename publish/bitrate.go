package publish

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"studio/encode"
)

// Thresholds between the main video and the low rendition, as shares of
// the highest rate any destination's link asks for.
const (
	lowBelow  = 0.70 // a destination asking for less moves to the low rendition
	mainAbove = 0.90 // one on the low rendition asking for this much moves back
)

// bitrate owns the video encoders' bitrates: the user's target, and the
// adaptive controller of each connected destination. The main encoder aims
// at the highest rate a destination on it asks for, never above the user's
// target, so that a slow destination never lowers the quality of a fast
// one. A destination whose link asks for well under that moves to the low
// rendition (when the session can make one), whose encoder aims at the
// highest rate its destinations ask for; without a rendition it drops video
// at its own queue instead. Its methods are safe for concurrent use.
type bitrate struct {
	s      *Session
	enc    encode.VideoEncoder
	policy AdaptivePolicy
	log    *slog.Logger

	// lowNow is low, for forceKeyframe, which must not wait for mu: the
	// mux goroutine calls it, and mu may be held while a rendition stops,
	// which waits for the mux.
	lowNow atomic.Pointer[rendition]

	mu        sync.Mutex
	user      int // the user's target, 0 until known
	target    int // what the main encoder aims at now
	low       *rendition
	lowTarget int
	lowFailed time.Time // when the low rendition last failed to start
	ctrls     map[*destination]*rateController
}

// lowRetry is how long after a failed start the low rendition is tried
// again.
const lowRetry = 10 * time.Second

func newBitrate(s *Session) *bitrate {
	return &bitrate{s: s, enc: s.cfg.Video, policy: s.cfg.Adaptive, log: s.log, ctrls: map[*destination]*rateController{}}
}

// known records the user's target once the encoder's first frame shows it.
func (b *bitrate) known(cfg encode.VideoConfig) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.user == 0 {
		b.user, b.target = cfg.BitrateKbps, cfg.BitrateKbps
	}
}

// setUser changes the user's target: the encoder goes to it at once, and
// every destination's adaptation starts again from it.
func (b *bitrate) setUser(kbps int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enc.SetBitrate(kbps); err != nil {
		return fmt.Errorf("set bitrate: %w", err)
	}
	b.user, b.target = kbps, kbps
	for _, c := range b.ctrls {
		c.setUser(kbps)
	}
	return nil
}

// forceKeyframe asks the encoder of tr for a keyframe. It never waits.
func (b *bitrate) forceKeyframe(tr track) {
	if low := b.lowNow.Load(); tr == trackLow && low != nil {
		_ = low.enc.ForceKeyframe()
		return
	}
	_ = b.enc.ForceKeyframe()
}

// attach starts adaptation for d, unless it is off or already on: from
// d's StartKbps when it has one, and awaiting its link's first estimate. It
// reports whether d should start on a new keyframe, because the video
// queued for it was made at a rate well above what its link carries.
func (b *bitrate) attach(d *destination) (restart bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.policy.Disabled || b.user == 0 || b.ctrls[d] != nil {
		return false
	}
	c := newRateController(b.policy, b.user)
	c.learnUntil = b.s.cfg.Clock.Now().Add(startupWindow)
	b.ctrls[d] = c
	if d.startKbps <= 0 {
		return false
	}
	c.startAt(d.startKbps)
	made := b.target
	b.applyLocked()
	return float64(c.target) < restartBelow*float64(made)
}

// detach ends adaptation for d; the encoders follow the others, and the
// main one goes back to the user's target when none is left.
func (b *bitrate) detach(d *destination) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctrls[d] == nil {
		return
	}
	delete(b.ctrls, d)
	d.want.Store(uint32(trackMain))
	b.applyLocked()
}

// update runs every live destination's controller once, from what its
// queue and link show, then places the destinations on the renditions and
// sets the encoders.
func (b *bitrate) update(now time.Time, dests []*destination) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range dests {
		c := b.ctrls[d]
		if c == nil || d.entryState() != StateLive {
			continue
		}
		st := d.stats(now)
		if c.learning(now) {
			// What is queued already goes out: a new keyframe on top of
			// the first, still on its way, would only add to the delay.
			kbps, moved := c.learn(now, st.DeliveryKbps, st.AudioKbps, st.Queue+st.LinkDelay)
			if moved {
				b.log.Info("adaptive bitrate: the link's first estimate", "destination", d.name, "kbps", kbps,
					"delivery_kbps", st.DeliveryKbps, "glass_to_server", st.GlassToServer)
				continue
			}
		}
		// Delay queued along the path counts like delay in our queue: it
		// shows congestion before our queue grows.
		kbps, moved := c.update(now, st.Queue+st.LinkDelay, st.DeliveryKbps, st.VideoKbps+st.AudioKbps, st.AudioKbps)
		if moved {
			b.log.Info("adaptive bitrate", "destination", d.name, "kbps", kbps, "queue", st.Queue,
				"link_delay", st.LinkDelay, "estimate_kbps", st.EstimateKbps)
		}
	}
	b.applyLocked()
}

// applyLocked places each destination on a rendition and sets the
// encoders to what their destinations ask for.
func (b *bitrate) applyLocked() {
	best := 0
	for _, c := range b.ctrls {
		best = max(best, c.target)
	}
	if b.low != nil && b.low.ended() {
		b.log.Warn("the low rendition ended; its destinations go back to the main video")
		b.lowNow.Store(nil)
		b.s.stopRendition(b.low)
		b.low = nil
	}
	mainWant, lowWant := 0, 0
	for d, c := range b.ctrls {
		want := track(d.want.Load())
		switch {
		case b.s.cfg.Rendition == nil || b.s.rend.unusable.Load() || b.low == nil && want == trackLow:
			want = trackMain
		case want == trackMain && float64(c.target) < lowBelow*float64(best):
			want = trackLow
		case want == trackLow && float64(c.target) >= mainAbove*float64(best):
			want = trackMain
		}
		if want == trackLow {
			lowWant = max(lowWant, c.target)
		} else {
			mainWant = max(mainWant, c.target)
		}
		if track(d.want.Swap(uint32(want))) != want {
			// The move happens at the next keyframe of want: ask for one.
			if want == trackMain {
				_ = b.enc.ForceKeyframe()
			} else if b.low != nil {
				_ = b.low.enc.ForceKeyframe()
			}
		}
	}
	b.setLowLocked(lowWant)
	if mainWant == 0 {
		mainWant = b.user
	}
	if mainWant == b.target || mainWant == 0 {
		return
	}
	if err := b.enc.SetBitrate(mainWant); err != nil {
		b.log.Warn("adaptive bitrate", "err", err)
		return
	}
	b.target = mainWant
}

// setLowLocked runs the low rendition at kbps, starts it when needed, and
// stops it once no destination wants it or streams it (kbps 0).
func (b *bitrate) setLowLocked(kbps int) {
	switch {
	case kbps > 0 && b.low == nil:
		if b.s.cfg.Clock.Now().Sub(b.lowFailed) < lowRetry {
			return
		}
		r, err := b.s.startRendition(kbps)
		if err != nil {
			b.lowFailed = b.s.cfg.Clock.Now()
			b.log.Warn("low rendition", "err", err)
			for d := range b.ctrls {
				d.want.Store(uint32(trackMain))
			}
			return
		}
		b.low, b.lowTarget = r, kbps
		b.lowNow.Store(r)
	case kbps > 0 && kbps != b.lowTarget:
		if err := b.low.enc.SetBitrate(kbps); err != nil {
			b.log.Warn("low rendition bitrate", "err", err)
			return
		}
		b.lowTarget = kbps
	case kbps == 0 && b.low != nil:
		for d := range b.ctrls {
			if track(d.on.Load()) == trackLow {
				return // still on it until the main video's keyframe
			}
		}
		b.lowNow.Store(nil)
		b.s.stopRendition(b.low)
		b.low, b.lowTarget = nil, 0
	}
}

// targets returns the user's target, the main encoder's, and what d's link
// asks for (the main encoder's when d has no controller), and whether d
// streams the low rendition.
func (b *bitrate) targets(d *destination) (user, target, dest int, low bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dest = b.target
	if c := b.ctrls[d]; c != nil {
		dest = c.target
	}
	return b.user, b.target, dest, d != nil && track(d.on.Load()) == trackLow
}
