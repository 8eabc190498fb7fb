package hevc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"studio/capture/synth"
)

// record is an HEVCDecoderConfigurationRecord read back, independently of
// buildRecord, field by field (ISO/IEC 14496-15 section 8.3.3.1).
type record struct {
	version                        byte
	profileSpace, tier, profileIdc byte
	compat                         uint32
	constraints                    uint64 // 48 bits
	level                          byte
	minSpatialSegmentation         uint16
	parallelism, chroma            byte
	lumaDepth, chromaDepth         byte
	avgFrameRate                   uint16
	constantFrameRate, layers      byte
	nested                         bool
	lengthSize                     int
	arrays                         []recordArray
}

type recordArray struct {
	complete bool
	typ      byte
	nals     [][]byte
}

var errShort = errors.New("record too short")

func parseRecord(b []byte) (*record, error) {
	if len(b) < 23 {
		return nil, errShort
	}
	var r record
	r.version = b[0]
	r.profileSpace, r.tier, r.profileIdc = b[1]>>6, b[1]>>5&1, b[1]&0x1f
	r.compat = binary.BigEndian.Uint32(b[2:])
	r.constraints = binary.BigEndian.Uint64(b[4:]) >> 16 & (1<<48 - 1)
	r.level = b[12]
	if b[13]>>4 != 0xf || b[15]>>2 != 0x3f || b[16]>>2 != 0x3f || b[17]>>3 != 0x1f || b[18]>>3 != 0x1f {
		return nil, errors.New("reserved bits not set")
	}
	r.minSpatialSegmentation = binary.BigEndian.Uint16(b[13:]) & 0xfff
	r.parallelism, r.chroma = b[15]&3, b[16]&3
	r.lumaDepth, r.chromaDepth = b[17]&7+8, b[18]&7+8
	r.avgFrameRate = binary.BigEndian.Uint16(b[19:])
	r.constantFrameRate, r.layers, r.nested = b[21]>>6, b[21]>>3&7, b[21]>>2&1 == 1
	r.lengthSize = int(b[21]&3) + 1
	n := int(b[22])
	b = b[23:]
	for range n {
		if len(b) < 3 {
			return nil, errShort
		}
		if b[0]&0x40 != 0 {
			return nil, errors.New("reserved array bit set")
		}
		a := recordArray{complete: b[0]&0x80 != 0, typ: b[0] & 0x3f}
		count := int(binary.BigEndian.Uint16(b[1:]))
		b = b[3:]
		for range count {
			if len(b) < 2 {
				return nil, errShort
			}
			l := int(binary.BigEndian.Uint16(b))
			if len(b) < 2+l {
				return nil, errShort
			}
			a.nals = append(a.nals, b[2:2+l])
			b = b[2+l:]
		}
		r.arrays = append(r.arrays, a)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d bytes after the arrays", len(b))
	}
	return &r, nil
}

// parseSPS returns the record's SPS, parsed by mediacommon.
func (r *record) sps(t testing.TB) *mch265.SPS {
	t.Helper()
	for _, a := range r.arrays {
		if a.typ == nalSPS && len(a.nals) == 1 {
			var s mch265.SPS
			if err := s.Unmarshal(a.nals[0]); err != nil {
				t.Fatalf("record's SPS: %v", err)
			}
			return &s
		}
	}
	t.Fatal("record has no single SPS")
	return nil
}

func TestRecordParsesBack(t *testing.T) {
	e := newEncoder(t, newPattern(t, 1280, 720, 30), Config{BitrateKbps: 2500})
	cfg := e.Config() // complete before the first packet
	r, err := parseRecord(cfg.Record)
	if err != nil {
		t.Fatalf("Record % x: %v", cfg.Record, err)
	}
	if r.version != 1 || r.profileSpace != 0 || r.tier != 0 || r.profileIdc != 1 || r.compat&(1<<30) == 0 {
		t.Errorf("version %d, profile space %d tier %d idc %d compat %08x; want 1, Main (1) main tier, compatible with Main",
			r.version, r.profileSpace, r.tier, r.profileIdc, r.compat)
	}
	// Level 3.1 (93 = 30 × 3.1) is the lowest that holds 720p30.
	if r.level != 93 {
		t.Errorf("level_idc %d, want 93", r.level)
	}
	if r.chroma != 1 || r.lumaDepth != 8 || r.chromaDepth != 8 || r.lengthSize != 4 {
		t.Errorf("chroma %d, depths %d/%d, length size %d; want 4:2:0 8-bit with 4-byte lengths", r.chroma, r.lumaDepth, r.chromaDepth, r.lengthSize)
	}
	if r.layers != 1 || !r.nested || r.minSpatialSegmentation != 0 || r.parallelism != 0 {
		t.Errorf("layers %d nested %v min spatial seg %d parallelism %d", r.layers, r.nested, r.minSpatialSegmentation, r.parallelism)
	}
	if len(r.arrays) != 3 {
		t.Fatalf("%d arrays, want VPS, SPS, PPS", len(r.arrays))
	}
	for i, typ := range []byte{nalVPS, nalSPS, nalPPS} {
		a := r.arrays[i]
		if a.typ != typ || !a.complete || len(a.nals) != 1 || nalType(a.nals[0]) != typ {
			t.Errorf("array %d: type %d complete %v with %d NAL units, want one of type %d", i, a.typ, a.complete, len(a.nals), typ)
		}
	}
	s := r.sps(t)
	if s.Width() != 1280 || s.Height() != 720 || s.FPS() != 30 {
		t.Errorf("SPS says %dx%d@%v", s.Width(), s.Height(), s.FPS())
	}
	ptl := s.ProfileTierLevel
	if ptl.GeneralProfileIdc != r.profileIdc || ptl.GeneralLevelIdc != r.level || ptl.GeneralTierFlag != r.tier {
		t.Errorf("record's profile %d level %d tier %d differ from the SPS's %d %d %d",
			r.profileIdc, r.level, r.tier, ptl.GeneralProfileIdc, ptl.GeneralLevelIdc, ptl.GeneralTierFlag)
	}
	if !ptl.GeneralProgressiveSourceFlag || !ptl.GeneralFrameOnlyConstraintFlag {
		t.Error("SPS does not say progressive frames")
	}
	var pps mch265.PPS
	if err := pps.Unmarshal(r.arrays[2].nals[0]); err != nil {
		t.Errorf("record's PPS: %v", err)
	}
}

// ffmpeg builds its own hvcC from the stream's parameter sets when it muxes
// MP4; ours must equal it but for array_completeness, which its MP4 muxer
// leaves at 0.
func TestRecordMatchesFFmpeg(t *testing.T) {
	ffmpeg := needFFmpeg(t)
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{})
	file := annexBStream(t, e, 10)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.h265"), filepath.Join(dir, "out.mp4")
	if err := os.WriteFile(in, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(ffmpeg, "-v", "error", "-i", in, "-c", "copy", "-tag:v", "hvc1", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	mp4, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(mp4, []byte("hvcC"))
	if i < 4 {
		t.Fatal("no hvcC box in ffmpeg's MP4")
	}
	theirs, err := parseRecord(mp4[i+4 : i-4+int(binary.BigEndian.Uint32(mp4[i-4:]))])
	if err != nil {
		t.Fatalf("ffmpeg's hvcC: %v", err)
	}
	ours, err := parseRecord(e.Config().Record)
	if err != nil {
		t.Fatal(err)
	}
	// ffmpeg's MP4 muxer leaves array_completeness at 0, and it takes the
	// first byte of a 4-byte start code as a trailing zero of the NAL unit
	// before it (a NAL unit never ends in 0x00).
	for _, a := range theirs.arrays {
		a.complete = true
		for i, n := range a.nals {
			a.nals[i] = bytes.TrimRight(n, "\x00")
		}
	}
	if !reflect.DeepEqual(ours, theirs) {
		t.Errorf("Record differs from ffmpeg's hvcC:\nours   %+v\ntheirs %+v", ours, theirs)
	}
}

func TestBuildRecordRejects(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30), Config{})
	r, err := parseRecord(e.Config().Record)
	if err != nil {
		t.Fatal(err)
	}
	vps, sps, pps := r.arrays[0].nals[0], r.arrays[1].nals[0], r.arrays[2].nals[0]
	for _, c := range [][3][]byte{
		{sps, vps, pps},
		{vps, sps, nil},
		{vps, sps[:5], pps},
		{vps, append([]byte{sps[0], sps[1], 0x01}, make([]byte, 10)...), pps},
	} {
		if _, err := buildRecord(c[0], c[1], c[2]); err == nil {
			t.Errorf("buildRecord(% x, % x, % x) succeeded", c[0], c[1], c[2])
		}
	}
}

// buildRecord reads the SPS; whatever it is given, it must not panic, and
// a record it returns must parse back to the same parameter sets.
func FuzzBuildRecord(f *testing.F) {
	f.Add([]byte{0x42, 0x01, 0x01, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59})
	f.Add([]byte{0x42, 0x01, 0x01, 0x01, 0x60, 0, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0x5d})
	vps := []byte{0x40, 0x01, 0x0c}
	pps := []byte{0x44, 0x01, 0xc1}
	f.Fuzz(func(t *testing.T, sps []byte) {
		rec, err := buildRecord(vps, sps, pps)
		if err != nil {
			return
		}
		r, err := parseRecord(rec)
		if err != nil {
			t.Fatalf("record does not parse: %v", err)
		}
		if len(r.arrays) != 3 || !bytes.Equal(r.arrays[1].nals[0], sps) || !bytes.Equal(r.arrays[0].nals[0], vps) || !bytes.Equal(r.arrays[2].nals[0], pps) {
			t.Fatal("record's parameter sets differ from those given")
		}
	})
}
