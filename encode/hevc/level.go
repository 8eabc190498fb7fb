package hevc

import (
	"errors"
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// ErrBitrateAboveLevel is returned by SetBitrate for a bitrate above what
// the stream's level allows: the level is in the SPS the receivers already
// have, so it cannot change while the stream runs.
var ErrBitrateAboveLevel = errors.New("hevc: bitrate above the stream's level")

// mainTierMaxKbps is MaxBR for the Main tier in kbit/s (H.265 table A.8,
// in units of CpbBrVclFactor = 1000 bit/s for the Main profile), by
// general_level_idc (30 times the level).
var mainTierMaxKbps = map[byte]int{
	30:  128,    // 1
	60:  1500,   // 2
	63:  3000,   // 2.1
	90:  6000,   // 3
	93:  10000,  // 3.1
	120: 12000,  // 4
	123: 20000,  // 4.1
	150: 25000,  // 5
	153: 40000,  // 5.1
	156: 60000,  // 5.2
	180: 60000,  // 6
	183: 120000, // 6.1
	186: 240000, // 6.2
}

// levelIdc returns general_level_idc from an SPS NAL unit.
func levelIdc(sps []byte) (byte, error) {
	if len(sps) < 2 || nalType(sps) != nalSPS {
		return 0, fmt.Errorf("hevc: %s is not an SPS", fmtNAL(sps))
	}
	rbsp := mch264.EmulationPreventionRemove(sps[2:])
	if len(rbsp) < 13 {
		return 0, errors.New("hevc: SPS too short for its profile_tier_level")
	}
	return rbsp[12], nil
}

// paramSets returns the VPS, SPS and PPS among x265's headers.
func paramSets(headers [][]byte) (vps, sps, pps []byte) {
	for _, n := range headers {
		switch nalType(n) {
		case nalVPS:
			vps = n
		case nalSPS:
			sps = n
		case nalPPS:
			pps = n
		}
	}
	return vps, sps, pps
}

// opened is an x265 encoder with its parameter sets.
type opened struct {
	x             *x265
	vps, sps, pps []byte
	level         int // x265's levelIdc: ten times the level
	maxKbps       int // the level's maximum bitrate
}

// openLevel opens x265 for cfg at the lowest level that fits cfg's picture
// size, frame rate and bitrate, and states that level explicitly, so that
// a later openAt with a lower bitrate writes the same parameter sets.
// Finding the level takes one open more (some milliseconds).
func openLevel(cfg Config) (*opened, error) {
	probe, err := openX265(cfg, 0)
	if err != nil {
		return nil, err
	}
	headers, err := probe.headers()
	probe.close()
	if err != nil {
		return nil, err
	}
	_, sps, _ := paramSets(headers)
	idc, err := levelIdc(sps)
	if err != nil {
		return nil, err
	}
	if _, ok := mainTierMaxKbps[idc]; !ok {
		return nil, fmt.Errorf("hevc: x265 chose level_idc %d, not a level of the Main tier", idc)
	}
	return openAt(cfg, int(idc)/3)
}

// openAt opens x265 for cfg at level (x265's levelIdc) and checks that its
// SPS states that level.
func openAt(cfg Config, level int) (*opened, error) {
	x, err := openX265(cfg, level)
	if err != nil {
		return nil, err
	}
	o := &opened{x: x, level: level}
	headers, err := x.headers()
	if err == nil {
		o.vps, o.sps, o.pps = paramSets(headers)
		var idc byte
		if idc, err = levelIdc(o.sps); err == nil && int(idc) != 3*level {
			err = fmt.Errorf("hevc: x265 wrote level_idc %d when asked for %d", idc, 3*level)
		}
		o.maxKbps = mainTierMaxKbps[idc]
	}
	if err != nil {
		x.close()
		return nil, err
	}
	return o, nil
}
