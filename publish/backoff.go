package publish

import (
	"errors"
	"math/rand/v2"
	"time"
)

// ReconnectPolicy says how a session that lost its connection gets it
// back. The zero value selects the defaults below.
type ReconnectPolicy struct {
	// Disabled makes a lost connection end the session.
	Disabled bool
	// FirstDelay is the wait before the first retry (default 250 ms).
	FirstDelay time.Duration
	// MaxDelay caps the wait between retries (default 30 s).
	MaxDelay time.Duration
	// Multiplier grows the wait after each failed retry (default 1.5).
	Multiplier float64
	// RefusedDelay is the least wait after the server refused the stream,
	// so that a wrong key is never retried in a storm (default 5 s).
	RefusedDelay time.Duration
	// MaxRefusals ends the session after this many refusals in a row
	// (default 5).
	MaxRefusals int
	// DialTimeout bounds each reconnect attempt, so that a dead link is
	// retried promptly once it comes back (default 2.5 s, or twice the
	// time the last successful connection took, whichever is longer).
	DialTimeout time.Duration
	// StableAfter is how long a connection must last for the next loss
	// to start again from FirstDelay (default 5 s).
	StableAfter time.Duration
}

func (p ReconnectPolicy) withDefaults() ReconnectPolicy {
	if p.FirstDelay <= 0 {
		p.FirstDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.Multiplier < 1 {
		p.Multiplier = 1.5
	}
	if p.RefusedDelay <= 0 {
		p.RefusedDelay = 5 * time.Second
	}
	if p.MaxRefusals <= 0 {
		p.MaxRefusals = 5
	}
	if p.DialTimeout <= 0 {
		p.DialTimeout = 2500 * time.Millisecond
	}
	if p.StableAfter <= 0 {
		p.StableAfter = 5 * time.Second
	}
	return p
}

// retryable reports whether reconnecting may cure err: a malformed URL or
// an untrusted certificate will not fix itself.
func retryable(err error) bool {
	return !errors.Is(err, ErrBadURL) && !errors.Is(err, ErrTLS)
}

// backoff computes the waits between reconnect attempts: FirstDelay, then
// ×Multiplier each time, with ±20% jitter, capped at MaxDelay; at least
// RefusedDelay after a refusal.
type backoff struct {
	policy   ReconnectPolicy
	next     time.Duration
	refusals int
	jitter   func() float64 // in [0, 1)
}

func newBackoff(p ReconnectPolicy) *backoff {
	b := &backoff{policy: p, jitter: rand.Float64}
	b.reset()
	return b
}

func (b *backoff) reset() {
	b.next = b.policy.FirstDelay
	b.refusals = 0
}

// delay returns the wait before the next attempt, given the error that
// ended the last one, and whether to try at all.
func (b *backoff) delay(lastErr error) (time.Duration, bool) {
	d := b.next
	b.next = min(time.Duration(float64(b.next)*b.policy.Multiplier), b.policy.MaxDelay)
	if errors.Is(lastErr, ErrRejected) {
		b.refusals++
		if b.refusals > b.policy.MaxRefusals {
			return 0, false
		}
		d = max(d, b.policy.RefusedDelay)
	} else {
		b.refusals = 0
	}
	// ±20% jitter, never past the cap, and the first retry never later
	// than FirstDelay×1.2.
	d = time.Duration(float64(d) * (0.8 + 0.4*b.jitter()))
	return min(d, b.policy.MaxDelay), true
}
