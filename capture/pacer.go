package capture

import (
	"context"
	"sync"
	"time"
)

// Pacer makes a source wait for its media's due times on a Clock, and ends
// those waits when the source is closed. WaitUntil is not safe for
// concurrent use (a source serialises its Reads); Close may be called from
// any goroutine, more than once.
type Pacer struct {
	clock     *Clock
	timer     *time.Timer
	done      chan struct{}
	closeOnce sync.Once
}

// NewPacer returns a pacer on clock.
func NewPacer(clock *Clock) *Pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Pacer{clock: clock, timer: t, done: make(chan struct{})}
}

// Close ends every wait, now and later, with ErrClosed.
func (p *Pacer) Close() { p.closeOnce.Do(func() { close(p.done) }) }

// Closed reports whether Close has been called.
func (p *Pacer) Closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Gate returns the error a Read must return before doing any work:
// ErrClosed after Close, else ctx.Err().
func (p *Pacer) Gate(ctx context.Context) error {
	if p.Closed() {
		return ErrClosed
	}
	return ctx.Err()
}

// WaitUntil blocks until the clock reads at least due. It returns ctx.Err()
// when ctx ends and ErrClosed when the pacer is closed first.
func (p *Pacer) WaitUntil(ctx context.Context, due time.Duration) error {
	d := due - p.clock.Now()
	if d <= 0 {
		return nil
	}
	// Since Go 1.23 Reset and Stop leave no stale tick in the channel.
	p.timer.Reset(d)
	select {
	case <-p.timer.C:
		return nil
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	case <-p.done:
		p.timer.Stop()
		return ErrClosed
	}
}

// ScaleDiv returns n × unit / div, rounded down, without overflowing for any
// n and unit that fit in an int64 with unit ≤ 1e9: the exact time of sample
// or frame n (unit = time.Second, div = the rate), or the slot at a time.
func ScaleDiv(n, unit, div int64) int64 {
	q, r := n/div, n%div
	return q*unit + r*unit/div
}
