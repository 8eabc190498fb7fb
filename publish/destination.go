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

// destination is one output that streams to a server: its own connection,
// send queue, reconnects, adaptive bitrate controller and counters, on a
// goroutine of its own. Nothing it does waits on another output.
type destination struct {
	s    *Session
	name string
	dial DialFunc
	// redial, when set, replaces dial and honours the server's reconnect
	// requests (see destination_switch.go).
	redial RedialFunc
	moves  mover
	entry  *destState
	q      *queue
	sent   mediaRate
	link   atomic.Pointer[linkSource]
	ctx    context.Context // ends when it must give up
	stop   context.CancelFunc
	// joined is set for a destination added to a running session: it
	// starts on a keyframe asked for at once, and its failure never ends
	// the session.
	joined     bool
	userEnded  atomic.Bool
	reconnects atomic.Int64
	retryNow   chan struct{}
	done       chan struct{}
	// want is the video track the destination should stream, set by the
	// bitrate; on is the one it streams, changed by the mux goroutine at a
	// keyframe of want.
	want, on atomic.Uint32
	// passedOver counts the video frames not taken while a move between
	// renditions waited for the new one's keyframe; they count as dropped.
	passedOver atomic.Uint64
	// lastVideo is the DTS of the last video packet it took, once
	// tookVideo; the mux goroutine's only.
	lastVideo time.Duration
	tookVideo bool
	glass     glassMeter
	// startKbps is the video bitrate its link is known to carry before it
	// connects (Destination.StartKbps), 0 when unknown.
	startKbps int
	// endAt, once set, is the session time (ns, +1) at which a destination
	// that the user ends stops taking packets: it sends what was captured
	// before and then unpublishes.
	endAt  atomic.Int64
	ending sync.Once

	// Its timeline starts at zero with the first keyframe it sends; base
	// is that keyframe's session time. Its goroutine only.
	base     time.Duration
	haveBase bool
}

// linkSource wraps a LinkReporter for an atomic pointer.
type linkSource struct{ r LinkReporter }

func (s *Session) newDestination(d Destination, joined bool) *destination {
	ctx, cancel := context.WithCancel(s.network)
	dst := &destination{
		s: s, name: d.Name, dial: d.Dial, redial: d.Redial, ctx: ctx, stop: cancel, joined: joined,
		retryNow: make(chan struct{}, 1), done: make(chan struct{}), startKbps: max(0, d.StartKbps),
	}
	dst.glass.init(s.cfg.CaptureZero)
	dst.want.Store(uint32(trackMain))
	dst.on.Store(uint32(trackMain))
	dst.q = newQueue(s.cfg.QueueLimit, 4096, func() {
		s.log.Info("send queue over limit: dropping video up to the next keyframe", "destination", d.Name, "limit", s.cfg.QueueLimit)
		dst.forceKeyframe()
	})
	if joined {
		// Until the connection is up, keep recent audio only.
		dst.q.startFresh()
	}
	dst.moves.init(d.Name)
	dst.sent.init(s.cfg.Clock.Now())
	dst.entry = s.book.add(d.Name)
	return dst
}

// reconnectNow skips the wait before its next reconnect attempt.
func (d *destination) reconnectNow() {
	select {
	case d.retryNow <- struct{}{}:
	default:
	}
}

// offer queues p to be sent; it never blocks.
func (d *destination) offer(p *encode.Packet) {
	if p.Kind == encode.Video {
		d.glass.offered(p, d.s.cfg.Clock.Now())
	}
	d.q.push(p)
}

// finish says that no more packets come: the destination sends what is
// queued, unpublishes and ends.
func (d *destination) finish() { d.q.close() }

func (d *destination) entryState() State {
	st, _ := d.s.book.get(d.entry)
	return st
}

// run streams until the session ends, the destination is removed, or it
// fails; then it records how it ended.
func (d *destination) run() {
	defer close(d.done)
	err := d.runStream()
	d.s.outs.remove(d)
	d.q.close()
	d.q.discard()
	d.stop()
	d.s.rate.detach(d)
	b := d.s.book
	switch {
	case err == nil || d.userEnded.Load():
		b.set(d.entry, StateStopped, nil)
	case d.joined:
		b.finish(d.entry, fmt.Errorf("%w: %w", ErrStreamEnded, err), false)
	default:
		// A destination from Start that fails ends the session unless
		// another destination still streams.
		if b.finish(d.entry, err, !b.othersActive(d.entry)) {
			d.s.stopCapture()
			d.s.abortNetwork()
		}
	}
}

// runStream connects, sends the header and then every queued packet; when
// the connection is lost it reconnects, sends the header again and resumes
// on a keyframe. It returns nil when the stream ended cleanly or was
// aborted, and the error that ended it otherwise.
func (d *destination) runStream() error {
	s := d.s
	defer d.moves.retiring.Wait()
	var (
		lastErr    error
		dialTook   time.Duration
		retries    = newBackoff(s.cfg.Reconnect)
		everLive   bool
		connectErr error // why the last attempt failed, while reconnecting
		failed     int   // reconnect attempts that failed since the loss
	)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			ok, giveUp := d.waitRetry(retries, lastErr, failed)
			if !ok {
				if giveUp != nil {
					return giveUp
				}
				if connectErr != nil && !s.book.stopRequested() && s.muxFinished() {
					s.book.note(d.entry, Event{Err: fmt.Errorf("the stream ended while reconnecting: %w", connectErr)})
				}
				return nil
			}
		}
		if attempt > 0 {
			d.adoptRequest()
		}
		begun := s.cfg.Clock.Now()
		pub, err := d.connect(attempt, dialTook)
		if err != nil {
			if s.book.stopRequested() || d.ctx.Err() != nil {
				return nil
			}
			if !everLive || !retryable(err) {
				return err
			}
			lastErr, connectErr = err, err
			failed++
			s.log.Warn("reconnect failed", "destination", d.name, "attempt", failed, "err", err)
			continue
		}
		dialTook, connectErr, failed = s.cfg.Clock.Now().Sub(begun), nil, 0
		info, ok := s.hdr.wait(d.ctx, s.muxDone)
		if !ok {
			d.closePublisher(pub)
			return nil
		}
		restart := s.rate.attach(d)
		if restart && attempt == 0 && !d.joined {
			// No viewer misses what goes before the first keyframe.
			d.q.startFresh()
		}
		if attempt > 0 || d.joined || restart {
			// Resume on a keyframe: nothing queued before it can decode.
			d.q.resync()
			d.forceKeyframe()
		}
		err = pub.WriteHeader(info)
		if err == nil {
			everLive = true
			if !s.book.stopRequested() {
				s.book.set(d.entry, StateLive, nil)
			}
			connected := s.cfg.Clock.Now()
			pub, err = d.send(pub)
			if s.cfg.Clock.Now().Sub(connected) >= s.cfg.Reconnect.StableAfter {
				retries.reset()
			}
		} else {
			err = fmt.Errorf("sending stream header: %w", err)
		}
		d.closePublisher(pub)
		if err == nil || s.book.stopRequested() || d.ctx.Err() != nil {
			return nil
		}
		if s.cfg.Reconnect.Disabled || !retryable(err) {
			return err
		}
		if s.muxFinished() && d.q.stats().len == 0 {
			return nil // lost after the last packet: nothing left to send
		}
		d.q.setOffline()
		d.reconnects.Add(1)
		lastErr = err
		s.book.set(d.entry, StateReconnecting, err)
	}
}

// connect makes one connection attempt. Reconnect attempts get a short
// deadline, so that a link that comes back is noticed promptly.
func (d *destination) connect(attempt int, lastTook time.Duration) (Publisher, error) {
	s := d.s
	ctx, cancel := context.WithCancel(d.ctx)
	if attempt > 0 {
		ctx, cancel = context.WithTimeout(d.ctx, max(s.cfg.Reconnect.DialTimeout, 2*lastTook))
	}
	defer cancel()
	// Stop abandons a connection attempt at once.
	stopDial := context.AfterFunc(s.stopCtx, cancel)
	defer stopDial()
	pub, err := d.dialTo(ctx, d.moves.tcURL)
	if err != nil && ctx.Err() == context.DeadlineExceeded && !errors.Is(err, ErrTimeout) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return pub, err
}

func (d *destination) onStatus(st Status) {
	if st.Code == CodeReconnectRequest && d.redial != nil {
		// Told once, when it is honoured or fails (see destination_switch.go).
		d.s.log.Info("server status", "destination", d.name, "code", st.Code, "description", st.Description)
		return
	}
	d.s.log.Info("server status", "destination", d.name, "code", st.Code, "level", st.Level, "description", st.Description)
	d.s.book.note(d.entry, Event{Status: &st})
}

// waitRetry waits before a reconnect attempt; failed is the number of
// attempts that failed since the connection was lost. It returns false when
// the destination must not retry: the session is stopping, capture has
// ended, or the server keeps refusing the stream (then with the error that
// ends the destination).
func (d *destination) waitRetry(b *backoff, lastErr error, failed int) (bool, error) {
	s := d.s
	wait, ok := b.delay(lastErr)
	if !ok {
		return false, fmt.Errorf("giving up after %d refusals in a row: %w", b.refusals-1, lastErr)
	}
	s.log.Info("reconnecting", "destination", d.name, "in", wait, "after", lastErr)
	if failed > 0 && !s.book.stopRequested() {
		s.book.note(d.entry, Event{Err: lastErr, Attempt: failed, RetryIn: wait})
	}
	t := s.cfg.Clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C():
	case <-d.retryNow:
	case <-s.stopCtx.Done():
		return false, nil
	case <-d.ctx.Done():
		return false, nil
	case <-s.muxDone:
		return false, nil
	}
	return true, nil
}

// sendOn sends queued packets on pub, first carry when it is set, until
// the queue ends (nil), the connection is lost (its error), the
// destination ends (errAborted), or a connection made at the server's
// request is to take over: then it returns that handover and the
// keyframe to start it with, not sent (see destination_switch.go).
func (d *destination) sendOn(pub Publisher, carry *encode.Packet, h **handover) (*handover, *encode.Packet, error) {
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	lr, _ := pub.(LinkReporter)
	if lr != nil {
		d.link.Store(&linkSource{lr})
		defer d.link.Store(nil)
	}
	d.glass.sending.Store(true)
	defer d.glass.sending.Store(false)
	conn, watched := pub.(interface {
		Done() <-chan struct{}
		Err() error
	})
	if watched {
		// Notice a dead connection even while the queue is empty.
		var watcher sync.WaitGroup
		defer func() { cancel(); watcher.Wait() }()
		watcher.Go(func() {
			select {
			case <-conn.Done():
				cancel()
			case <-ctx.Done():
			}
		})
	}
	for {
		p := carry
		carry = nil
		if p == nil {
			var ok bool
			if p, ok = d.q.pop(ctx); !ok {
				switch {
				case d.ctx.Err() != nil:
					return nil, nil, errAborted
				case ctx.Err() != nil && watched:
					if err := conn.Err(); err != nil {
						return nil, nil, fmt.Errorf("connection lost: %w", err)
					}
					return nil, nil, errors.New("connection lost")
				}
				return nil, nil, nil
			}
			if !d.rebase(p) {
				p.Release()
				continue
			}
			if next := d.handoverStep(h, p); next != nil {
				return next, p, nil
			}
		}
		d.glass.beginWrite(len(p.Data), lr)
		err := pub.WritePacket(p)
		d.glass.endWrite()
		n, kind, dts := len(p.Data), p.Kind, p.DTS
		p.Release()
		if err != nil {
			return nil, nil, fmt.Errorf("sending to server: %w", err)
		}
		d.sent.count(kind, n)
		d.retireDue(dts)
	}
}

// rebase moves p to the destination's timeline, which starts at zero with
// its first keyframe. It returns false for a packet to skip: one from
// before that keyframe.
func (d *destination) rebase(p *encode.Packet) bool {
	if !d.haveBase {
		if p.Kind != encode.Video || !p.Keyframe {
			return false
		}
		d.base, d.haveBase = p.DTS, true
	}
	if p.DTS < d.base {
		return false
	}
	p.PTS -= d.base
	p.DTS -= d.base
	return true
}

var errAborted = errors.New("publish: network aborted")

func (d *destination) closePublisher(pub Publisher) {
	ctx, cancel := context.WithTimeout(d.s.network, 5*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil && d.s.book.Err() == nil {
		d.s.log.Warn("closing the connection", "destination", d.name, "err", err)
	}
}
