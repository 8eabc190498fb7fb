package publish

import (
	"context"
	"sync"
	"time"

	"studio/encode"
)

// queue holds packets between the encoders and the network, bounded in
// media time. Past the limit it drops video (never audio) up to the next
// keyframe, so what leaves the queue always decodes. A hard cap on the
// number of packets bounds memory even when audio alone outgrows the limit;
// then the oldest packets go.
//
// One goroutine pushes and one pops; both may call the other methods.
type queue struct {
	mu       sync.Mutex
	items    []*encode.Packet // guarded by mu; items[head:] are queued
	head     int              // guarded by mu
	closed   bool             // guarded by mu
	dropping bool             // guarded by mu: video is dropped until a keyframe
	offline  bool             // guarded by mu: no connection; video is not queued
	fresh    bool             // guarded by mu: a new stream waits for its first keyframe; drops before it do not count
	dropped  uint64           // guarded by mu: video frames dropped
	lost     uint64           // guarded by mu: packets dropped by the hard cap
	ready    chan struct{}    // signalled when items are added or the queue closes

	limit    time.Duration
	maxItems int
	onDrop   func() // called (without mu) when dropping starts
}

func newQueue(limit time.Duration, maxItems int, onDrop func()) *queue {
	return &queue{limit: limit, maxItems: maxItems, onDrop: onDrop, ready: make(chan struct{}, 1)}
}

// push queues p, or releases it when it is dropped.
func (q *queue) push(p *encode.Packet) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		p.Release()
		return
	}
	if q.offline {
		q.pushOfflineLocked(p)
		q.mu.Unlock()
		q.signal()
		return
	}
	if p.Kind == encode.Video && q.dropping {
		if !p.Keyframe {
			q.countDropLocked()
			q.mu.Unlock()
			p.Release()
			return
		}
		q.dropping, q.fresh = false, false
	}
	q.items = append(q.items, p)
	started := false
	if !q.dropping && q.spanLocked() > q.limit {
		q.dropVideoLocked()
		started = true
	}
	for len(q.items)-q.head > q.maxItems {
		q.items[q.head].Release()
		q.items[q.head] = nil
		q.head++
		q.lost++
	}
	q.mu.Unlock()
	if started && q.onDrop != nil {
		q.onDrop()
	}
	q.signal()
}

// dropVideoLocked removes every queued video packet and drops incoming
// video until the next keyframe.
func (q *queue) dropVideoLocked() {
	kept := q.items[:q.head]
	for _, p := range q.items[q.head:] {
		if p.Kind == encode.Video {
			q.countDropLocked()
			p.Release()
			continue
		}
		kept = append(kept, p)
	}
	for i := len(kept); i < len(q.items); i++ {
		q.items[i] = nil
	}
	q.items = kept
	q.dropping = true
}

// pushOfflineLocked queues p while there is no connection: video is
// dropped (the next connection starts on a new keyframe) and audio is kept
// for at most the queue limit, which resync then sends.
func (q *queue) pushOfflineLocked(p *encode.Packet) {
	if p.Kind == encode.Video {
		q.countDropLocked()
		p.Release()
		return
	}
	q.items = append(q.items, p)
	for q.head < len(q.items) && p.DTS-q.items[q.head].DTS > q.limit {
		q.items[q.head].Release()
		q.items[q.head] = nil
		q.head++
		q.lost++
	}
}

// countDropLocked counts a dropped video frame, unless the stream has not
// started yet.
func (q *queue) countDropLocked() {
	if !q.fresh {
		q.dropped++
	}
}

// startFresh prepares the queue for a new stream: like setOffline, except
// that video dropped before the stream's first keyframe is not counted as
// dropped, since no viewer missed it.
func (q *queue) startFresh() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fresh, q.offline = true, true
	q.dropVideoLocked()
}

// setOffline marks the connection lost: from now until resync, video is
// dropped rather than queued, and no keyframes are asked for.
func (q *queue) setOffline() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.offline = true
	q.dropVideoLocked()
}

// resync prepares the queue for a new connection: queued video is dropped
// (the new connection starts on a keyframe) and so is audio older than
// half the queue limit, which would only add delay.
func (q *queue) resync() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.offline = false
	q.dropVideoLocked()
	if q.head == len(q.items) {
		return
	}
	newest := q.items[q.head].DTS
	for _, p := range q.items[q.head:] {
		newest = max(newest, p.DTS)
	}
	// Half the limit leaves room for the keyframe that starts the new
	// connection before the sender has drained this audio.
	for q.head < len(q.items) && newest-q.items[q.head].DTS > q.limit/2 {
		q.items[q.head].Release()
		q.items[q.head] = nil
		q.head++
		q.lost++
	}
}

// spanLocked is the media time between the oldest and newest queued packet.
func (q *queue) spanLocked() time.Duration {
	span, _ := q.sizeLocked()
	return span
}

// sizeLocked is the media time between the oldest and newest queued
// packet, and the bytes of media queued.
func (q *queue) sizeLocked() (span time.Duration, bytes int) {
	if len(q.items)-q.head == 0 {
		return 0, 0
	}
	oldest, newest := q.items[q.head].DTS, q.items[q.head].DTS
	for _, p := range q.items[q.head:] {
		oldest = min(oldest, p.DTS)
		newest = max(newest, p.DTS)
		bytes += len(p.Data)
	}
	return newest - oldest, bytes
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop returns the oldest packet, waiting for one. It returns false when the
// queue is closed and empty, or ctx ended.
func (q *queue) pop(ctx context.Context) (*encode.Packet, bool) {
	for {
		q.mu.Lock()
		if q.head < len(q.items) {
			p := q.items[q.head]
			q.items[q.head] = nil
			q.head++
			if q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
			} else if q.head > 1024 && q.head*2 > len(q.items) {
				n := copy(q.items, q.items[q.head:])
				clear(q.items[n:])
				q.items, q.head = q.items[:n], 0
			}
			q.mu.Unlock()
			return p, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// close ends the queue: push releases, pop drains what is left and then
// reports false.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// discard releases everything still queued.
func (q *queue) discard() {
	q.mu.Lock()
	for _, p := range q.items[q.head:] {
		p.Release()
	}
	clear(q.items)
	q.items, q.head = q.items[:0], 0
	q.mu.Unlock()
}

// queueStats is a snapshot of the queue's counters.
type queueStats struct {
	span    time.Duration
	bytes   int // media bytes queued
	dropped uint64
	lost    uint64
	len     int
}

func (q *queue) stats() queueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	span, bytes := q.sizeLocked()
	return queueStats{span: span, bytes: bytes, dropped: q.dropped, lost: q.lost, len: len(q.items) - q.head}
}
