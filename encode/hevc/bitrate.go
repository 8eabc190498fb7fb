package hevc

import (
	"bytes"
	"fmt"

	"studio/encode"
)

// Why a bitrate change reopens x265 at the next IDR frame instead of
// calling x265_encoder_reconfig: in x265 3.5, x265_encoder_reconfig points
// the encoder at a new copy of its parameters (Encoder::configure), while
// the rate control keeps reading the copy it was created with. The change
// is applied to the new copy, x265_encoder_parameters reports it, and
// RateControl::reconfigureRC runs, but it reads the old values: the
// bitrate and VBV never change (measured: the same bytes per frame, frame
// for frame, with and without the call). A new x265 encoder, opened with
// the same settings and the same level but the new bitrate, writes the
// same VPS, SPS and PPS, so the stream, and its Record, go on unchanged
// from its first picture, an IDR.

// SetBitrate changes the target bitrate (and the VBV's maximum rate and
// one-second buffer). The change takes effect at the next IDR frame: the
// next one due (within KeyInterval), or at once for a drop to less than
// two thirds of the bitrate running, which makes the next frame an IDR
// frame. It does not block.
//
// The stream's level, stated in the SPS, is the lowest that fits the
// starting bitrate and the picture size and rate, and cannot change: a
// bitrate above the level's maximum (10 Mbit/s for 720p30 started at
// 2.5 Mbit/s: level 3.1) returns ErrBitrateAboveLevel and the bitrate
// stays as it was. Any lower bitrate is fine.
func (e *Encoder) SetBitrate(kbps int) error {
	if kbps <= 0 {
		return fmt.Errorf("hevc: bitrate %d kbit/s must be positive", kbps)
	}
	e.encMu.Lock()
	defer e.encMu.Unlock()
	if e.closed {
		return encode.ErrClosed
	}
	if kbps > e.enc.maxKbps {
		return fmt.Errorf("%w: %d kbit/s, the level allows %d", ErrBitrateAboveLevel, kbps, e.enc.maxKbps)
	}
	e.kbps = kbps
	if kbps*3 < e.encAt*2 {
		e.forceKey.Store(true)
	}
	e.cfgMu.Lock()
	e.vcfg.BitrateKbps = kbps
	e.cfgMu.Unlock()
	return nil
}

// reopenLocked replaces x265 with one at e.kbps, to encode an IDR frame
// next. encMu must be held.
func (e *Encoder) reopenLocked() error {
	cfg := e.cfg
	cfg.BitrateKbps = e.kbps
	next, err := openAt(cfg, e.enc.level)
	if err != nil {
		return fmt.Errorf("hevc: reopen x265 at %d kbit/s: %w", e.kbps, err)
	}
	if !bytes.Equal(next.vps, e.enc.vps) || !bytes.Equal(next.sps, e.enc.sps) || !bytes.Equal(next.pps, e.enc.pps) {
		next.x.close()
		return fmt.Errorf("hevc: x265 at %d kbit/s writes other parameter sets than the stream's", e.kbps)
	}
	e.enc.x.close()
	e.enc = next
	e.encAt = e.kbps
	return nil
}
