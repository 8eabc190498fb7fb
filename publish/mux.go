package publish

import (
	"time"

	"studio/encode"
)

// muxIn is one packet from an encode loop, or with p nil the end of a
// track that can end before the session (the low rendition).
type muxIn struct {
	p  *encode.Packet
	tr track
}

// muxLoop builds the stream header, puts the packets of every track in one
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
		info    encode.StreamInfo
		// lowOK is whether the running low rendition fits the main
		// video, checked at its first packet (checked set).
		lowOK, checked bool
	)
	defer func() {
		for _, a := range pending {
			a.Release()
		}
		il.flush(s.outs.fanOut)
		s.outs.close()
		close(s.muxDone)
	}()
	for in := range s.in {
		p := in.p
		switch {
		case p == nil:
			il.closeTrack(in.tr, s.outs.fanOut)
			checked = false
		case in.tr == trackLow && (!haveHdr || checked && !lowOK):
			p.Release()
		case in.tr == trackLow && !checked:
			checked, lowOK = true, s.renditionFits(info)
			if !lowOK {
				p.Release()
				continue
			}
			s.muxFrom(&il, p, in.tr, start)
		case !haveHdr && in.tr == trackAudio:
			pending = append(pending, p)
		case !haveHdr && in.tr == trackMain:
			info = encode.StreamInfo{Video: s.cfg.Video.Config(), Audio: s.cfg.Audio.Config()}
			haveHdr = true
			s.rate.known(info.Video)
			s.hdr.set(info)
			start = p.DTS
			il.push(p, trackMain, s.outs.fanOut)
			for _, a := range pending {
				s.muxFrom(&il, a, trackAudio, start)
			}
			pending = nil
		default:
			s.muxFrom(&il, p, in.tr, start)
		}
	}
	if il.moved > 0 {
		s.log.Info("packets that came too late for their place were moved up", "count", il.moved)
	}
}

// muxFrom interleaves p unless it is from before start, the first video
// frame.
func (s *Session) muxFrom(il *interleaver, p *encode.Packet, tr track, start time.Duration) {
	if p.DTS < start {
		p.Release()
		return
	}
	il.push(p, tr, s.outs.fanOut)
}
