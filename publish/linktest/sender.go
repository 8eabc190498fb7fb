package linktest

import (
	"context"
	"encoding/binary"
	"time"

	"studio/encode"
	"studio/encode/aac"
)

// packetWriter is what the sender writes to: an *rtmp.Stream in Run.
type packetWriter interface {
	WritePacket(p *encode.Packet) error
}

// naluFiller is the H.264 NAL unit type of filler data, which decoders
// skip. Its nal_ref_idc is 0, so the header byte is the type itself.
const naluFiller = 12

// fillerOverhead is what a filler NAL unit costs beyond its 0xFF payload
// in AVCC form: the 4-byte length, the header byte and the final byte of
// rbsp_trailing_bits (0x80).
const fillerOverhead = 6

// appendPadded appends frame (AVCC NAL units) to dst, then one filler data
// NAL unit that brings the frame to size bytes when it is smaller by more
// than fillerOverhead. Filler data follows the picture's slices, where the
// H.264 syntax allows it.
func appendPadded(dst, frame []byte, size int) []byte {
	dst = append(dst, frame...)
	pad := size - len(frame) - fillerOverhead
	if pad < 0 {
		return dst
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(pad+2))
	dst = append(dst, naluFiller)
	for range pad {
		dst = append(dst, 0xff)
	}
	return append(dst, 0x80)
}

// sender loops a clip as a live stream: video frame n (of the loop, not
// the clip) has PTS = DTS = n/FPS, audio frame k has k × 1024 samples,
// and packets go out in DTS order. Each video frame is padded to
// frameBytes, which sets the rate.
//
// Pacing: a packet is written no earlier than start + its DTS, so on a
// link faster than the rate the stream runs in real time; on a slower link
// every write blocks until the socket takes it, and the stream falls
// behind real time. Either way the socket stays full and what waits is
// bounded by the kernel's buffers (see rtmp.Options.UnsentLimit), never
// by a queue of ours.
type sender struct {
	clip       *Clip
	w          packetWriter
	frameBytes int
	buf        []byte
	sent       uint64 // payload bytes written
}

func newSender(clip *Clip, w packetWriter, kbps int) *sender {
	fb := kbps * 1000 / 8 / clip.Video.FPS
	return &sender{clip: clip, w: w, frameBytes: fb, buf: make([]byte, 0, fb+64)}
}

// run writes until ctx ends (then it returns nil) or a write fails (then
// it returns the error).
func (s *sender) run(ctx context.Context, start time.Time) error {
	fps := time.Duration(s.clip.Video.FPS)
	rate := int64(s.clip.Audio.SampleRate)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var vn, an int64
	for {
		vts := time.Duration(vn) * time.Second / fps
		ats := time.Duration(an * aac.FrameSamples * int64(time.Second) / rate)
		ts := min(vts, ats)
		if d := time.Until(start.Add(ts)); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return nil
		}
		p := encode.Packet{PTS: ts, DTS: ts, Keyframe: true}
		if vts <= ats {
			f := s.clip.frames[vn%int64(len(s.clip.frames))]
			s.buf = appendPadded(s.buf[:0], f.data, s.frameBytes)
			p.Kind, p.Keyframe, p.Data = encode.Video, f.key, s.buf
			vn++
		} else {
			p.Kind, p.Data = encode.Audio, s.clip.audio[an%int64(len(s.clip.audio))]
			an++
		}
		if err := s.w.WritePacket(&p); err != nil {
			return err
		}
		s.sent += uint64(len(p.Data))
	}
}
