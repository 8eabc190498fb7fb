// Package tee splits one video source between several readers, so that one
// camera can feed two encoders (the main rendition and a lower-bitrate one
// for a slow destination) without being opened twice.
//
// The primary reader reads the source directly: the tee adds no goroutine,
// no copy and no waiting to its path. Each frame the primary reads is also
// offered to every open branch. A branch holds at most one frame, the newest:
// when its reader is slower than the primary, older frames are released and
// counted as skipped, so a branch never delays the primary or the others.
//
// Frames are shared, not copied: every reader gets its own
// *capture.VideoFrame around the same image, and the source's frame is
// released once every reader has released its own. Readers must therefore
// treat the image as read-only: a reader that writes into it changes the
// picture the others see. A reader's *capture.VideoFrame is recycled for a
// later frame once released, so, as capture.VideoFrame requires, it must not
// be touched (not even released again) after its Release.
//
// In steady state neither the primary's Read nor a branch's allocates.
package tee

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"studio/capture"
)

// VideoTee splits one capture.VideoSource between a primary reader and any
// number of secondary branches. Primary().Read, each branch's Read, Branch,
// and the Close of any of them may run on different goroutines.
type VideoTee struct {
	src     capture.VideoSource
	primary capture.VideoSource

	// branches is the list the primary offers frames to: copied on write
	// under mu, loaded without a lock by the primary's Read.
	branches atomic.Pointer[[]*branch]

	mu     sync.Mutex
	closed bool // guarded by mu

	closeOnce sync.Once
	closeErr  error
}

// Video splits src between a primary reader and any number of secondary
// branches. The tee owns src from now on: it is closed with the primary.
func Video(src capture.VideoSource) *VideoTee {
	t := &VideoTee{src: src}
	p := &primary{t: t}
	if r, ok := src.(capture.Reporter); ok {
		t.primary = &reportingPrimary{primary: p, rep: r}
	} else {
		t.primary = p
	}
	return t
}

// Primary returns the source the main encoder reads. Its Read reads src
// directly (no extra goroutine, no copy, no added latency) and offers each
// frame to the open branches; with no branch open it returns src's frames
// themselves. Closing it closes the tee, every branch, and src. It
// implements capture.Reporter, with src's status, when src does.
func (t *VideoTee) Primary() capture.VideoSource { return t.primary }

// Branch opens a secondary source that gets the frames the primary reads
// from now on. A branch whose reader is slower than the primary never delays
// it: it holds at most the newest frame, and older ones are released and
// counted as skipped (see StatsOf; and Status, whose Skipped adds them to
// src's, when src implements capture.Reporter). Closing a branch detaches
// only it. Read on a branch returns capture.ErrClosed after its Close or the
// tee's, and ctx.Err() when ctx ends. Props is src's.
//
// Branch returns an error wrapping capture.ErrClosed once the tee is closed.
func (t *VideoTee) Branch() (capture.VideoSource, error) {
	b := &branch{
		t:     t,
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, fmt.Errorf("tee: branch: %w", capture.ErrClosed)
	}
	var next []*branch
	if p := t.branches.Load(); p != nil {
		next = append(next, *p...)
	}
	next = append(next, b)
	t.branches.Store(&next)
	if r, ok := t.src.(capture.Reporter); ok {
		return &reportingBranch{branch: b, rep: r}, nil
	}
	return b, nil
}

// detach removes b from the list the primary offers frames to.
func (t *VideoTee) detach(b *branch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.branches.Load()
	if p == nil {
		return
	}
	rest := make([]*branch, 0, len(*p))
	for _, o := range *p {
		if o != b {
			rest = append(rest, o)
		}
	}
	if len(rest) == 0 {
		t.branches.Store(nil)
		return
	}
	t.branches.Store(&rest)
}

// close closes every branch, then src. Later calls return the first result.
func (t *VideoTee) close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		var bs []*branch
		if p := t.branches.Swap(nil); p != nil {
			bs = *p
		}
		t.mu.Unlock()
		for _, b := range bs {
			b.shut()
		}
		t.closeErr = t.src.Close()
	})
	return t.closeErr
}

// primary is the tee's main reader.
type primary struct{ t *VideoTee }

func (p *primary) Props() capture.VideoProps { return p.t.src.Props() }
func (p *primary) Close() error              { return p.t.close() }

// Read returns src's next frame after offering it to every open branch.
func (p *primary) Read(ctx context.Context) (*capture.VideoFrame, error) {
	f, err := p.t.src.Read(ctx)
	if err != nil {
		return f, err
	}
	bs := p.t.branches.Load()
	if bs == nil || len(*bs) == 0 {
		return f, nil
	}
	s := newShare(f, 1+len(*bs))
	for _, b := range *bs {
		if !b.offer(s) {
			s.drop()
		}
	}
	return s.frame(), nil
}

// reportingPrimary is the primary of a source that implements
// capture.Reporter.
type reportingPrimary struct {
	*primary
	rep capture.Reporter
}

// Status returns src's status.
func (p *reportingPrimary) Status() capture.SourceStatus { return p.rep.Status() }
