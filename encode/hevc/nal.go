package hevc

import (
	"encoding/binary"
	"errors"
)

// NAL unit types this package acts on (ITU-T H.265 table 7-1).
const (
	nalIDRWRADL = 19 // IDR picture with leading pictures (none here)
	nalIDRNLP   = 20 // IDR picture without leading pictures
	nalVPS      = 32
	nalSPS      = 33
	nalPPS      = 34
	nalAUD      = 35
	// VCL NAL units (the coded slices) have types 0 to 31; all others
	// are parameter sets, delimiters, SEI and the like.
	nalFirstNonVCL = 32
)

// ErrNoStartCode is returned when a NAL unit from x265 does not begin with
// an Annex-B start code.
var ErrNoStartCode = errors.New("hevc: NAL unit without an Annex-B start code")

// trimStartCode returns b without its leading Annex-B start code (00 00 01
// or 00 00 00 01), as x265 writes one before each NAL unit with annexb
// on. The rest must hold at least the 2-byte NAL unit header.
func trimStartCode(b []byte) ([]byte, error) {
	switch {
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 1:
		b = b[4:]
	case len(b) >= 3 && b[0] == 0 && b[1] == 0 && b[2] == 1:
		b = b[3:]
	default:
		return nil, ErrNoStartCode
	}
	if len(b) < 2 {
		return nil, errors.New("hevc: NAL unit shorter than its header")
	}
	return b, nil
}

// nalType returns the nal_unit_type of a NAL unit (at least 1 byte).
func nalType(nal []byte) byte { return nal[0] >> 1 & 0x3f }

// isIDR reports whether a NAL unit type is a slice of an IDR picture.
func isIDR(typ byte) bool { return typ == nalIDRWRADL || typ == nalIDRNLP }

// appendLengthPrefixed appends nal to dst with a 4-byte big-endian length.
func appendLengthPrefixed(dst, nal []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
	return append(dst, nal...)
}
