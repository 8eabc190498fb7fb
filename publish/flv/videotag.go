package flv

// Parsing video tag bodies, legacy (AVC) and Enhanced RTMP (HEVC, AV1).

import (
	"errors"
	"fmt"
	"time"

	"studio/encode"
)

// ErrUnsupported means a well-formed tag of a kind this package does not
// handle (another codec, an Enhanced RTMP multitrack or metadata packet, a
// command frame).
var ErrUnsupported = errors.New("flv: unsupported tag")

// VideoPacket tells what a video tag carries.
type VideoPacket uint8

// Kinds of video packet.
const (
	VideoSequenceStart VideoPacket = iota + 1 // the decoder configuration
	VideoFrame                                // one frame
	VideoSequenceEnd                          // the end of the sequence
)

func (p VideoPacket) String() string {
	switch p {
	case VideoSequenceStart:
		return "sequence start"
	case VideoFrame:
		return "frame"
	case VideoSequenceEnd:
		return "sequence end"
	}
	return "unknown"
}

// VideoTag is a parsed video tag body.
type VideoTag struct {
	Codec encode.VideoCodec
	// Extended is set for the Enhanced RTMP form (IsExHeader).
	Extended bool
	Packet   VideoPacket
	Keyframe bool
	// CTS is the composition time offset (PTS − DTS): from the AVC or
	// HEVC CodedFrames header, 0 otherwise.
	CTS time.Duration
	// Data is, for a sequence start, the decoder configuration record
	// (AVCDecoderConfigurationRecord, hvcC or av1C); for a frame, its data
	// (NAL units with 4-byte lengths, or OBUs); for a sequence end, nil.
	// It aliases the body.
	Data []byte
}

// si24 decodes a signed 24-bit big-endian number of milliseconds.
func si24(b []byte) time.Duration {
	v := int32(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8) >> 8
	return time.Duration(v) * time.Millisecond
}

// ParseVideoTag parses the body of a video tag (or RTMP video message):
// AVC in the legacy form, and AVC, HEVC or AV1 in the Enhanced RTMP form.
// It is safe on any input. Errors wrap ErrCorrupt (truncated or invalid
// bytes) or ErrUnsupported.
func ParseVideoTag(b []byte) (VideoTag, error) {
	if len(b) < 1 {
		return VideoTag{}, fmt.Errorf("%w: empty video tag", ErrCorrupt)
	}
	var t VideoTag
	ft := b[0] >> 4 & 7
	switch ft {
	case FrameKey, FrameInter, 3: // 3: disposable inter frame
		t.Keyframe = ft == FrameKey
	default:
		return VideoTag{}, fmt.Errorf("%w: video frame type %d", ErrUnsupported, ft)
	}
	if b[0]&ExHeader == 0 {
		return parseAVCTag(t, b)
	}

	t.Extended = true
	if len(b) < ExHeaderSize {
		return VideoTag{}, fmt.Errorf("%w: extended video tag of %d bytes", ErrCorrupt, len(b))
	}
	fcc := uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4])
	c, ok := codecOfFourCC(fcc)
	if !ok {
		return VideoTag{}, fmt.Errorf("%w: video FourCC %q", ErrUnsupported, b[1:5])
	}
	t.Codec = c
	rest := b[ExHeaderSize:]
	switch pt := b[0] & 0x0f; pt {
	case PacketTypeSequenceStart:
		t.Packet, t.Data = VideoSequenceStart, rest
	case PacketTypeSequenceEnd:
		t.Packet = VideoSequenceEnd
	case PacketTypeCodedFrames:
		t.Packet = VideoFrame
		if c != encode.AV1 { // AVC and HEVC carry a composition time
			if len(rest) < 3 {
				return VideoTag{}, fmt.Errorf("%w: %s coded frames without a composition time", ErrCorrupt, c)
			}
			t.CTS, rest = si24(rest), rest[3:]
		}
		t.Data = rest
	case PacketTypeCodedFramesX:
		t.Packet, t.Data = VideoFrame, rest
	default:
		return VideoTag{}, fmt.Errorf("%w: extended video packet type %d", ErrUnsupported, pt)
	}
	return t, nil
}

func parseAVCTag(t VideoTag, b []byte) (VideoTag, error) {
	if id := b[0] & 0x0f; id != CodecAVC {
		return VideoTag{}, fmt.Errorf("%w: video codec ID %d", ErrUnsupported, id)
	}
	if len(b) < AVCPacketHeaderSize {
		return VideoTag{}, fmt.Errorf("%w: AVC video tag of %d bytes", ErrCorrupt, len(b))
	}
	t.Codec, t.CTS, t.Data = encode.H264, si24(b[2:5]), b[AVCPacketHeaderSize:]
	switch b[1] {
	case AVCSequenceHeader:
		t.Packet = VideoSequenceStart
	case AVCNALU:
		t.Packet = VideoFrame
	case AVCEndOfSequence:
		t.Packet, t.Data = VideoSequenceEnd, nil
	default:
		return VideoTag{}, fmt.Errorf("%w: AVCPacketType %d", ErrCorrupt, b[1])
	}
	return t, nil
}
