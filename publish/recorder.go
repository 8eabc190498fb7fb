package publish

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"studio/encode"
)

// ErrRecording is returned by StartRecording while a recording runs.
var ErrRecording = errors.New("already recording")

// recordCloseBound bounds how long a recording may take to finish once the
// session is aborted.
const recordCloseBound = 2 * time.Second

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
}

func (s *Session) newRecorder(pub Publisher, midStream bool) *recorder {
	r := &recorder{s: s, pub: pub, awaitKey: midStream, done: make(chan struct{})}
	r.q = newQueue(s.cfg.RecordQueueLimit, 1<<14, func() {
		s.book.note(nil, Event{Err: fmt.Errorf("%w: the recording falls %v behind; video is left out of it up to the next keyframe",
			ErrDiskSlow, s.cfg.RecordQueueLimit)})
	})
	r.rate.init()
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
// queued and closes the recording.
func (r *recorder) finish() { r.q.close() }

// run writes the recording until finish, a write error, or the session is
// aborted, then closes it.
func (r *recorder) run() {
	defer close(r.done)
	s := r.s
	defer r.q.discard()
	// An abort cuts a write that hangs on the disk short.
	if a, ok := r.pub.(Aborter); ok {
		stop := context.AfterFunc(s.network, a.Abort)
		defer stop()
	}
	info, ok := s.hdr.wait(s.network, s.muxDone)
	if !ok {
		r.close()
		return
	}
	if err := r.pub.WriteHeader(info); err != nil {
		r.failed(err)
		return
	}
	for {
		p, ok := r.q.pop(s.network)
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop := context.AfterFunc(r.s.network, cancel)
	defer stop()
	if err := r.pub.Close(ctx); err != nil {
		r.s.book.note(nil, Event{Err: fmt.Errorf("finishing the recording: %w", err)})
	}
}

// recording reports whether the recorder still writes.
func (r *recorder) recording() bool { return !r.stopped.Load() }
