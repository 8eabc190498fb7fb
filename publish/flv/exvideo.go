package flv

// Enhanced RTMP (v2) video tags: HEVC and AV1 in the extended header form.

import (
	"fmt"
	"time"

	"studio/encode"
)

// Enhanced RTMP video tags start with a byte that has IsExHeader set, the
// frame type in bits 4-6 and a packet type in the low 4 bits, then a FourCC.
const (
	// ExHeader is the IsExHeader bit of an extended video tag's first byte.
	ExHeader = 0x80

	// Extended video packet types (the low 4 bits of the first byte).
	PacketTypeSequenceStart        = 0
	PacketTypeCodedFrames          = 1 // HEVC: an SI24 composition time follows the FourCC
	PacketTypeSequenceEnd          = 2
	PacketTypeCodedFramesX         = 3 // composition time 0, not sent
	PacketTypeMetadata             = 4
	PacketTypeMPEG2TSSequenceStart = 5

	// FourCCs as big-endian numbers: also the onMetaData videocodecid of
	// these codecs.
	FourCCAVC  = 'a'<<24 | 'v'<<16 | 'c'<<8 | '1' // 0x61766331
	FourCCHEVC = 'h'<<24 | 'v'<<16 | 'c'<<8 | '1' // 0x68766331
	FourCCAV1  = 'a'<<24 | 'v'<<16 | '0'<<8 | '1' // 0x61763031

	// ExHeaderSize is the size of the header byte and the FourCC.
	ExHeaderSize = 5
	// MaxVideoPacketHeaderSize is the most AppendVideoPacketHeader appends
	// (HEVC CodedFrames: header byte, FourCC, SI24 composition time).
	MaxVideoPacketHeaderSize = ExHeaderSize + 3
)

// fourCC returns the codec's FourCC as a number.
func fourCC(c encode.VideoCodec) uint32 {
	switch c {
	case encode.HEVC:
		return FourCCHEVC
	case encode.AV1:
		return FourCCAV1
	}
	return FourCCAVC
}

// codecOfFourCC is the inverse of fourCC; ok is false for other FourCCs.
func codecOfFourCC(f uint32) (encode.VideoCodec, bool) {
	switch f {
	case FourCCAVC:
		return encode.H264, true
	case FourCCHEVC:
		return encode.HEVC, true
	case FourCCAV1:
		return encode.AV1, true
	}
	return 0, false
}

// HasVideo reports whether cfg configures video: an SPS for H.264, a
// decoder configuration record for HEVC and AV1.
func HasVideo(cfg encode.VideoConfig) bool {
	if cfg.Codec == encode.H264 {
		return len(cfg.SPS) > 0
	}
	return len(cfg.Record) > 0
}

// VideoCodecID is the onMetaData videocodecid of a codec: 7 for H.264, the
// FourCC as a number for HEVC and AV1 (Enhanced RTMP).
func VideoCodecID(c encode.VideoCodec) uint32 {
	if c == encode.H264 {
		return CodecAVC
	}
	return fourCC(c)
}

func appendExHeader(dst []byte, frameType, packetType byte, fcc uint32) []byte {
	return append(dst, ExHeader|frameType<<4|packetType, byte(fcc>>24), byte(fcc>>16), byte(fcc>>8), byte(fcc))
}

// AppendVideoSequenceStart appends the body of the video tag that carries
// cfg's decoder configuration. For H.264 it is AppendAVCSequenceHeader;
// for HEVC and AV1 it is the Enhanced RTMP SequenceStart: 0x90 (extended
// header, key frame, packet type 0), the FourCC, then cfg.Record.
//
// It fails with ErrBadConfig, leaving dst unchanged, if the record is not
// an HEVCDecoderConfigurationRecord (version 1, at least 23 bytes) or an
// AV1CodecConfigurationRecord (marker and version 1, at least 4 bytes), or
// is larger than a tag.
func AppendVideoSequenceStart(dst []byte, cfg encode.VideoConfig) ([]byte, error) {
	rec := cfg.Record
	switch cfg.Codec {
	case encode.H264:
		return AppendAVCSequenceHeader(dst, cfg)
	case encode.HEVC:
		if len(rec) < 23 || rec[0] != 1 {
			return dst, fmt.Errorf("%w: HEVC decoder configuration record of %d bytes (%.4x)", ErrBadConfig, len(rec), rec)
		}
	case encode.AV1:
		if len(rec) < 4 || rec[0] != 0x81 {
			return dst, fmt.Errorf("%w: AV1 codec configuration record of %d bytes (%.4x)", ErrBadConfig, len(rec), rec)
		}
	default:
		return dst, fmt.Errorf("%w: video codec %d", ErrBadConfig, cfg.Codec)
	}
	if ExHeaderSize+len(rec) > MaxTagBodySize {
		return dst, fmt.Errorf("%w: %s decoder configuration record of %d bytes", ErrTooLarge, cfg.Codec, len(rec))
	}
	dst = appendExHeader(dst, FrameKey, PacketTypeSequenceStart, fourCC(cfg.Codec))
	return append(dst, rec...), nil
}

// AppendVideoPacketHeader appends the header of a video tag that carries
// one frame of codec c; the frame's data (for HEVC NAL units with 4-byte
// lengths, for AV1 OBUs) follows it. For H.264 it is AppendAVCPacketHeader.
// For HEVC it is CodedFrames with cts (PTS − DTS, in milliseconds, signed
// 24-bit, clamped) when cts is at least a millisecond away from 0, else
// CodedFramesX; for AV1 CodedFrames, which has no composition time. The
// frame type is 1 (key) or 2 (inter). It appends at most
// MaxVideoPacketHeaderSize bytes and never allocates when dst has room.
func AppendVideoPacketHeader(dst []byte, c encode.VideoCodec, key bool, cts time.Duration) []byte {
	ft := byte(FrameInter)
	if key {
		ft = FrameKey
	}
	switch c {
	case encode.HEVC:
		ms := min(max(cts.Milliseconds(), -1<<23), 1<<23-1)
		if ms == 0 {
			return appendExHeader(dst, ft, PacketTypeCodedFramesX, FourCCHEVC)
		}
		dst = appendExHeader(dst, ft, PacketTypeCodedFrames, FourCCHEVC)
		return append(dst, byte(ms>>16), byte(ms>>8), byte(ms))
	case encode.AV1:
		return appendExHeader(dst, ft, PacketTypeCodedFrames, FourCCAV1)
	}
	return AppendAVCPacketHeader(dst, key, cts)
}

// AppendVideoSequenceEnd appends the body of the video tag that ends a
// sequence of codec c: AppendAVCEndOfSequence for H.264, the Enhanced RTMP
// SequenceEnd (0x92 and the FourCC) for HEVC and AV1.
func AppendVideoSequenceEnd(dst []byte, c encode.VideoCodec) []byte {
	if c == encode.H264 {
		return AppendAVCEndOfSequence(dst)
	}
	return appendExHeader(dst, FrameKey, PacketTypeSequenceEnd, fourCC(c))
}
