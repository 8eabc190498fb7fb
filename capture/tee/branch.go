package tee

import (
	"context"
	"sync"
	"sync/atomic"

	"studio/capture"
)

// Stats counts what a branch did with the frames the primary offered it.
type Stats struct {
	// Delivered counts the frames the branch's Read returned.
	Delivered uint64
	// Skipped counts the frames released unread because a newer one came
	// before the branch's reader asked.
	Skipped uint64
}

// StatsOf returns the counters of a source that Branch returned; ok is false
// for any other source.
func StatsOf(src capture.VideoSource) (s Stats, ok bool) {
	switch b := src.(type) {
	case *branch:
		return b.Stats(), true
	case *reportingBranch:
		return b.Stats(), true
	}
	return Stats{}, false
}

// branch is a secondary reader. It holds at most one frame, the newest.
type branch struct {
	t     *VideoTee
	ready chan struct{} // a frame may be waiting (capacity 1)
	done  chan struct{} // closed by shut

	mu     sync.Mutex
	cur    *capture.VideoFrame // guarded by mu: the newest unread frame
	closed bool                // guarded by mu

	delivered, skipped atomic.Uint64
}

func (b *branch) Props() capture.VideoProps { return b.t.src.Props() }

// Stats returns the branch's counters.
func (b *branch) Stats() Stats {
	return Stats{Delivered: b.delivered.Load(), Skipped: b.skipped.Load()}
}

// offer makes a frame of s the branch's newest, releasing the one it
// replaces. It reports false, taking nothing, when the branch is closed.
func (b *branch) offer(s *share) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	old := b.cur
	b.cur = s.frame()
	b.mu.Unlock()
	if old != nil {
		b.skipped.Add(1)
		old.Release()
	}
	select {
	case b.ready <- struct{}{}:
	default:
	}
	return true
}

// Read returns the newest frame the primary has read since the branch's
// last Read, waiting for one if there is none.
func (b *branch) Read(ctx context.Context) (*capture.VideoFrame, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, capture.ErrClosed
		}
		if f := b.cur; f != nil {
			b.cur = nil
			b.mu.Unlock()
			b.delivered.Add(1)
			return f, nil
		}
		b.mu.Unlock()
		select {
		case <-b.ready:
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close detaches the branch from the tee and releases the frame it holds.
// Safe to call more than once.
func (b *branch) Close() error {
	if b.shut() {
		b.t.detach(b)
	}
	return nil
}

// shut marks the branch closed, wakes its Read, and releases its frame. It
// reports whether this call closed it.
func (b *branch) shut() bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.closed = true
	f := b.cur
	b.cur = nil
	b.mu.Unlock()
	close(b.done)
	f.Release()
	return true
}

// reportingBranch is a branch of a source that implements capture.Reporter.
type reportingBranch struct {
	*branch
	rep capture.Reporter
}

// Status returns src's status, with the frames this branch skipped added to
// Skipped.
func (b *reportingBranch) Status() capture.SourceStatus {
	st := b.rep.Status()
	st.Skipped += b.skipped.Load()
	return st
}
