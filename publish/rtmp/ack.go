package rtmp

// Acknowledgements and windows: what we announce, what we acknowledge of
// the server's data, and the server's acknowledgements of ours.

import (
	"fmt"
	"time"

	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// announceWindow sends a Window Acknowledgement Size of w, unless w is
// the window announced last.
func (s *Stream) announceWindow(w uint32) error {
	s.lockWrite()
	defer s.unlockWrite()
	if s.sentWindow.Load() == w {
		return nil
	}
	s.sentWindow.Store(w)
	return s.writeLocked(chunk.Header{CSID: csidControl, Type: chunk.TypeWindowAckSize}, appendUint32(s.scratch[:0], w))
}

// acknowledge sends an Acknowledgement once the server has sent a whole
// window (its Window Acknowledgement Size) since the last one. It runs on
// the reader goroutine after each message.
func (s *Stream) acknowledge() error {
	if s.ackWindow == 0 {
		return nil
	}
	n := s.cr.BytesRead()
	if n-s.lastAckAt < uint64(s.ackWindow) {
		return nil
	}
	s.lastAckAt = n
	return s.writeControl(chunk.TypeAck, appendUint32(nil, uint32(n)))
}

// handleWindowAckSize records the server's Window Acknowledgement Size:
// how often it wants us to acknowledge.
func (s *Stream) handleWindowAckSize(p []byte) error {
	w, err := parseUint32("Window Acknowledgement Size", p)
	if err != nil {
		return err
	}
	s.ackWindow = w
	return nil
}

// handleAck records an Acknowledgement from the server: how much of what
// we sent it has received, and when it said so. Only one that moves the
// sequence number (or the first) counts as progress.
func (s *Stream) handleAck(p []byte) error {
	seq, err := parseUint32("Acknowledgement", p)
	if err != nil {
		return err
	}
	if old := s.acked.Swap(seq); old != seq || s.ackCount.Load() == 0 {
		s.ackAtSent.Store(s.cw.BytesWritten())
		s.ackAtNano.Store(time.Now().UnixNano())
		s.ackCount.Add(1)
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
		return fmt.Errorf("%w: %w: %d bytes sent since its last acknowledgement %s ago (window %d bytes)",
			wire.ErrTimeout, wire.ErrNotAcknowledged, unacked, since, window)
	}
	return nil
}
