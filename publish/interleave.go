package publish

import (
	"time"

	"studio/encode"
)

// track tells the session's packet streams apart: the audio, the main
// video, and the lower-bitrate video rendition when one runs.
type track uint8

const (
	trackAudio track = iota
	trackMain
	trackLow
	numTracks
)

func (t track) String() string {
	switch t {
	case trackAudio:
		return "audio"
	case trackMain:
		return "video"
	case trackLow:
		return "low rendition"
	}
	return "track"
}

// interleaveWindow bounds how long, in media time, one track waits for the
// others before it goes out anyway. Audio runs about 50 ms behind video (its
// capture buffer and AAC's frame), and a microphone under load now and then
// 100 ms and more; a packet later than the window has to be moved up, which
// for audio breaks its sample-exact timing. It stays under the send queue's
// 700 ms, so that what it lets out at once is never dropped there.
const interleaveWindow = 500 * time.Millisecond

// interleaver puts the packets of every track in one DTS order. A packet
// goes out once every open track has a packet at or after it, or once a
// track has waited interleaveWindow of media time for the others. Audio and
// main video are always open; the low rendition's track opens with its
// first packet and closes with closeTrack. Output DTS never decreases: a
// packet that comes later than that is moved up to just after the last DTS
// sent. It is not safe for concurrent use.
type interleaver struct {
	q       [numTracks][]*encode.Packet
	open    [numTracks]bool
	last    time.Duration
	started bool
	moved   uint64 // packets whose DTS was moved up
}

// emitFunc receives the packets an interleaver lets out, in order.
type emitFunc func(p *encode.Packet, tr track)

// push takes p on track tr and hands every packet that may now go out to
// emit, in order.
func (il *interleaver) push(p *encode.Packet, tr track, emit emitFunc) {
	il.q[tr] = append(il.q[tr], p)
	il.open[tr] = true
	il.drain(false, emit)
}

// closeTrack stops waiting for tr; what it holds still goes out in order.
func (il *interleaver) closeTrack(tr track, emit emitFunc) {
	if tr != trackAudio && tr != trackMain {
		il.open[tr] = false
	}
	il.drain(false, emit)
}

// flush hands every packet left to emit, in order.
func (il *interleaver) flush(emit emitFunc) { il.drain(true, emit) }

func (il *interleaver) drain(all bool, emit emitFunc) {
	for {
		tr, ok := il.next(all)
		if !ok {
			return
		}
		emit(il.stamp(pop(&il.q[tr])), tr)
	}
}

// next picks the track whose head goes out now, or false to wait.
func (il *interleaver) next(all bool) (track, bool) {
	best, found, complete, stalled := track(0), false, true, false
	for tr := range numTracks {
		q := il.q[tr]
		if len(q) == 0 {
			if il.open[tr] || tr == trackAudio || tr == trackMain {
				complete = false
			}
			continue
		}
		stalled = stalled || waited(q)
		// Video first at equal DTS: a stream starts on its keyframe.
		if !found || q[0].DTS < il.q[best][0].DTS || (q[0].DTS == il.q[best][0].DTS && best == trackAudio) {
			best, found = tr, true
		}
	}
	return best, found && (all || complete || stalled)
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

// stamp keeps the output DTS from going back. A packet moved up goes a
// millisecond (FLV's unit) after the last one sent, which may be of its
// own track: two packets of one track never share a DTS.
func (il *interleaver) stamp(p *encode.Packet) *encode.Packet {
	if il.started && p.DTS < il.last {
		il.moved++
		to := il.last + time.Millisecond
		p.PTS += to - p.DTS
		p.DTS = to
	}
	il.last, il.started = p.DTS, true
	return p
}
