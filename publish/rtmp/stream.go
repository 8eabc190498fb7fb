package rtmp

// The write path (metadata, sequence headers, media packets, control
// messages under the write lock) and the Stream's accessors.

import (
	"errors"
	"fmt"
	"time"

	"studio/encode"
	"studio/publish/flv"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// Stream reports its link. (It also satisfies publish.Publisher, structurally:
// package publish is above this one and is not imported.)
var _ wire.LinkReporter = (*Stream)(nil)

// URL returns the stream's URL (it prints with the key redacted).
func (s *Stream) URL() URL { return s.url }

// StreamID returns the message stream ID the server gave the NetStream.
func (s *Stream) StreamID() uint32 { return s.streamID }

// Stats are byte counters of a Stream.
type Stats struct {
	BytesSent     uint64 // bytes written to the connection (after TLS: before encryption)
	BytesReceived uint64 // bytes of chunks read from the server
	// BytesAcked is what the server last acknowledged having received (it
	// acknowledges every window it announced, if it does at all); 0 until
	// the first Acknowledgement.
	BytesAcked uint64
}

// Stats returns the current counters. It is safe to call at any time.
func (s *Stream) Stats() Stats {
	st := Stats{BytesSent: s.cw.BytesWritten(), BytesReceived: s.cr.BytesRead()}
	if seq := uint64(s.acked.Load()); seq != 0 {
		// Acknowledgements carry 32 bits: unwrap near what was sent.
		v := st.BytesSent&^0xFFFFFFFF | seq
		if v > st.BytesSent && v >= 1<<32 {
			v -= 1 << 32
		}
		st.BytesAcked = v
	}
	return st
}

func (s *Stream) lockWrite()   { s.wsem <- struct{}{} }
func (s *Stream) unlockWrite() { <-s.wsem }

// armWriteDeadline pushes the write deadline WriteTimeout ahead, at most
// every 100 ms so that it costs nothing per message.
func (s *Stream) armWriteDeadline(now time.Time) {
	if now.Sub(s.armedAt) >= 100*time.Millisecond {
		s.armedAt = now
		_ = s.nc.SetWriteDeadline(now.Add(s.opts.WriteTimeout))
	}
}

// writeLocked writes one message; the caller holds the write lock. A failed
// write kills the connection.
func (s *Stream) writeLocked(h chunk.Header, parts ...[]byte) error {
	if err := s.Err(); err != nil {
		return err
	}
	now := time.Now()
	s.armWriteDeadline(now)
	if err := s.cw.WriteMessage(h, parts...); err != nil {
		s.fail(s.writeError(err))
		return s.Err()
	}
	if err := s.checkAcks(now); err != nil {
		s.fail(err)
		return s.Err()
	}
	return nil
}

// writeControl sends a protocol control or user control message.
func (s *Stream) writeControl(typ uint8, body []byte) error {
	s.lockWrite()
	defer s.unlockWrite()
	return s.writeLocked(chunk.Header{CSID: csidControl, Type: typ}, body)
}

// WriteHeader sends @setDataFrame onMetaData, then the video and AAC
// sequence headers (those whose configuration is present), all at
// timestamp 0. H.264 goes in the legacy form, HEVC and AV1 in the Enhanced
// RTMP form (see flv.AppendVideoSequenceStart). If the server declared the
// video codecs it takes without info's, WriteHeader sends nothing and
// fails with an error wrapping wire.ErrCodecRefused (the Stream stays
// usable).
func (s *Stream) WriteHeader(info encode.StreamInfo) error {
	s.lockWrite()
	defer s.unlockWrite()
	if err := s.Err(); err != nil {
		return err
	}
	if flv.HasVideo(info.Video) {
		if err := s.checkCodec(info.Video.Codec); err != nil {
			return fmt.Errorf("rtmp: %w", err)
		}
	}
	body, err := flv.AppendMetadata(s.scratch[:0], info, true)
	if err != nil {
		return fmt.Errorf("rtmp: metadata: %w", err)
	}
	s.scratch = body
	if err := s.writeLocked(chunk.Header{CSID: csidStream, Type: chunk.TypeDataAMF0, StreamID: s.streamID}, body); err != nil {
		return err
	}
	if flv.HasVideo(info.Video) {
		body, err := flv.AppendVideoSequenceStart(s.scratch[:0], info.Video)
		if err != nil {
			return fmt.Errorf("rtmp: %s sequence header: %w", codecName(info.Video.Codec), err)
		}
		s.scratch = body
		if err := s.writeLocked(chunk.Header{CSID: csidVideo, Type: chunk.TypeVideo, StreamID: s.streamID}, body); err != nil {
			return err
		}
	}
	if len(info.Audio.ASC) > 0 {
		body, err := flv.AppendAACSequenceHeader(s.scratch[:0], info.Audio)
		if err != nil {
			return fmt.Errorf("rtmp: AAC sequence header: %w", err)
		}
		s.scratch = body
		if err := s.writeLocked(chunk.Header{CSID: csidAudio, Type: chunk.TypeAudio, StreamID: s.streamID}, body); err != nil {
			return err
		}
	}
	s.headerSent, s.codec = true, info.Video.Codec
	return nil
}

// WritePacket sends one audio or video packet with timestamp = DTS in
// milliseconds (negative DTS is sent as 0). It does not retain p and, after
// warm-up, allocates nothing. After any error the Stream is dead: Err says
// why.
func (s *Stream) WritePacket(p *encode.Packet) error {
	s.lockWrite()
	defer s.unlockWrite()
	if err := s.Err(); err != nil {
		return err
	}
	if !s.headerSent {
		return errors.New("rtmp: WritePacket before WriteHeader")
	}
	ts := uint32(0)
	if ms := p.DTS.Milliseconds(); ms > 0 {
		ts = uint32(ms)
	}
	h := chunk.Header{StreamID: s.streamID, Timestamp: ts}
	var tag []byte
	switch p.Kind {
	case encode.Video:
		h.CSID, h.Type = csidVideo, chunk.TypeVideo
		tag = flv.AppendVideoPacketHeader(s.media[:0], s.codec, p.Keyframe, p.PTS-p.DTS)
	case encode.Audio:
		h.CSID, h.Type = csidAudio, chunk.TypeAudio
		tag = flv.AppendAACPacketHeader(s.media[:0])
	default:
		return fmt.Errorf("rtmp: packet of unknown kind %v", p.Kind)
	}
	return s.writeLocked(h, tag, p.Data)
}

// Link reports the kernel's view of the connection (round-trip times and
// delivery rate), where the platform offers it.
func (s *Stream) Link() (wire.Link, bool) {
	if s.tcp == nil {
		return wire.Link{}, false
	}
	return linkInfo(s.tcp)
}
