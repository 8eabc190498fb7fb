// Package encode defines compressed media packets, the codec configuration
// that decoders need before the first packet, and the encoder interfaces.
package encode

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned by an encoder after Close.
var ErrClosed = errors.New("encode: encoder closed")

// Kind tells audio packets from video packets.
type Kind uint8

const (
	Video Kind = iota + 1
	Audio
)

func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return "unknown"
}

// Packet is one encoded access unit.
//
// For H.264 and HEVC video, Data holds the frame's NAL units each
// prefixed by its 4-byte big-endian length, without parameter sets or
// access unit delimiters: those are in VideoConfig. For AV1 it holds the
// temporal unit's OBUs in the low-overhead format (each with its size
// field), without temporal delimiters. For Audio, Data holds one raw AAC access unit
// (no ADTS header).
//
// A packet must not be used after Release; Release may be called once.
type Packet struct {
	Kind     Kind
	PTS, DTS time.Duration // on the session's capture clock
	Keyframe bool          // an IDR frame for video; always true for audio
	Data     []byte
	release  func()
}

// NewPacket returns a packet whose Release calls release (which may be nil).
func NewPacket(kind Kind, pts, dts time.Duration, key bool, data []byte, release func()) *Packet {
	return &Packet{Kind: kind, PTS: pts, DTS: dts, Keyframe: key, Data: data, release: release}
}

// Release hands the packet's buffer back to its encoder.
func (p *Packet) Release() {
	if p != nil && p.release != nil {
		r := p.release
		p.release = nil
		r()
	}
}

// VideoCodec names a video codec.
type VideoCodec uint8

const (
	H264 VideoCodec = iota // the zero value: H.264 (AVC)
	HEVC                   // H.265
	AV1
)

// String returns "h264", "hevc" or "av1", as the -codec flag names them.
func (c VideoCodec) String() string {
	switch c {
	case H264:
		return "h264"
	case HEVC:
		return "hevc"
	case AV1:
		return "av1"
	}
	return "unknown"
}

// FourCC is the codec's Enhanced RTMP FourCC: "avc1", "hvc1" or "av01".
func (c VideoCodec) FourCC() string {
	switch c {
	case HEVC:
		return "hvc1"
	case AV1:
		return "av01"
	}
	return "avc1"
}

// VideoConfig is what a decoder needs before the first frame.
//
// For H.264, SPS and PPS are set and Record is nil. For HEVC, Record is
// the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15, "hvcC") with the
// VPS, SPS and PPS; for AV1 the AV1CodecConfigurationRecord ("av1C") with
// the sequence header OBU.
type VideoConfig struct {
	Codec         VideoCodec
	Width, Height int
	FPS           int
	SPS, PPS      []byte // H.264: single NAL units, without start codes
	Record        []byte // HEVC, AV1: the decoder configuration record
	BitrateKbps   int    // the user's target
	Encoder       string // for metadata, for example "studio (x264)"
}

// AudioConfig is what a decoder needs before the first AAC frame.
type AudioConfig struct {
	SampleRate  int
	Channels    int
	ASC         []byte // MPEG-4 AudioSpecificConfig
	BitrateKbps int
}

// StreamInfo is the header of a stream: what metadata and sequence headers
// are made from.
type StreamInfo struct {
	Video VideoConfig
	Audio AudioConfig
}

// VideoEncoder pulls frames from its source and encodes them.
//
// ReadPacket blocks until the next frame is encoded; the packet's PTS is the
// capture time of the frame it came from. Config is valid once the first
// packet has been returned. SetBitrate and ForceKeyframe may be called from
// any goroutine while ReadPacket runs. Close is idempotent and also closes
// the source.
type VideoEncoder interface {
	ReadPacket(ctx context.Context) (*Packet, error)
	Config() VideoConfig
	SetBitrate(kbps int) error
	ForceKeyframe() error
	Close() error
}

// AudioEncoder pulls PCM from its source and encodes it, with the same
// contract as VideoEncoder. Packet PTS values are sample-accurate: they
// advance by exactly one frame duration per packet from the capture time of
// the first sample.
type AudioEncoder interface {
	ReadPacket(ctx context.Context) (*Packet, error)
	Config() AudioConfig
	Close() error
}
