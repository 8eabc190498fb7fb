package publish

import (
	"time"

	"studio/encode"
)

// interleaveWindow bounds how long, in media time, one track waits for the
// other before it goes out anyway: a few video frames, about what the audio
// capture and encoder run behind the video.
const interleaveWindow = 100 * time.Millisecond

// interleaver puts the packets of the two tracks in one DTS order. A packet
// goes out once the other track has a packet at or after it, or once its
// own track has waited interleaveWindow of media time. Output DTS never
// decreases: a packet that comes later than that is moved up to the last
// DTS sent. It is not safe for concurrent use.
type interleaver struct {
	video, audio []*encode.Packet
	last         time.Duration
	started      bool
	moved        uint64 // packets whose DTS was moved up
}

// push takes p and hands every packet that may now go out to emit, in
// order.
func (il *interleaver) push(p *encode.Packet, emit func(*encode.Packet)) {
	if p.Kind == encode.Video {
		il.video = append(il.video, p)
	} else {
		il.audio = append(il.audio, p)
	}
	for {
		next := il.next(false)
		if next == nil {
			return
		}
		emit(il.stamp(next))
	}
}

// flush hands every packet left to emit, in order.
func (il *interleaver) flush(emit func(*encode.Packet)) {
	for {
		next := il.next(true)
		if next == nil {
			return
		}
		emit(il.stamp(next))
	}
}

// next removes and returns the packet to send now, or nil to wait.
func (il *interleaver) next(all bool) *encode.Packet {
	switch {
	case len(il.video) > 0 && len(il.audio) > 0:
		// Video first at equal DTS: a stream starts on its keyframe.
		if il.audio[0].DTS < il.video[0].DTS {
			return pop(&il.audio)
		}
		return pop(&il.video)
	case len(il.video) > 0 && (all || waited(il.video)):
		return pop(&il.video)
	case len(il.audio) > 0 && (all || waited(il.audio)):
		return pop(&il.audio)
	}
	return nil
}

// waited reports whether a track's queue spans more than the window.
func waited(q []*encode.Packet) bool {
	return q[len(q)-1].DTS-q[0].DTS > interleaveWindow
}

func pop(q *[]*encode.Packet) *encode.Packet {
	s := *q
	p := s[0]
	n := copy(s, s[1:])
	s[n] = nil
	*q = s[:n]
	return p
}

// stamp keeps the output DTS from going back.
func (il *interleaver) stamp(p *encode.Packet) *encode.Packet {
	if il.started && p.DTS < il.last {
		il.moved++
		p.PTS += il.last - p.DTS
		p.DTS = il.last
	}
	il.last, il.started = p.DTS, true
	return p
}
