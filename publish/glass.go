package publish

import (
	"sync/atomic"
	"time"

	"studio/encode"
)

// glassMeter keeps what a destination's glass-to-server estimate needs
// besides its queue and its link: how long video takes from capture to its
// queue, and how much of the packet being written the kernel has not taken
// yet. offered runs on the mux goroutine, beginWrite and endWrite on the
// destination's; estimate may run anywhere.
//
// The estimate is for a frame captured now: it takes the encoder's and the
// mux's delay (as the last frames took), then waits behind every byte
// ahead of it (the queue, the rest of the packet being written, what the
// socket holds unsent and unacknowledged), then its own bytes go at the
// rate the link delivers, and its last byte reaches the server half a
// round trip later. It is the delay a viewer's stream has at the server,
// up to the server's own.
type glassMeter struct {
	// zero is the session-clock time (unix ns) at which packets' PTS is
	// zero: Config.CaptureZero, or else the least (offer time − PTS) seen,
	// which leaves out the encoder's least delay.
	zero      atomic.Int64
	zeroKnown bool // zero was given; set before the destination starts
	// preQueue is the smoothed delay (ns) from capture to the queue.
	preQueue atomic.Int64
	havePre  atomic.Bool
	// sending is set while a connection is up and the queue drains to it.
	sending atomic.Bool
	// writing is the size of the packet being written (0 between writes)
	// and writeBase how many bytes the kernel had taken (acknowledged,
	// in flight or unsent) when that write began; baseOK says whether
	// writeBase is known.
	writing   atomic.Int64
	writeBase atomic.Uint64
	baseOK    atomic.Bool
}

func (g *glassMeter) init(zero time.Time) {
	if !zero.IsZero() {
		g.zero.Store(zero.UnixNano())
		g.zeroKnown = true
	}
}

// offered notes a packet entering the queue at now.
func (g *glassMeter) offered(p *encode.Packet, now time.Time) {
	if p.Kind != encode.Video {
		return
	}
	at := now.UnixNano() - int64(p.PTS)
	if !g.zeroKnown {
		if z := g.zero.Load(); !g.havePre.Load() || at < z {
			g.zero.Store(at)
		}
	}
	pre := max(0, at-g.zero.Load())
	if !g.havePre.Load() {
		g.preQueue.Store(pre)
		g.havePre.Store(true)
		return
	}
	old := g.preQueue.Load()
	g.preQueue.Store(old + (pre-old)/8)
}

// accepted is how many bytes the kernel has taken from us on this
// connection: acknowledged, in flight or not yet sent.
func accepted(l Link) uint64 {
	return l.BytesAcked + uint64(max(0, l.Unacked)+max(0, l.Unsent))
}

// beginWrite notes the packet of n bytes about to be written; r, when not
// nil, reports the socket.
func (g *glassMeter) beginWrite(n int, r LinkReporter) {
	ok := false
	if r != nil {
		var l Link
		if l, ok = r.Link(); ok {
			g.writeBase.Store(accepted(l))
		}
	}
	g.baseOK.Store(ok)
	g.writing.Store(int64(n))
}

func (g *glassMeter) endWrite() { g.writing.Store(0) }

// glassInputs is what estimate takes from the destination's other
// numbers.
type glassInputs struct {
	queue    queueStats
	link     Link
	haveLink bool
	sentKbps float64 // audio and video sent over the last second
	frame    float64 // bytes of an average video frame lately
}

// estimate returns the glass-to-server delay of a frame captured now, 0
// while no connection drains the queue.
func (g *glassMeter) estimate(in glassInputs) time.Duration {
	if !g.sending.Load() {
		return 0
	}
	pre := time.Duration(g.preQueue.Load())
	kbps := in.sentKbps
	l := in.link
	if in.haveLink && l.DeliveryKbps > 0 {
		if l.AppLimited {
			// Measured while we sent less than the link carries: the link
			// does at least this much.
			kbps = max(kbps, l.DeliveryKbps)
		} else {
			kbps = l.DeliveryKbps
		}
	}
	if kbps <= 0 {
		// Nothing tells the rate yet: the queue's media time is the best
		// guess of its wait.
		return pre + in.queue.span
	}
	rest := int64(0)
	if n := g.writing.Load(); n > 0 {
		rest = n
		if in.haveLink && g.baseOK.Load() {
			taken := int64(accepted(l) - min(accepted(l), g.writeBase.Load()))
			rest = max(0, n-taken)
		}
	}
	drain := func(bytes float64) time.Duration {
		return time.Duration(bytes * 8 / (kbps * 1000) * float64(time.Second))
	}
	wait := drain(float64(in.queue.bytes+int(rest)) + in.frame)
	if in.haveLink {
		// What is unacknowledged includes what already crossed the link
		// and waits only for its acknowledgement: up to a round trip's
		// worth.
		sock := drain(float64(max(0, l.Unsent) + max(0, l.Unacked)))
		wait += sock - min(sock, l.MinRTT) + l.MinRTT/2
	}
	return pre + wait
}
