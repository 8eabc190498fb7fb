// Package chunk implements the RTMP chunk stream: it splits messages into
// chunks (Writer) and reassembles chunks into messages (Reader).
//
// The package knows the two protocol control messages that change how chunks
// are framed, Set Chunk Size and Abort: a Reader applies them itself. Every
// other message type is opaque here.
package chunk

import (
	"encoding/binary"
	"fmt"

	"studio/publish/rtmp/wire"
)

// Message type IDs.
const (
	TypeSetChunkSize     uint8 = 1
	TypeAbort            uint8 = 2
	TypeAck              uint8 = 3
	TypeUserControl      uint8 = 4
	TypeWindowAckSize    uint8 = 5
	TypeSetPeerBandwidth uint8 = 6
	TypeAudio            uint8 = 8
	TypeVideo            uint8 = 9
	TypeDataAMF3         uint8 = 15
	TypeSharedObjectAMF3 uint8 = 16
	TypeCommandAMF3      uint8 = 17
	TypeDataAMF0         uint8 = 18
	TypeSharedObjectAMF0 uint8 = 19
	TypeCommandAMF0      uint8 = 20
	TypeAggregate        uint8 = 22
)

const (
	// DefaultChunkSize is the chunk size both directions start with.
	DefaultChunkSize = 128
	// MaxChunkSize is the largest chunk size the protocol allows.
	MaxChunkSize = 0x7FFFFFFF
	// MaxMessageLength is the largest message length a chunk header can
	// carry (24 bits).
	MaxMessageLength = 0xFFFFFF
	// MinCSID and MaxCSID bound chunk stream IDs (0 and 1 are escapes).
	MinCSID = 2
	MaxCSID = 65599

	extendedTimestamp = 0xFFFFFF
)

// Header describes one message.
type Header struct {
	CSID      uint32 // chunk stream ID, MinCSID..MaxCSID
	Type      uint8  // message type ID
	StreamID  uint32 // message stream ID
	Timestamp uint32 // milliseconds
}

// Message is a whole message.
type Message struct {
	Header
	Payload []byte
}

func protocolErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: chunk stream: %s", wire.ErrProtocol, fmt.Sprintf(format, args...))
}

// ValidChunkSize reports whether n is a chunk size the protocol allows.
func ValidChunkSize(n uint32) bool { return n >= 1 && n <= MaxChunkSize }

// SetChunkSizePayload returns the 4-byte body of a Set Chunk Size message.
func SetChunkSizePayload(n uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, n&MaxChunkSize)
}

// ParseSetChunkSize decodes and checks the body of a Set Chunk Size message:
// the size must be 1..0x7FFFFFFF (the high bit must be clear).
func ParseSetChunkSize(p []byte) (uint32, error) {
	if len(p) < 4 {
		return 0, protocolErrorf("Set Chunk Size message of %d bytes, want 4", len(p))
	}
	n := binary.BigEndian.Uint32(p)
	if !ValidChunkSize(n) {
		return 0, protocolErrorf("invalid chunk size %#x from peer (valid: 1 to 0x7FFFFFFF)", n)
	}
	return n, nil
}

// basicHeaderLen is the size of the basic header for csid.
func basicHeaderLen(csid uint32) int {
	switch {
	case csid < 64:
		return 1
	case csid < 320:
		return 2
	}
	return 3
}

// appendBasicHeader appends the basic header for fmt and csid.
func appendBasicHeader(b []byte, fmt uint8, csid uint32) []byte {
	switch {
	case csid < 64:
		return append(b, fmt<<6|byte(csid))
	case csid < 320:
		return append(b, fmt<<6, byte(csid-64))
	}
	c := csid - 64
	return append(b, fmt<<6|1, byte(c), byte(c>>8))
}
