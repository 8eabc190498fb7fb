package screen

import (
	"context"
	"sync"
	"time"

	"studio/capture"
)

// pacer waits for frame slots on a clock. waitUntil is not safe for
// concurrent use (Source serialises Read); close may run concurrently.
type pacer struct {
	clock     *capture.Clock
	timer     *time.Timer
	done      chan struct{}
	closeOnce sync.Once
}

func newPacer(clock *capture.Clock) pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return pacer{clock: clock, timer: t, done: make(chan struct{})}
}

func (p *pacer) close() { p.closeOnce.Do(func() { close(p.done) }) }

// readGate returns the error Read must return before doing any work.
func (p *pacer) readGate(ctx context.Context) error {
	select {
	case <-p.done:
		return capture.ErrClosed
	default:
		return ctx.Err()
	}
}

// waitUntil blocks until the clock reads at least due. It returns ctx.Err()
// when ctx ends and capture.ErrClosed when the source is closed first.
func (p *pacer) waitUntil(ctx context.Context, due time.Duration) error {
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
		return capture.ErrClosed
	}
}

// scaleDiv returns n × unit / div without overflowing for any n and unit
// that fit in an int64 (unit ≤ 1e9 here), rounding down.
func scaleDiv(n, unit, div int64) int64 {
	q, r := n/div, n%div
	return q*unit + r*unit/div
}

// status is the Reporter state, safe for concurrent use.
type status struct {
	mu sync.Mutex
	s  capture.SourceStatus // guarded by mu
}

func (st *status) init(device string, now time.Duration) {
	st.mu.Lock()
	st.s = capture.SourceStatus{State: capture.SourceOK, Device: device, Since: now}
	st.mu.Unlock()
}

func (st *status) get() capture.SourceStatus {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

func (st *status) rename(device string) {
	st.mu.Lock()
	st.s.Device = device
	st.mu.Unlock()
}

func (st *status) skip(n uint64) {
	st.mu.Lock()
	st.s.Skipped += n
	st.mu.Unlock()
}

// lose records that the screen stopped delivering because of err; the
// first cause is kept.
func (st *status) lose(err error, now time.Duration) {
	st.mu.Lock()
	if st.s.State != capture.SourceLost {
		st.s.State, st.s.Err, st.s.Since = capture.SourceLost, err, now
	}
	st.mu.Unlock()
}
