package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"studio/encode"
)

// streamWriter writes packets as an elementary stream ffmpeg reads.
type streamWriter interface {
	write(p *encode.Packet) error
}

// annexBWriter writes H.264 or HEVC packets (4-byte length-prefixed NAL
// units) as Annex B, with the parameter sets before every keyframe.
type annexBWriter struct {
	w      io.Writer
	params [][]byte
}

func newAnnexB(w io.Writer, cfg encode.VideoConfig) (*annexBWriter, error) {
	switch cfg.Codec {
	case encode.H264:
		return &annexBWriter{w: w, params: [][]byte{cfg.SPS, cfg.PPS}}, nil
	case encode.HEVC:
		ps, err := hvcCNALUnits(cfg.Record)
		if err != nil {
			return nil, err
		}
		return &annexBWriter{w: w, params: ps}, nil
	}
	return nil, fmt.Errorf("no Annex B for %v", cfg.Codec)
}

func (a *annexBWriter) write(p *encode.Packet) error {
	var au h264.AVCC
	if err := au.Unmarshal(p.Data); err != nil {
		return fmt.Errorf("packet at %v: %w", p.PTS, err)
	}
	nalus := [][]byte(au)
	if p.Keyframe {
		nalus = append(append([][]byte(nil), a.params...), nalus...)
	}
	b, err := h264.AnnexB(nalus).Marshal()
	if err != nil {
		return err
	}
	_, err = a.w.Write(b)
	return err
}

var errHvcC = errors.New("malformed HEVCDecoderConfigurationRecord")

// hvcCNALUnits returns the NAL units of an HEVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 8.3.3.1): 22 bytes of fields, the array count, then
// per array a type byte, a count and length-prefixed NAL units.
func hvcCNALUnits(rec []byte) ([][]byte, error) {
	if len(rec) < 23 {
		return nil, errHvcC
	}
	arrays := int(rec[22])
	b := rec[23:]
	var out [][]byte
	for range arrays {
		if len(b) < 3 {
			return nil, errHvcC
		}
		n := int(binary.BigEndian.Uint16(b[1:]))
		b = b[3:]
		for range n {
			if len(b) < 2 {
				return nil, errHvcC
			}
			l := int(binary.BigEndian.Uint16(b))
			if len(b) < 2+l {
				return nil, errHvcC
			}
			out = append(out, b[2:2+l])
			b = b[2+l:]
		}
	}
	return out, nil
}

// ivfWriter writes AV1 temporal units into an IVF file, each with the
// temporal delimiter our packets leave out. The frame count in the header
// is left at zero (ffmpeg does not need it).
type ivfWriter struct {
	w   io.Writer
	fps int
}

func newIVF(w io.Writer, cfg encode.VideoConfig) (*ivfWriter, error) {
	hdr := make([]byte, 32)
	copy(hdr, "DKIF")
	binary.LittleEndian.PutUint16(hdr[6:], 32)
	copy(hdr[8:], "AV01")
	binary.LittleEndian.PutUint16(hdr[12:], uint16(cfg.Width))
	binary.LittleEndian.PutUint16(hdr[14:], uint16(cfg.Height))
	binary.LittleEndian.PutUint32(hdr[16:], uint32(cfg.FPS))
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	return &ivfWriter{w: w, fps: cfg.FPS}, nil
}

var temporalDelimiter = []byte{0x12, 0x00}

func (v *ivfWriter) write(p *encode.Packet) error {
	var fh [12]byte
	binary.LittleEndian.PutUint32(fh[:], uint32(len(temporalDelimiter)+len(p.Data)))
	binary.LittleEndian.PutUint64(fh[4:], uint64((p.PTS*time.Duration(v.fps)+time.Second/2)/time.Second)) // in frames, rounded
	for _, b := range [][]byte{fh[:], temporalDelimiter, p.Data} {
		if _, err := v.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
