package rtmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"studio/encode"
	"studio/publish/flv"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// Stream reports its link. (It also satisfies publish.Publisher, structurally:
// package publish is above this one and is not imported.)
var _ wire.LinkReporter = (*Stream)(nil)

// closeDrainLimit bounds how long Close waits for the server to close its
// side after our FCUnpublish and deleteStream.
const closeDrainLimit = 2 * time.Second

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

// checkAcks declares the connection dead when the server has stopped
// acknowledging: it acknowledged at least once, we have since sent more
// than twice the announced window, and that has lasted AckTimeout with no
// new acknowledgement. The caller holds the write lock.
func (s *Stream) checkAcks(now time.Time) error {
	n := s.ackCount.Load()
	if n == 0 || s.opts.AckTimeout < 0 {
		return nil
	}
	if n != s.overEpoch {
		s.overEpoch, s.overSince = n, time.Time{}
	}
	window := uint64(s.sentWindow.Load())
	if window == 0 {
		window = uint64(s.opts.AckWindow)
	}
	unacked := s.cw.BytesWritten() - s.ackAtSent.Load()
	switch {
	case unacked <= 2*window:
		s.overSince = time.Time{}
	case s.overSince.IsZero():
		s.overSince = now
	case now.Sub(s.overSince) > s.opts.AckTimeout:
		since := now.Sub(time.Unix(0, s.ackAtNano.Load())).Round(time.Millisecond)
		return fmt.Errorf("%w: the server stopped acknowledging: %d bytes sent since its last acknowledgement %s ago (window %d bytes)",
			wire.ErrTimeout, unacked, since, window)
	}
	return nil
}

func (s *Stream) writeError(err error) error {
	switch {
	case s.closing.Load():
		return wire.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: sending to the server made no progress for %s: %w", wire.ErrTimeout, s.opts.WriteTimeout, err)
	case closedByPeer(err):
		return fmt.Errorf("sending to the server: the server closed the connection: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("sending to the server: %w", err)
}

// writeControl sends a protocol control or user control message.
func (s *Stream) writeControl(typ uint8, body []byte) error {
	s.lockWrite()
	defer s.unlockWrite()
	return s.writeLocked(chunk.Header{CSID: csidControl, Type: typ}, body)
}

// WriteHeader sends @setDataFrame onMetaData, then the AVC and AAC sequence
// headers (those whose configuration is present), all at timestamp 0.
func (s *Stream) WriteHeader(info encode.StreamInfo) error {
	s.lockWrite()
	defer s.unlockWrite()
	if err := s.Err(); err != nil {
		return err
	}
	body, err := flv.AppendMetadata(s.scratch[:0], info, true)
	if err != nil {
		return fmt.Errorf("rtmp: metadata: %w", err)
	}
	s.scratch = body
	if err := s.writeLocked(chunk.Header{CSID: csidStream, Type: chunk.TypeDataAMF0, StreamID: s.streamID}, body); err != nil {
		return err
	}
	if len(info.Video.SPS) > 0 {
		body, err := flv.AppendAVCSequenceHeader(s.scratch[:0], info.Video)
		if err != nil {
			return fmt.Errorf("rtmp: AVC sequence header: %w", err)
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
	s.headerSent = true
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
		tag = flv.AppendAVCPacketHeader(s.media[:0], p.Keyframe, p.PTS-p.DTS)
	case encode.Audio:
		h.CSID, h.Type = csidAudio, chunk.TypeAudio
		tag = flv.AppendAACPacketHeader(s.media[:0])
	default:
		return fmt.Errorf("rtmp: packet of unknown kind %v", p.Kind)
	}
	return s.writeLocked(h, tag, p.Data)
}

// Close ends the stream: FCUnpublish and deleteStream if the connection is
// still healthy, then it waits (within ctx, and 2 s at most) for the server
// to close its side, closes the socket and waits for the reader goroutine.
// It is bounded by ctx, idempotent, and safe to call concurrently with a
// failing write: when ctx ends first, the socket is closed anyway and
// Close returns ctx's error.
func (s *Stream) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Stream) close(ctx context.Context) error {
	s.closing.Store(true)
	var err error
	if s.Err() == nil {
		err = s.unpublish(ctx)
	}
	if err == nil && s.Err() == nil && !s.inCallback.Load() {
		// Half-close and let the server finish: this makes sure it has
		// read everything (closing with unread data would reset the
		// connection) and finalizes the recording. Not from OnStatus:
		// the reader goroutine that would see the server's close is the
		// one running it.
		if cw, ok := s.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			t := time.NewTimer(closeDrainLimit)
			select {
			case <-s.readerDone:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
	s.fail(wire.ErrClosed)
	if !s.inCallback.Load() {
		select {
		case <-s.readerDone:
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
		}
	}
	return err
}

// unpublish sends FCUnpublish and deleteStream.
func (s *Stream) unpublish(ctx context.Context) error {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("rtmp: close: %w", ctx.Err())
	}
	defer s.unlockWrite()
	if s.Err() != nil {
		return nil // a write failed meanwhile: nothing left to unpublish
	}
	if d, ok := ctx.Deadline(); ok {
		_ = s.nc.SetWriteDeadline(d)
		s.armedAt = d // keep armWriteDeadline from extending it
	}
	stop := context.AfterFunc(ctx, func() { _ = s.nc.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	for _, c := range []struct {
		name string
		arg  any
	}{
		{"FCUnpublish", s.url.StreamKey()},
		{"deleteStream", float64(s.streamID)},
	} {
		body, err := AppendCommand(s.scratch[:0], c.name, 0, nil, c.arg)
		if err != nil {
			return err
		}
		s.scratch = body
		if err := s.cw.WriteMessage(chunk.Header{CSID: csidCommand, Type: chunk.TypeCommandAMF0}, body); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("rtmp: close: %w", ctx.Err())
			}
			return fmt.Errorf("rtmp: close: sending %s: %w", c.name, err)
		}
	}
	return nil
}

// Link reports the kernel's view of the connection (round-trip times and
// delivery rate), where the platform offers it.
func (s *Stream) Link() (wire.Link, bool) {
	if s.tcp == nil {
		return wire.Link{}, false
	}
	return linkInfo(s.tcp)
}
