package publish

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"studio/encode"
)

// bitrate owns the video encoder's bitrate: the user's target, and the
// adaptive controller of each connected destination. The encoder aims at
// the highest rate any connected destination asks for, never above the
// user's target, so that a slow destination never lowers the quality of a
// fast one (the slow one drops video at its own queue instead). Its methods
// are safe for concurrent use.
type bitrate struct {
	enc    encode.VideoEncoder
	policy AdaptivePolicy
	log    *slog.Logger

	mu     sync.Mutex
	user   int // the user's target, 0 until known
	target int // what the encoder aims at now
	ctrls  map[*destination]*rateController
}

func newBitrate(enc encode.VideoEncoder, p AdaptivePolicy, log *slog.Logger) *bitrate {
	return &bitrate{enc: enc, policy: p, log: log, ctrls: map[*destination]*rateController{}}
}

// known records the user's target once the encoder's first frame shows it.
func (b *bitrate) known(kbps int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.user == 0 {
		b.user, b.target = kbps, kbps
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

// attach starts adaptation for d, unless it is off or already on.
func (b *bitrate) attach(d *destination) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.policy.Disabled || b.user == 0 || b.ctrls[d] != nil {
		return
	}
	b.ctrls[d] = newRateController(b.policy, b.user)
}

// detach ends adaptation for d; the encoder follows the others, or goes
// back to the user's target when none is left.
func (b *bitrate) detach(d *destination) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctrls[d] == nil {
		return
	}
	delete(b.ctrls, d)
	b.applyLocked()
}

// update runs every destination's controller once, from what its queue and
// link show, and moves the encoder.
func (b *bitrate) update(now time.Time, dests []*destination) {
	b.mu.Lock()
	defer b.mu.Unlock()
	changed := false
	for _, d := range dests {
		c := b.ctrls[d]
		if c == nil || d.entryState() != StateLive {
			continue
		}
		st := d.stats(now)
		// Delay queued along the path counts like delay in our queue: it
		// shows congestion before our queue grows.
		kbps, moved := c.update(now, st.Queue+st.LinkDelay, st.DeliveryKbps, st.VideoKbps+st.AudioKbps, st.AudioKbps)
		if moved {
			b.log.Info("adaptive bitrate", "destination", d.name, "kbps", kbps, "queue", st.Queue,
				"link_delay", st.LinkDelay, "estimate_kbps", st.EstimateKbps)
			changed = true
		}
	}
	if changed {
		b.applyLocked()
	}
}

// applyLocked sets the encoder to the highest rate a destination asks for.
func (b *bitrate) applyLocked() {
	want := b.user
	if len(b.ctrls) > 0 {
		want = 0
		for _, c := range b.ctrls {
			want = max(want, c.target)
		}
	}
	if want == b.target || want == 0 {
		return
	}
	if err := b.enc.SetBitrate(want); err != nil {
		b.log.Warn("adaptive bitrate", "err", err)
		return
	}
	b.target = want
}

// targets returns the user's target, the encoder's, and what d's link asks
// for (the encoder's when d has no controller).
func (b *bitrate) targets(d *destination) (user, target, dest int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dest = b.target
	if c := b.ctrls[d]; c != nil {
		dest = c.target
	}
	return b.user, b.target, dest
}
