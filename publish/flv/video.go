package flv

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"studio/encode"
)

// Video tag constants: the first byte is frame type << 4 | codec ID, the
// second the AVCPacketType.
const (
	CodecAVC = 7

	FrameKey   = 1
	FrameInter = 2

	AVCSequenceHeader = 0
	AVCNALU           = 1
	AVCEndOfSequence  = 2

	// AVCPacketHeaderSize is the size of what AppendAVCPacketHeader appends.
	AVCPacketHeaderSize = 5
)

// AppendAVCSequenceHeader appends the body of the video tag that carries the
// decoder configuration: 0x17 (key frame, AVC), AVCPacketType 0, composition
// time 0, then the AVCDecoderConfigurationRecord of ISO/IEC 14496-15 with
// 4-byte NALU lengths, cfg.SPS and cfg.PPS. For the High profiles (100, 110,
// 122, 144) the record ends with chroma_format, the bit depths (read from
// the SPS) and no SPS extensions, as the standard requires.
//
// It fails with ErrBadConfig if the SPS or PPS is missing, is not an SPS or
// PPS NAL unit, or (for the High profiles) cannot be parsed; dst is then
// returned unchanged.
func AppendAVCSequenceHeader(dst []byte, cfg encode.VideoConfig) ([]byte, error) {
	sps, pps := cfg.SPS, cfg.PPS
	switch {
	case len(sps) < 4:
		return dst, fmt.Errorf("%w: SPS of %d bytes", ErrBadConfig, len(sps))
	case len(sps) > math.MaxUint16:
		return dst, fmt.Errorf("%w: SPS of %d bytes", ErrBadConfig, len(sps))
	case h264.NALUType(sps[0]&0x1f) != h264.NALUTypeSPS:
		return dst, fmt.Errorf("%w: SPS has NAL unit type %d", ErrBadConfig, sps[0]&0x1f)
	case len(pps) < 1 || len(pps) > math.MaxUint16:
		return dst, fmt.Errorf("%w: PPS of %d bytes", ErrBadConfig, len(pps))
	case h264.NALUType(pps[0]&0x1f) != h264.NALUTypePPS:
		return dst, fmt.Errorf("%w: PPS has NAL unit type %d", ErrBadConfig, pps[0]&0x1f)
	}
	profile, compat, level := sps[1], sps[2], sps[3]

	var ext [4]byte // the High profile fields, if any
	var extLen int
	switch profile {
	case 100, 110, 122, 144:
		var s h264.SPS
		if err := s.Unmarshal(sps); err != nil {
			return dst, fmt.Errorf("%w: SPS: %w", ErrBadConfig, err)
		}
		chroma := s.ChromaFormatIdc
		if profile == 144 {
			// The parser follows the current standard, which dropped
			// profile 144 and with it the SPS field: use its default.
			chroma = 1
		}
		if chroma > 3 || s.BitDepthLumaMinus8 > 7 || s.BitDepthChromaMinus8 > 7 {
			return dst, fmt.Errorf("%w: SPS chroma format %d, bit depths %d and %d",
				ErrBadConfig, chroma, s.BitDepthLumaMinus8+8, s.BitDepthChromaMinus8+8)
		}
		ext = [4]byte{
			0xfc | byte(chroma),                 // reserved 111111, chroma_format
			0xf8 | byte(s.BitDepthLumaMinus8),   // reserved 11111, bit_depth_luma_minus8
			0xf8 | byte(s.BitDepthChromaMinus8), // reserved 11111, bit_depth_chroma_minus8
			0,                                   // numOfSequenceParameterSetExt
		}
		extLen = len(ext)
	}

	dst = append(dst,
		FrameKey<<4|CodecAVC, AVCSequenceHeader, 0, 0, 0,
		1, // configurationVersion
		profile, compat, level,
		0xfc|3, // reserved 111111, lengthSizeMinusOne 3
		0xe0|1, // reserved 111, numOfSequenceParameterSets 1
	)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(sps)))
	dst = append(dst, sps...)
	dst = append(dst, 1) // numOfPictureParameterSets
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(pps)))
	dst = append(dst, pps...)
	return append(dst, ext[:extLen]...), nil
}

// AppendAVCPacketHeader appends the 5-byte header of a video tag that
// carries one frame: frame type (1 key, 2 inter) << 4 | 7, AVCPacketType 1,
// and the composition time offset cts (PTS − DTS) in milliseconds as a
// signed 24-bit number, clamped to its range. The frame's NAL units, in
// AVCC form, follow it.
func AppendAVCPacketHeader(dst []byte, key bool, cts time.Duration) []byte {
	ft := byte(FrameInter)
	if key {
		ft = FrameKey
	}
	ms := min(max(cts.Milliseconds(), -1<<23), 1<<23-1)
	return append(dst, ft<<4|CodecAVC, AVCNALU, byte(ms>>16), byte(ms>>8), byte(ms))
}

// AppendAVCEndOfSequence appends the body of the video tag that marks the
// end of an AVC sequence, which some players expect at the end of a stream.
func AppendAVCEndOfSequence(dst []byte) []byte {
	return append(dst, FrameKey<<4|CodecAVC, AVCEndOfSequence, 0, 0, 0)
}
