package rtmp

import (
	"encoding/binary"
	"fmt"

	"studio/publish/rtmp/wire"
)

// User control event types (message type 4).
const (
	EventStreamBegin      uint16 = 0
	EventStreamEOF        uint16 = 1
	EventStreamDry        uint16 = 2
	EventSetBufferLength  uint16 = 3
	EventStreamIsRecorded uint16 = 4
	EventPingRequest      uint16 = 6
	EventPingResponse     uint16 = 7
)

// Peer bandwidth limit types (Set Peer Bandwidth).
const (
	LimitHard    uint8 = 0
	LimitSoft    uint8 = 1
	LimitDynamic uint8 = 2
)

func controlErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", wire.ErrProtocol, fmt.Sprintf(format, args...))
}

// appendUint32 is the body of Acknowledgement (3), Window Acknowledgement
// Size (5) and Set Chunk Size (1).
func appendUint32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

// parseUint32 decodes the body of an Acknowledgement or Window
// Acknowledgement Size message.
func parseUint32(what string, p []byte) (uint32, error) {
	if len(p) < 4 {
		return 0, controlErrorf("%s message of %d bytes, want 4", what, len(p))
	}
	return binary.BigEndian.Uint32(p), nil
}

// parsePeerBandwidth decodes Set Peer Bandwidth (6): a window and a limit
// type.
func parsePeerBandwidth(p []byte) (window uint32, limit uint8, err error) {
	if len(p) < 5 {
		return 0, 0, controlErrorf("Set Peer Bandwidth message of %d bytes, want 5", len(p))
	}
	return binary.BigEndian.Uint32(p), p[4], nil
}

// parseUserControl decodes a User Control message (4): an event type and
// its data.
func parseUserControl(p []byte) (event uint16, data []byte, err error) {
	if len(p) < 2 {
		return 0, nil, controlErrorf("User Control message of %d bytes", len(p))
	}
	return binary.BigEndian.Uint16(p), p[2:], nil
}

// appendUserControl appends a User Control message body.
func appendUserControl(dst []byte, event uint16, data []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, event)
	return append(dst, data...)
}
