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

// openPinned opens x265 for cfg at the lowest level that fits cfg, pinned:
// x265 chooses the level anew from the VBV's maximum rate on every rate
// control change and ignores the change when the level differs, so a lower
// bitrate would be ignored whenever the starting bitrate, not the picture
// size and rate, set the level. With the level given explicitly, x265
// keeps to it. Finding the level takes one open more (some milliseconds).
//
// It returns the encoder, its VPS, SPS and PPS, and the level's maximum
// bitrate.
func openPinned(cfg Config) (x *x265, vps, sps, pps []byte, maxKbps int, err error) {
	probe, err := openX265(cfg, 0)
	if err != nil {
		return nil, nil, nil, nil, 0, err
	}
	headers, err := probe.headers()
	probe.close()
	if err != nil {
		return nil, nil, nil, nil, 0, err
	}
	_, sps, _ = paramSets(headers)
	want, err := levelIdc(sps)
	if err != nil {
		return nil, nil, nil, nil, 0, err
	}
	maxKbps, ok := mainTierMaxKbps[want]
	if !ok {
		return nil, nil, nil, nil, 0, fmt.Errorf("hevc: x265 chose level_idc %d, not a level of the Main tier", want)
	}
	x, err = openX265(cfg, int(want)/3)
	if err != nil {
		return nil, nil, nil, nil, 0, err
	}
	headers, err = x.headers()
	if err == nil {
		vps, sps, pps = paramSets(headers)
		var got byte
		if got, err = levelIdc(sps); err == nil && got != want {
			err = fmt.Errorf("hevc: x265 wrote level_idc %d when asked for %d", got, want)
		}
	}
	if err != nil {
		x.close()
		return nil, nil, nil, nil, 0, err
	}
	return x, vps, sps, pps, maxKbps, nil
}
