// Package flv builds FLV tag bodies — the AVC and AAC sequence headers, the
// headers of H.264 and AAC frames, and onMetaData — and writes and reads FLV
// files.
//
// An FLV tag body is byte for byte the payload of an RTMP audio (8), video
// (9) or data (18) message, so the RTMP client sends what the Append
// functions build. They append to a caller's slice and never allocate when
// it has room. Frame payloads are not copied: a caller appends the header
// and then writes the payload as a second buffer (net.Buffers style).
//
// Writer records a stream to a file; Reader reads any FLV file back and is
// safe on hostile input.
package flv

import (
	"encoding/binary"
	"errors"
)

// TagType is the type of an FLV tag, and the RTMP message type of the same
// payload.
type TagType uint8

// Tag types.
const (
	TagAudio  TagType = 8
	TagVideo  TagType = 9
	TagScript TagType = 18
)

func (t TagType) String() string {
	switch t {
	case TagAudio:
		return "audio"
	case TagVideo:
		return "video"
	case TagScript:
		return "script"
	}
	return "unknown"
}

// Sentinel errors. Errors returned by this package wrap one of them where
// it applies.
var (
	// ErrTooLarge means a tag body larger than the format (or a Reader's
	// MaxTagSize) allows.
	ErrTooLarge = errors.New("flv: tag too large")
	// ErrCorrupt means input that is not a valid FLV file.
	ErrCorrupt = errors.New("flv: corrupt file")
	// ErrBadConfig means codec configuration that cannot be put in a
	// sequence header (for example an empty SPS).
	ErrBadConfig = errors.New("flv: bad codec configuration")
	// ErrClosed means the Writer was already closed.
	ErrClosed = errors.New("flv: writer closed")
)

// Sizes of the fixed parts of a file.
const (
	// HeaderSize is the size of the FLV file header.
	HeaderSize = 9
	// TagHeaderSize is the size of the header in front of every tag body.
	TagHeaderSize = 11
	// MaxTagBodySize is the largest tag body the 24-bit size field can
	// describe.
	MaxTagBodySize = 1<<24 - 1
)

// Flags of the FLV file header.
const (
	FlagVideo = 0x01
	FlagAudio = 0x04
)

// AppendFileHeader appends the 9-byte FLV file header (version 1, with the
// given FlagAudio/FlagVideo flags) and the PreviousTagSize0 field (zero)
// that follows it.
func AppendFileHeader(dst []byte, flags uint8) []byte {
	return append(dst, 'F', 'L', 'V', 1, flags&(FlagAudio|FlagVideo), 0, 0, 0, HeaderSize, 0, 0, 0, 0)
}

// AppendTagHeader appends the 11-byte header of a tag whose body has size
// bytes: type, 24-bit size, timestamp in milliseconds (low 24 bits, then
// the extended high byte) and a zero stream ID. The body follows it, and
// then the PreviousTagSize field (see AppendPreviousTagSize). size must not
// exceed MaxTagBodySize.
func AppendTagHeader(dst []byte, typ TagType, size int, timestamp uint32) []byte {
	return append(dst,
		byte(typ),
		byte(size>>16), byte(size>>8), byte(size),
		byte(timestamp>>16), byte(timestamp>>8), byte(timestamp),
		byte(timestamp>>24),
		0, 0, 0)
}

// AppendPreviousTagSize appends the field that follows a tag whose body has
// size bytes: TagHeaderSize + size, big-endian.
func AppendPreviousTagSize(dst []byte, size int) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(TagHeaderSize+size))
}
