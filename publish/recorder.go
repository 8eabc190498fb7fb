package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"studio/encode"
)

// ErrRecording is returned by StartRecording while a recording runs.
var ErrRecording = errors.New("already recording")

// recordCloseBound bounds how long a recording may take to finish once the
// session is aborted.
const recordCloseBound = 2 * time.Second

// recordDrain bounds how long the recording may go on writing what it
// holds once the session has ended: a disk that slow would otherwise keep
// studio from ending. What does not make it is left out.
const recordDrain = 3 * time.Second

// Aborter is implemented by publishers whose pending writes can be cut
// short from another goroutine (for example, a file on a stalled disk).
// After Abort, every call fails at once and Close returns promptly; what
// was written stays.
type Aborter interface {
	Abort()
}

// recorder is the output that writes the local recording, on a goroutine of
// its own behind a bounded queue: a slow or stalled disk drops video from
// the recording (up to the next keyframe, so that it stays playable) and
// never holds up a destination. A write error stops the recording with a
// warning; the session goes on.
type recorder struct {
	s        *Session
	pub      Publisher
	q        *queue
	rate     mediaRate
	awaitKey bool // a recording started mid-stream begins with a keyframe
	stopped  atomic.Bool
	done     chan struct{}
	cut      chan struct{} // closed when a drain takes too long
	mu       sync.Mutex
	drain    *time.Timer // guarded by mu; set by finish
	ended    bool        // guarded by mu; run has returned
}

func (s *Session) newRecorder(pub Publisher, midStream bool) *recorder {
	r := &recorder{s: s, pub: pub, awaitKey: midStream, done: make(chan struct{}), cut: make(chan struct{})}
	var warned atomic.Bool
	r.q = newQueue(s.cfg.RecordQueueLimit, 1<<14, func() {
		if warned.Swap(true) {
			s.log.Info("the recording falls behind again: video left out up to the next keyframe")
			return
		}
		s.book.note(nil, Event{Err: fmt.Errorf("%w: it falls %v behind, so video is left out of it up to the next keyframe whenever that happens",
			ErrDiskSlow, s.cfg.RecordQueueLimit)})
	})
	r.rate.init(s.cfg.Clock.Now())
	return r
}

// ErrDiskSlow is wrapped by the warning that the recording falls behind.
var ErrDiskSlow = errors.New("the disk is too slow for the recording")

// takes reports whether p goes into the recording: audio and the main
// video.
func (r *recorder) takes(_ *encode.Packet, tr track) bool { return tr != trackLow }

// offer queues p to be written; it never blocks.
func (r *recorder) offer(p *encode.Packet) { r.q.push(p) }

// finish says that no more packets come: the recorder writes what is
// queued, for at most recordDrain, and closes the recording.
func (r *recorder) finish() {
	r.q.close()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.drain == nil && !r.ended {
		r.drain = time.AfterFunc(recordDrain, func() { close(r.cut) })
	}
}

// run writes the recording until finish, a write error, or the session is
// aborted, then closes it.
func (r *recorder) run() {
	defer close(r.done)
	defer func() {
		r.mu.Lock()
		r.ended = true
		if r.drain != nil {
			r.drain.Stop()
		}
		r.mu.Unlock()
	}()
	s := r.s
	defer r.q.discard()
	// An abort, or a drain that takes too long, cuts a write that hangs
	// on the disk short.
	ctx, cancel := context.WithCancel(s.network)
	defer cancel()
	go func() {
		select {
		case <-r.cut:
			s.log.Warn("the recording could not be finished in time: the disk is too slow; the rest is left out", "bound", recordDrain)
			cancel()
		case <-ctx.Done():
		}
	}()
	if a, ok := r.pub.(Aborter); ok {
		stop := context.AfterFunc(ctx, a.Abort)
		defer stop()
	}
	info, ok := s.hdr.wait(ctx, s.muxDone)
	if !ok {
		r.close()
		return
	}
	if err := r.pub.WriteHeader(info); err != nil {
		r.failed(err)
		return
	}
	for {
		p, ok := r.q.pop(ctx)
		if !ok {
			r.close()
			return
		}
		if r.awaitKey {
			if p.Kind != encode.Video || !p.Keyframe {
				p.Release()
				continue
			}
			// Waiting for the next keyframe (one keyframe interval at
			// most) costs the live stream nothing; forcing one would.
			r.awaitKey = false
		}
		err := r.pub.WritePacket(p)
		n, kind := len(p.Data), p.Kind
		p.Release()
		if err != nil {
			r.failed(err)
			return
		}
		r.rate.count(kind, n)
	}
}

// failed stops the recording after a write error; what it already holds
// stays readable, and the stream goes on.
func (r *recorder) failed(err error) {
	r.stopped.Store(true)
	r.s.outs.remove(r)
	r.q.close()
	r.s.book.note(nil, Event{Err: fmt.Errorf("recording stopped: %w", err)})
	r.s.log.Warn("recording stopped", "err", err)
	ctx, cancel := context.WithTimeout(context.Background(), recordCloseBound)
	_ = r.pub.Close(ctx)
	cancel()
}

// close finishes the recording.
func (r *recorder) close() {
	r.stopped.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), recordCloseBound)
	defer cancel()
	err := r.pub.Close(ctx)
	select {
	case <-r.cut:
		err = fmt.Errorf("%w: the last seconds did not reach it within %v and were left out", ErrDiskSlow, recordDrain)
	default:
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: the last of it did not reach the disk within %v and was left out", ErrDiskSlow, recordCloseBound)
		}
	}
	if err != nil {
		r.s.book.note(nil, Event{Err: fmt.Errorf("finishing the recording: %w", err)})
	}
}

// recording reports whether the recorder still writes.
func (r *recorder) recording() bool { return !r.stopped.Load() }
