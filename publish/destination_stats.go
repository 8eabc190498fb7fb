package publish

import "time"

// stats is a snapshot of the destination's counters, without TargetKbps.
func (d *destination) stats(now time.Time) DestinationStats {
	qs := d.q.stats()
	st := DestinationStats{
		Name:          d.name,
		FramesSent:    d.sent.frames.Load(),
		FramesDropped: qs.dropped + d.passedOver.Load(),
		Queue:         qs.span,
		Reconnects:    int(d.reconnects.Load()),

		ReconnectRequests:       int(d.moves.honoured.Load()),
		ReconnectRequestsFailed: int(d.moves.failed.Load()),
		BytesSent:               d.sent.bytes(),
	}
	st.VideoKbps, st.AudioKbps, st.FPS = d.sent.rates(now)
	st.EstimateKbps = st.VideoKbps + st.AudioKbps
	in := glassInputs{queue: qs, sentKbps: st.EstimateKbps}
	if st.FPS > 0 {
		in.frame = st.VideoKbps * 1000 / 8 / st.FPS
	}
	if src := d.link.Load(); src != nil {
		if l, ok := src.r.Link(); ok {
			in.link, in.haveLink = l, true
			st.RTT, st.LinkDelay = l.RTT, l.Queued()
			if l.DeliveryKbps > 0 && !l.AppLimited {
				st.DeliveryKbps, st.EstimateKbps = l.DeliveryKbps, l.DeliveryKbps
			}
		}
	}
	st.GlassToServer = d.glass.estimate(in)
	st.Congestion = min(1, float64(qs.span+st.LinkDelay)/float64(d.s.cfg.QueueLimit))
	return st
}
