// Package synth provides synthetic capture sources: a moving video test
// pattern with a burned-in frame counter and clock (Pattern), and a sine tone
// or silence (Tone). They stand in for a camera and a microphone in tests and
// on machines that have neither.
//
// Both sources are paced in real time against a capture.Clock. The timeline
// of a source starts at its first Read: that Read returns at once, stamped
// with the clock time of the call, and every later frame n is due, and
// stamped, at start + n × frame duration, computed from n (never accumulated)
// so timestamps never drift. Two sources made from the same Clock and read
// for the first time together therefore have first timestamps within a few
// microseconds of each other.
//
// For tests and benchmarks the Unpaced option removes the waiting: Read
// returns the next frame at once, with the same timestamps it would have had
// in real time.
//
// Frames come from small free lists and go back to them on Release; in steady
// state Read does not allocate.
package synth

import (
	"context"
	"sync"
	"time"

	"studio/capture"
)

// Option changes how a synthetic source behaves.
type Option func(*options)

type options struct {
	unpaced bool
}

// Unpaced makes Read return the next frame immediately instead of waiting
// until it is due. Timestamps still follow the nominal rate from the first
// Read, so an unpaced source produces the same frames and PTS values as a
// paced one read in time, only faster. Meant for tests and benchmarks.
func Unpaced() Option { return func(o *options) { o.unpaced = true } }

func applyOptions(opts []Option) options {
	var o options
	for _, fn := range opts {
		if fn != nil {
			fn(&o)
		}
	}
	return o
}

// pacer waits for frame slots on a clock. It is not safe for concurrent use;
// the sources serialise Read with a mutex. Close may run concurrently.
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

// closed reports whether close has been called.
func (p *pacer) closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *pacer) close() {
	p.closeOnce.Do(func() { close(p.done) })
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

// readGate reports the error Read must return before doing any work.
func (p *pacer) readGate(ctx context.Context) error {
	if p.closed() {
		return capture.ErrClosed
	}
	return ctx.Err()
}

// scaleDiv returns n × unit / div without overflowing for any n and unit
// that fit in an int64 (unit ≤ 1e9 here), rounding down.
func scaleDiv(n, unit, div int64) int64 {
	q, r := n/div, n%div
	return q*unit + r*unit/div
}
