package hevc

import (
	"encoding/binary"
	"errors"
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// buildRecord returns the HEVCDecoderConfigurationRecord ("hvcC") for a
// stream with one VPS, one SPS and one PPS, as ISO/IEC 14496-15 (2019)
// section 8.3.3.1 lays it out:
//
//	configurationVersion = 1                              8 bits
//	general_profile_space, _tier_flag, _profile_idc       2+1+5
//	general_profile_compatibility_flags                   32
//	general_constraint_indicator_flags                    48
//	general_level_idc                                     8
//	'1111' min_spatial_segmentation_idc = 0               4+12
//	'111111' parallelismType = 0 (unknown)                6+2
//	'111111' chroma_format_idc                            6+2
//	'11111' bit_depth_luma_minus8                         5+3
//	'11111' bit_depth_chroma_minus8                       5+3
//	avgFrameRate = 0 (unspecified)                        16
//	constantFrameRate = 0, numTemporalLayers,
//	temporalIdNested, lengthSizeMinusOne = 3              2+3+1+2
//	numOfArrays = 3                                       8
//	per array: array_completeness = 1, reserved 0,
//	NAL_unit_type, numNalus = 1, then nalUnitLength (16)
//	and the NAL unit, for the VPS, SPS and PPS in turn.
//
// The twelve profile_tier_level bytes are copied from the SPS's general
// profile_tier_level (H.265 section 7.3.3), which follows its first byte
// once emulation prevention is removed. array_completeness is 1 because
// packets never carry parameter sets, as the 'hvc1' sample entry requires.
// min_spatial_segmentation_idc and parallelismType are 0, which claims
// nothing: x265 writes no VUI bitstream restriction.
func buildRecord(vps, sps, pps []byte) ([]byte, error) {
	for _, ps := range []struct {
		nal  []byte
		typ  byte
		name string
	}{{vps, nalVPS, "VPS"}, {sps, nalSPS, "SPS"}, {pps, nalPPS, "PPS"}} {
		if len(ps.nal) < 2 || nalType(ps.nal) != ps.typ {
			return nil, fmt.Errorf("hevc: %s is not a %s NAL unit", fmtNAL(ps.nal), ps.name)
		}
		if len(ps.nal) > 0xffff {
			return nil, fmt.Errorf("hevc: %s of %d bytes does not fit a record", ps.name, len(ps.nal))
		}
	}
	var s mch265.SPS
	if err := s.Unmarshal(sps); err != nil {
		return nil, fmt.Errorf("hevc: SPS: %w", err)
	}
	if s.ChromaFormatIdc > 3 || s.BitDepthLumaMinus8 > 7 || s.BitDepthChromaMinus8 > 7 {
		return nil, fmt.Errorf("hevc: SPS chroma format %d, bit depths %d and %d out of range",
			s.ChromaFormatIdc, s.BitDepthLumaMinus8+8, s.BitDepthChromaMinus8+8)
	}
	rbsp := mch264.EmulationPreventionRemove(sps[2:])
	if len(rbsp) < 13 {
		return nil, errors.New("hevc: SPS too short for its profile_tier_level")
	}
	ptl := rbsp[1:13] // profile space … level idc

	rec := make([]byte, 0, 23+3*5+len(vps)+len(sps)+len(pps))
	rec = append(rec, 1)
	rec = append(rec, ptl...)
	rec = append(rec,
		0xf0, 0x00, // min_spatial_segmentation_idc 0
		0xfc, // parallelismType 0
		0xfc|byte(s.ChromaFormatIdc),
		0xf8|byte(s.BitDepthLumaMinus8),
		0xf8|byte(s.BitDepthChromaMinus8),
		0, 0, // avgFrameRate
		(s.MaxSubLayersMinus1+1)<<3|nested(s.TemporalIDNestingFlag)<<2|3,
		3, // numOfArrays
	)
	for _, nal := range [][]byte{vps, sps, pps} {
		rec = append(rec, 0x80|nalType(nal), 0, 1)
		rec = binary.BigEndian.AppendUint16(rec, uint16(len(nal)))
		rec = append(rec, nal...)
	}
	return rec, nil
}

func nested(f bool) byte {
	if f {
		return 1
	}
	return 0
}

// fmtNAL names a NAL unit's type for an error message.
func fmtNAL(nal []byte) string {
	if len(nal) < 2 {
		return fmt.Sprintf("a %d-byte NAL unit", len(nal))
	}
	return fmt.Sprintf("a NAL unit of type %d", nalType(nal))
}
