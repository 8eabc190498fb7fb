package flv

import (
	"fmt"

	"studio/encode"
)

// Audio tag constants.
const (
	// SoundFormatAAC is the sound format (high 4 bits of the first byte) of
	// AAC.
	SoundFormatAAC = 10

	// AACAudioByte is the first byte of every AAC audio tag: sound format
	// 10, rate index 3 (44 kHz), 16-bit samples, stereo. The FLV
	// specification fixes the rate and channel bits for AAC; decoders take
	// the real values from the AudioSpecificConfig.
	AACAudioByte = SoundFormatAAC<<4 | 3<<2 | 1<<1 | 1 // 0xAF

	AACSequenceHeader = 0
	AACRaw            = 1

	// AACPacketHeaderSize is the size of what AppendAACPacketHeader appends.
	AACPacketHeaderSize = 2
)

// AppendAACSequenceHeader appends the body of the audio tag that carries the
// decoder configuration: 0xAF, AACPacketType 0, then cfg.ASC (the MPEG-4
// AudioSpecificConfig, for example 11 90 for AAC-LC at 48 kHz, stereo). It
// fails with ErrBadConfig, returning dst unchanged, if the ASC is shorter
// than the 2 bytes every AudioSpecificConfig has.
func AppendAACSequenceHeader(dst []byte, cfg encode.AudioConfig) ([]byte, error) {
	if len(cfg.ASC) < 2 {
		return dst, fmt.Errorf("%w: AudioSpecificConfig of %d bytes", ErrBadConfig, len(cfg.ASC))
	}
	dst = append(dst, AACAudioByte, AACSequenceHeader)
	return append(dst, cfg.ASC...), nil
}

// AppendAACPacketHeader appends the 2-byte header of an audio tag that
// carries one raw AAC frame: 0xAF, AACPacketType 1. The frame follows it.
func AppendAACPacketHeader(dst []byte) []byte {
	return append(dst, AACAudioByte, AACRaw)
}
