package publish

import "time"

// AdaptivePolicy configures adaptive bitrate. The zero value enables it
// with the defaults below.
type AdaptivePolicy struct {
	// Disabled keeps the bitrate at the user's target whatever the link.
	Disabled bool
	// FloorKbps is the lowest video bitrate it goes to (default 200, or
	// the target if that is lower).
	FloorKbps int
	// CongestedQueue is the queue that counts as congestion (default
	// 200 ms, as OBS's dynamic bitrate).
	CongestedQueue time.Duration
	// ClearQueue is the queue below which the link counts as clear
	// (default 50 ms).
	ClearQueue time.Duration
	// StepUp multiplies the bitrate at each step back up (default 1.15;
	// each step adds at least a tenth of the user's target), taken every
	// StepInterval (default 2 s) while the link stays clear.
	StepUp       float64
	StepInterval time.Duration
	// ProbeHold is how long after congestion the bitrate stays below what
	// the link carried then, before it probes above it (default 8 s).
	ProbeHold time.Duration
}

func (p AdaptivePolicy) withDefaults() AdaptivePolicy {
	if p.FloorKbps <= 0 {
		p.FloorKbps = 200
	}
	if p.CongestedQueue <= 0 {
		p.CongestedQueue = 200 * time.Millisecond
	}
	if p.ClearQueue <= 0 {
		p.ClearQueue = 50 * time.Millisecond
	}
	if p.StepUp <= 1 {
		p.StepUp = 1.15
	}
	if p.StepInterval <= 0 {
		p.StepInterval = 2 * time.Second
	}
	if p.ProbeHold <= 0 {
		p.ProbeHold = 8 * time.Second
	}
	return p
}

// rateController decides the video bitrate from the send queue and the
// throughput the link really delivers. It never goes above the user's
// target or below the floor. It is not safe for concurrent use.
type rateController struct {
	policy     AdaptivePolicy
	userKbps   int // the user's target
	target     int // the current target
	lastDown   time.Time
	lastUp     time.Time
	clearSince time.Time
	// ceiling is the video bitrate the link carried at the last
	// congestion; steps up stay below it for ProbeHold.
	ceiling    int
	delayAtCut time.Duration
	// learnUntil, while in the future, says the link's first estimate is
	// awaited (see learn).
	learnUntil time.Time
}

func newRateController(p AdaptivePolicy, userKbps int) *rateController {
	return &rateController{policy: p.withDefaults(), userKbps: userKbps, target: userKbps}
}

// setUser changes the user's target, and the current one with it.
func (c *rateController) setUser(kbps int) {
	c.userKbps, c.target = kbps, kbps
}

// update takes the delay queued between capture and the server (our queue
// plus the path's), the link's delivery rate as TCP measures it (0 when
// unknown), the rate at which media was sent over the last second, and the
// audio part of it, all in kbit/s; it returns the new video target, and
// whether it changed.
func (c *rateController) update(now time.Time, delay time.Duration, deliveryKbps, sentKbps, audioKbps float64) (int, bool) {
	floor := min(c.policy.FloorKbps, c.userKbps)
	switch {
	case delay > c.policy.CongestedQueue:
		c.clearSince = time.Time{}
		if now.Sub(c.lastDown) < time.Second {
			return c.target, false
		}
		if now.Sub(c.lastDown) < 3*time.Second && delay < c.delayAtCut {
			// The last cut is still draining the queues: wait for it.
			return c.target, false
		}
		// While the path is congested TCP's delivery rate is the
		// bottleneck's rate; our send rate also counts bytes that only
		// filled buffers.
		link := sentKbps
		if deliveryKbps > 0 {
			link = deliveryKbps
			c.ceiling = max(floor, int(link-audioKbps))
		} else if c.ceiling == 0 {
			// Without a measure of the link, what was sent is the best
			// guess; a later measure replaces it.
			c.ceiling = max(floor, int(link-audioKbps))
		}
		// Headroom so that the queues drain; at least a 20% cut, since the
		// queue grew at the current rate; never more than halving at once.
		fit := int(link*0.85 - audioKbps)
		next := max(floor, c.target/2, min(fit, c.target*8/10))
		if next >= c.target {
			return c.target, false
		}
		c.target, c.lastDown, c.delayAtCut = next, now, delay
		return next, true
	case delay < c.policy.ClearQueue:
		if c.clearSince.IsZero() {
			c.clearSince = now
		}
		if c.target >= c.userKbps || now.Sub(c.clearSince) < c.policy.StepInterval ||
			now.Sub(c.lastUp) < c.policy.StepInterval || now.Sub(c.lastDown) < c.policy.StepInterval {
			return c.target, false
		}
		// Multiplicative steps near the floor would take minutes, so each
		// step is also at least a tenth of the user's target.
		next := min(c.userKbps, max(int(float64(c.target)*c.policy.StepUp), c.target+c.userKbps/10))
		switch {
		case now.Sub(c.lastDown) < c.policy.ProbeHold:
			// Fill what the link carried, not more, until the hold ends.
			next = min(next, c.ceiling*85/100)
		case c.ceiling > 0 && c.target > c.ceiling*110/100:
			// Well past the old ceiling with a clear link: the link has
			// grown, so forget it and step up at full speed.
			c.ceiling = 0
		case c.ceiling > 0 && next > c.ceiling:
			// Past what the link last carried, probe in small steps.
			next = min(next, max(c.target*110/100, c.target+10))
		}
		if next <= c.target {
			return c.target, false
		}
		c.target, c.lastUp = next, now
		return next, true
	default:
		c.clearSince = time.Time{}
		return c.target, false
	}
}
