package rtmp

// Message dispatch: the reader goroutine reads every message the server
// sends and routes it to the acknowledgement (ack.go), transaction
// (transaction.go) and status (status.go) handling.

import (
	"studio/publish/rtmp/chunk"
)

// readLoop is the reader goroutine: it handles every incoming message until
// the connection fails.
func (s *Stream) readLoop() {
	defer close(s.readerDone)
	for {
		m, err := s.cr.ReadMessage()
		if err != nil {
			s.fail(s.readError(err))
			return
		}
		if err := s.handle(m); err != nil {
			s.fail(err)
			return
		}
		if err := s.acknowledge(); err != nil {
			s.fail(err)
			return
		}
	}
}

// handle processes one incoming message on the reader goroutine.
func (s *Stream) handle(m chunk.Message) error {
	switch m.Type {
	case chunk.TypeSetChunkSize:
		s.log.Debug("rtmp: server chunk size", "size", s.cr.ChunkSize())
	case chunk.TypeAbort:
		s.log.Debug("rtmp: server aborted a message")
	case chunk.TypeAck:
		return s.handleAck(m.Payload)
	case chunk.TypeWindowAckSize:
		return s.handleWindowAckSize(m.Payload)
	case chunk.TypeSetPeerBandwidth:
		w, _, err := parsePeerBandwidth(m.Payload)
		if err != nil {
			return err
		}
		return s.announceWindow(w)
	case chunk.TypeUserControl:
		ev, data, err := parseUserControl(m.Payload)
		if err != nil {
			return err
		}
		switch ev {
		case EventPingRequest:
			return s.writeControl(chunk.TypeUserControl, appendUserControl(nil, EventPingResponse, data))
		case EventStreamBegin, EventStreamEOF, EventStreamDry, EventStreamIsRecorded:
			s.log.Debug("rtmp: user control event", "event", ev)
		}
	case chunk.TypeCommandAMF0, chunk.TypeCommandAMF3:
		body := m.Payload
		if m.Type == chunk.TypeCommandAMF3 && len(body) > 0 {
			body = body[1:] // AMF3 command messages start with a 0 format byte, then AMF0
		}
		cmd, err := ParseCommand(body)
		if err != nil {
			s.log.Warn("rtmp: ignoring an undecodable command", "err", err)
			return nil
		}
		return s.handleCommand(cmd)
	default:
		s.log.Debug("rtmp: ignoring message", "type", m.Type, "bytes", len(m.Payload))
	}
	return nil
}

// handleCommand dispatches a command from the server.
func (s *Stream) handleCommand(cmd Command) error {
	switch cmd.Name {
	case "_result", "_error":
		s.resolve(cmd)
	case "onStatus":
		return s.handleStatus(cmd)
	case "onBWDone", "onFCPublish", "onFCUnpublish", "_checkbw", "|RtmpSampleAccess", "onMetaData", "close":
		s.log.Debug("rtmp: ignoring command", "name", cmd.Name)
	default:
		s.log.Debug("rtmp: ignoring unknown command", "name", cmd.Name)
	}
	return nil
}
