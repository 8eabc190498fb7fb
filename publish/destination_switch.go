package publish

// A server's reconnect request (Enhanced RTMP
// NetConnection.Connect.ReconnectRequest), honoured without a gap: while
// the old connection streams on, a new one is made (to the tcUrl the
// request names, or to the same URL) and sent the stream header; then the
// encoder is asked for a keyframe, every packet before it goes on the old
// connection and it and every packet after on the new one, and the old
// connection is closed (unpublish, then close) in the background.
//
// The new connection carries on the destination's timeline, as after a
// reconnect: its first frame is the switch keyframe, with the timestamp
// that frame would have had on the old connection, so no timestamp is
// sent twice or goes back, and a server that splices the two publishes
// sees one timeline. If the new connection fails, the old one goes on.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"studio/encode"
)

// retireAfter is how much media the new connection carries before the
// old one is closed: the server sees the new publish under way before
// the old one ends.
const retireAfter = 500 * time.Millisecond

// handoverTimeout bounds the making of a connection at the server's
// request. The old connection streams meanwhile, so it need not be short.
const handoverTimeout = 10 * time.Second

// mover is a destination's share of reconnect requests.
type mover struct {
	// requests holds the latest request not yet acted on: its tcUrl.
	requests chan string
	// tcURL is where the destination connects ("" for its own URL), and
	// target says it for people, with the key redacted; the destination's
	// goroutine's only.
	tcURL, target string
	// honoured and failed count the requests that switched connections,
	// and those whose new connection failed.
	honoured, failed atomic.Int64
	// retiring and dialing run the goroutines that close old connections
	// and make new ones; the destination's goroutine waits for them.
	retiring, dialing sync.WaitGroup
	// old is the connection switched from, open until the new one has
	// sent a packet at oldUntil (DTS); the destination's goroutine's only.
	old      Publisher
	oldUntil time.Duration
}

func (m *mover) init(name string) {
	m.requests = make(chan string, 1)
	m.target = name
}

// handover is a connection being made at the server's request.
type handover struct {
	tcURL, target string
	cancel        context.CancelFunc
	result        chan handoverResult // receives exactly one
	pub           Publisher           // once made and sent the header
}

type handoverResult struct {
	pub Publisher
	err error
}

// dialTo connects to tcURL (see RedialFunc).
func (d *destination) dialTo(ctx context.Context, tcURL string) (Publisher, error) {
	if d.redial != nil {
		return d.redial(ctx, tcURL, d.onStatus, d.onRequest)
	}
	return d.dial(ctx, d.onStatus)
}

// onRequest takes the server's reconnect request, on the connection's
// goroutine: it keeps the latest for the sender and returns at once.
func (d *destination) onRequest(tcURL string) {
	for {
		select {
		case d.moves.requests <- tcURL:
			return
		default:
		}
		select {
		case <-d.moves.requests: // an older one: the latest wins
		default:
		}
	}
}

// adoptRequest makes a reconnect go where a request not yet honoured
// points, once the connection that got it is lost.
func (d *destination) adoptRequest() {
	select {
	case tc := <-d.moves.requests:
		if tc != "" {
			d.moves.tcURL, d.moves.target = tc, redactedTarget(tc)
		}
	default:
	}
}

// redactedTarget names the URL at tcURL, its key shown as ****.
func redactedTarget(tcURL string) string {
	return strings.TrimRight(strings.TrimSpace(tcURL), "/") + "/****"
}

// send sends queued packets as sendOn does, switching connections when
// the server asks, and returns the connection in use at the end, for the
// caller to close.
func (d *destination) send(pub Publisher) (Publisher, error) {
	var (
		h     *handover
		carry *encode.Packet
	)
	defer func() {
		if h != nil {
			d.abandon(h)
		}
		d.retireOld()
	}()
	for {
		ready, first, err := d.sendOn(pub, carry, &h)
		carry = nil
		if ready == nil && err != nil && h != nil && d.ctx.Err() == nil && retryable(err) {
			// The old connection went before the switch: go on with the
			// new one at once, from a keyframe.
			made := d.await(h) != nil
			if !made {
				h = nil // it failed: reconnect as after any loss
			} else {
				ready, h = h, nil
				d.q.resync()
				d.forceKeyframe()
				d.switched(ready, err)
				d.retireOld()
				d.retire(pub)
				pub = ready.pub
				continue
			}
		}
		if ready == nil {
			return pub, err
		}
		// The switch keyframe goes first on the new connection; the old
		// one is closed once it has gone, so that the server sees the new
		// publish start before the old one ends. If it cannot be sent,
		// the old connection takes it and goes on.
		if err := ready.pub.WritePacket(first); err != nil {
			d.handoverFailed(ready, fmt.Errorf("sending its first frame: %w", err))
			d.retire(ready.pub)
			carry = first
			continue
		}
		d.sent.count(first.Kind, len(first.Data))
		d.switched(ready, nil)
		d.retireOld()
		d.moves.old, d.moves.oldUntil = pub, first.DTS+retireAfter
		first.Release()
		pub = ready.pub
	}
}

// retireDue closes the connection switched from once the new one has
// sent a packet at dts past its time.
func (d *destination) retireDue(dts time.Duration) {
	if d.moves.old != nil && dts >= d.moves.oldUntil {
		d.retireOld()
	}
}

// retireOld closes the connection switched from, if it is still open.
func (d *destination) retireOld() {
	if d.moves.old != nil {
		d.retire(d.moves.old)
		d.moves.old = nil
	}
}

// handoverStep moves a request along, once per packet p about to be
// sent: it starts a new connection for a request, asks for a keyframe
// once the connection is made, and returns the handover when p is that
// keyframe (or any other): p then goes on the new connection, and
// everything after.
func (d *destination) handoverStep(hp **handover, p *encode.Packet) *handover {
	h := *hp
	if h == nil {
		select {
		case tc := <-d.moves.requests:
			*hp = d.startHandover(tc)
		default:
		}
		return nil
	}
	if h.pub == nil {
		select {
		case r := <-h.result:
			if r.err != nil {
				d.handoverFailed(h, r.err)
				*hp = nil
				return nil
			}
			h.pub = r.pub
		default:
			return nil
		}
		if p.Kind != encode.Video || !p.Keyframe {
			d.forceKeyframe()
			return nil
		}
	}
	if p.Kind != encode.Video || !p.Keyframe {
		return nil
	}
	*hp = nil
	return h
}

// startHandover starts making a connection to tcURL, on a goroutine of
// its own that sends it the stream header.
func (d *destination) startHandover(tcURL string) *handover {
	target := d.moves.target
	if tcURL != "" {
		target = redactedTarget(tcURL)
	} else {
		tcURL = d.moves.tcURL
	}
	d.s.log.Info("server asked to reconnect: connecting", "destination", d.name, "to", target)
	ctx, cancel := context.WithTimeout(d.ctx, handoverTimeout)
	h := &handover{tcURL: tcURL, target: target, cancel: cancel, result: make(chan handoverResult, 1)}
	d.moves.dialing.Go(func() {
		defer cancel()
		stop := context.AfterFunc(d.s.stopCtx, cancel)
		defer stop()
		pub, err := d.dialTo(ctx, tcURL)
		if err == nil {
			info, _ := d.s.hdr.known() // known: the destination streams
			if err = pub.WriteHeader(info); err != nil {
				d.closePublisher(pub)
				pub, err = nil, fmt.Errorf("sending stream header: %w", err)
			}
		}
		h.result <- handoverResult{pub, err}
	})
	return h
}

// await waits for h's connection, and returns it or nil.
func (d *destination) await(h *handover) Publisher {
	if h.pub != nil {
		return h.pub
	}
	r := <-h.result
	if r.err != nil {
		d.handoverFailed(h, r.err)
		return nil
	}
	h.pub = r.pub
	return h.pub
}

// abandon gives up h: its connection attempt ends and what it made is
// closed.
func (d *destination) abandon(h *handover) {
	h.cancel()
	pub := h.pub
	if pub == nil {
		if r := <-h.result; r.err == nil {
			pub = r.pub
		}
	}
	if pub != nil {
		d.closePublisher(pub)
	}
	d.moves.dialing.Wait()
}

// switched counts and tells a switch to h's connection; lost is why the
// old connection went first, if it did.
func (d *destination) switched(h *handover, lost error) {
	select {
	case <-d.moves.requests: // one that came meanwhile: this switch answers it
	default:
	}
	d.moves.tcURL, d.moves.target = h.tcURL, h.target
	d.moves.honoured.Add(1)
	desc := "server asked to reconnect; switched to " + h.target + " on a keyframe"
	if lost != nil {
		desc = fmt.Sprintf("server asked to reconnect; switched to %s after the old connection went (%v)", h.target, lost)
	}
	d.s.log.Info(desc, "destination", d.name)
	d.s.book.note(d.entry, Event{Status: &Status{Code: CodeReconnectRequest, Level: LevelStatus, Description: desc}})
}

// handoverFailed counts and tells a request whose connection failed.
func (d *destination) handoverFailed(h *handover, err error) {
	if d.ctx.Err() != nil || d.s.book.stopRequested() {
		return // not a failure: the destination ends
	}
	d.moves.failed.Add(1)
	err = fmt.Errorf("server asked to reconnect to %s, but the new connection failed; staying on the old one: %w", h.target, err)
	d.s.log.Warn(err.Error(), "destination", d.name)
	d.s.book.note(d.entry, Event{Err: err})
}

// retire closes an old connection in the background: it unpublishes and
// closes while the new one streams.
func (d *destination) retire(pub Publisher) {
	d.moves.retiring.Go(func() { d.closePublisher(pub) })
}
