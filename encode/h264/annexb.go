package h264

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// NAL unit types this package acts on (ITU-T H.264 table 7-1).
const (
	naluSlice = 1 // coded slice of a non-IDR picture
	naluIDR   = 5 // coded slice of an IDR picture
	naluSEI   = 6
	naluSPS   = 7
	naluPPS   = 8
	naluAUD   = 9 // access unit delimiter
)

// ErrNoStartCode is returned when an encoded frame is not in Annex-B form.
var ErrNoStartCode = errors.New("h264: no Annex-B start code")

var startCode = []byte{0, 0, 1}

// AppendNALUs splits an Annex-B byte stream into its NAL units and appends
// them to dst, returning the extended slice. The NAL units alias b. Both 3-
// and 4-byte start codes are accepted, and zero bytes before a start code
// (trailing_zero_8bits, or the first byte of a 4-byte start code) are not
// part of the preceding unit, since a NAL unit never ends in 0x00.
//
// It does not allocate when dst has room for the units. It returns
// ErrNoStartCode when b does not begin with optional zero bytes and a start
// code.
func AppendNALUs(dst [][]byte, b []byte) ([][]byte, error) {
	i := bytes.Index(b, startCode)
	if i < 0 {
		return dst, ErrNoStartCode
	}
	for _, c := range b[:i] {
		if c != 0 {
			return dst, ErrNoStartCode
		}
	}
	b = b[i+3:]
	for len(b) > 0 {
		j := bytes.Index(b, startCode)
		var nalu []byte
		if j < 0 {
			nalu, b = b, nil
		} else {
			nalu, b = b[:j], b[j+3:]
		}
		for len(nalu) > 0 && nalu[len(nalu)-1] == 0 {
			nalu = nalu[:len(nalu)-1]
		}
		if len(nalu) > 0 {
			dst = append(dst, nalu)
		}
	}
	return dst, nil
}

// naluType returns the nal_unit_type of a NAL unit.
func naluType(nalu []byte) byte { return nalu[0] & 0x1f }

// appendAVCC appends nalu to dst with a 4-byte big-endian length prefix.
func appendAVCC(dst, nalu []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(nalu)))
	return append(dst, nalu...)
}
