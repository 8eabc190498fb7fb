package publish

import (
	"time"

	"studio/encode"
)

// muxLoop builds the stream header, puts the packets of both tracks in one
// DTS order and hands them to the outputs. The stream begins with the
// first video frame (a keyframe): audio that arrives before it waits for
// it, and audio from before it is dropped.
func (s *Session) muxLoop() {
	defer s.loops.Done()
	var (
		pending []*encode.Packet
		il      interleaver
		start   time.Duration // DTS of the first video packet
		haveHdr bool
	)
	defer func() {
		for _, a := range pending {
			a.Release()
		}
		il.flush(s.outs.fanOut)
		s.outs.close()
		close(s.muxDone)
	}()
	for p := range s.in {
		if !haveHdr {
			if p.Kind != encode.Video {
				pending = append(pending, p)
				continue
			}
			info := encode.StreamInfo{Video: s.cfg.Video.Config(), Audio: s.cfg.Audio.Config()}
			haveHdr = true
			s.rate.known(info.Video.BitrateKbps)
			s.hdr.set(info)
			start = p.DTS
			il.push(p, s.outs.fanOut)
			for _, a := range pending {
				s.muxFrom(&il, a, start)
			}
			pending = nil
			continue
		}
		s.muxFrom(&il, p, start)
	}
	if il.moved > 0 {
		s.log.Info("packets that came too late for their place were moved up", "count", il.moved)
	}
}

// muxFrom interleaves p unless it is audio from before start, the first
// video frame.
func (s *Session) muxFrom(il *interleaver, p *encode.Packet, start time.Duration) {
	if p.Kind == encode.Audio && p.DTS < start {
		p.Release()
		return
	}
	il.push(p, s.outs.fanOut)
}
