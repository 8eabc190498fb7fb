package av1

import (
	"errors"
	"fmt"

	mcav1 "github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
)

// obuHeader is the parsed start of one low-overhead OBU.
type obuHeader struct {
	typ  mcav1.OBUType
	size int // the whole OBU: header, size field and payload
}

// nextOBU parses the OBU at the start of b, which must have its size field.
func nextOBU(b []byte) (obuHeader, error) {
	var h mcav1.OBUHeader
	if err := h.Unmarshal(b); err != nil {
		return obuHeader{}, err
	}
	if !h.HasSize {
		return obuHeader{}, errors.New("OBU without a size field")
	}
	var size mcav1.LEB128
	n, err := size.Unmarshal(b[1:])
	if err != nil {
		return obuHeader{}, err
	}
	total := 1 + n + int(size)
	if total > len(b) || total < 1+n {
		return obuHeader{}, fmt.Errorf("OBU of %d bytes with %d left", int(size), len(b)-1-n)
	}
	return obuHeader{typ: h.Type, size: total}, nil
}

// AppendTemporalUnit appends the OBUs of tu, a temporal unit in the
// low-overhead format, to dst, leaving out temporal delimiters. It returns
// the extended slice and whether tu holds a sequence header OBU. It fails,
// leaving dst's contents past its length unspecified, when an OBU lacks its
// size field, runs past the end of tu, or has an extension header.
func AppendTemporalUnit(dst, tu []byte) ([]byte, bool, error) {
	seqHeader := false
	for len(tu) > 0 {
		h, err := nextOBU(tu)
		if err != nil {
			return dst, seqHeader, fmt.Errorf("av1: temporal unit: %w", err)
		}
		switch h.typ {
		case mcav1.OBUTypeTemporalDelimiter:
		case mcav1.OBUTypeSequenceHeader:
			seqHeader = true
			dst = append(dst, tu[:h.size]...)
		default:
			dst = append(dst, tu[:h.size]...)
		}
		tu = tu[h.size:]
	}
	return dst, seqHeader, nil
}

// ConfigRecord returns the AV1CodecConfigurationRecord ("av1C", AV1 Codec
// ISO Media File Format Binding §2.3.3) for seqHeader, one sequence header
// OBU in the low-overhead format, which it carries as configOBUs.
func ConfigRecord(seqHeader []byte) ([]byte, error) {
	h, err := nextOBU(seqHeader)
	if err != nil {
		return nil, fmt.Errorf("av1: sequence header: %w", err)
	}
	if h.typ != mcav1.OBUTypeSequenceHeader || h.size != len(seqHeader) {
		return nil, fmt.Errorf("av1: not a single sequence header OBU (type %d, %d of %d bytes)", h.typ, h.size, len(seqHeader))
	}
	var sh mcav1.SequenceHeader
	if err := sh.Unmarshal(seqHeader); err != nil {
		return nil, fmt.Errorf("av1: sequence header: %w", err)
	}
	if len(sh.SeqLevelIdx) == 0 || len(sh.SeqTier) == 0 {
		return nil, errors.New("av1: sequence header has no operating point")
	}
	cc := sh.ColorConfig
	b2 := byte(0)
	if sh.SeqTier[0] {
		b2 |= 0x80
	}
	if cc.HighBitDepth {
		b2 |= 0x40
	}
	if cc.TwelveBit {
		b2 |= 0x20
	}
	if cc.MonoChrome {
		b2 |= 0x10
	}
	if cc.SubsamplingX {
		b2 |= 0x08
	}
	if cc.SubsamplingY {
		b2 |= 0x04
	}
	b2 |= byte(cc.ChromaSamplePosition) & 0x03
	rec := make([]byte, 4, 4+len(seqHeader))
	rec[0] = 0x81 // marker, version 1
	rec[1] = sh.SeqProfile<<5 | sh.SeqLevelIdx[0]&0x1f
	rec[2] = b2
	rec[3] = 0 // no initial_presentation_delay
	return append(rec, seqHeader...), nil
}
