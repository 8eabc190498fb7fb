package publish

import "time"

// Start-up: a stream starts at the user's target, or at the destination's
// StartKbps when its link is known, and its first seconds must not queue
// up what the link cannot carry. Until the link's first estimate the
// controller knows nothing of it; that estimate (the transport's delivery
// rate while the socket is busy, a fraction of a second in) replaces the
// target at once when it is lower, without the usual limit of halving
// once a second, since the keyframe and frames already made for the
// user's target have to squeeze through too.

// startupWindow is how long after a destination first connects its link's
// first estimate counts as such.
const startupWindow = 3 * time.Second

// restartBelow is the share of the rate its queued video was made at
// under which a destination's new target makes that video not worth
// sending: it starts again on a keyframe made at the new rate.
const restartBelow = 0.7

// startAt sets the target to kbps (within the floor and the user's target)
// for a link known to carry it.
func (c *rateController) startAt(kbps int) {
	floor := min(c.policy.FloorKbps, c.userKbps)
	c.target = min(c.userKbps, max(floor, kbps))
}

// learning reports whether the link's first estimate is still awaited.
func (c *rateController) learning(now time.Time) bool {
	return !c.learnUntil.IsZero() && now.Before(c.learnUntil)
}

// learn takes the link's first estimate: the transport's delivery rate
// while the link was busy (kbit/s, 0 when unknown), the audio rate, and
// the delay queued now. When the link carries less than the target asks,
// the target goes at once to what fits, and the controller holds below it
// as after any cut. It returns the new target and whether it changed.
func (c *rateController) learn(now time.Time, deliveryKbps, audioKbps float64, delay time.Duration) (int, bool) {
	if !c.learning(now) || deliveryKbps <= 0 {
		return c.target, false
	}
	c.learnUntil = time.Time{}
	floor := min(c.policy.FloorKbps, c.userKbps)
	fit := max(floor, int(deliveryKbps*0.85-audioKbps))
	if fit >= c.target {
		return c.target, false
	}
	c.target, c.ceiling = fit, fit
	c.lastDown, c.delayAtCut = now, delay
	return fit, true
}
