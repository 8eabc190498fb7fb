package av1

import (
	"bytes"
	"testing"

	mcav1 "github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
)

// A sequence header OBU from SVT-AV1 1.4 at 640x360 main profile.
var testSeqHdr = []byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x0c, 0xc4, 0xff, 0x67, 0x3e, 0xfe, 0x40, 0x10}

func TestAppendTemporalUnit(t *testing.T) {
	frame := []byte{0x32, 0x03, 0xaa, 0xbb, 0xcc} // frame OBU, 3 bytes
	for _, c := range []struct {
		name   string
		tu     []byte
		want   []byte
		seqHdr bool
		fail   bool
	}{
		{"key", cat(temporalDelimiter, testSeqHdr, frame), cat(testSeqHdr, frame), true, false},
		{"inter", cat(temporalDelimiter, frame), frame, false, false},
		{"no delimiter", frame, frame, false, false},
		{"empty", nil, nil, false, false},
		{"no size field", []byte{0x30, 0xaa}, nil, false, true},
		{"too long", []byte{0x32, 0x05, 0xaa}, nil, false, true},
		{"extension", []byte{0x36, 0x00, 0x01}, nil, false, true},
		{"forbidden bit", []byte{0xb2, 0x00}, nil, false, true},
		{"bad leb128", []byte{0x32, 0x80}, nil, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, seq, err := AppendTemporalUnit([]byte{0xff}, c.tu)
			if c.fail {
				if err == nil {
					t.Fatalf("accepted % x", c.tu)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, cat([]byte{0xff}, c.want)) || seq != c.seqHdr {
				t.Errorf("got % x, sequence header %v; want ff % x, %v", got, seq, c.want, c.seqHdr)
			}
		})
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func TestConfigRecord(t *testing.T) {
	rec, err := ConfigRecord(testSeqHdr)
	if err != nil {
		t.Fatal(err)
	}
	want := cat([]byte{0x81, 0x01, 0x0c, 0x00}, testSeqHdr) // main, level 2.1, 8 bit 4:2:0
	if !bytes.Equal(rec, want) {
		t.Errorf("record % x, want % x", rec, want)
	}
	for _, bad := range [][]byte{nil, {0x12, 0x00}, cat(testSeqHdr, []byte{0x12, 0x00}), testSeqHdr[:8]} {
		if _, err := ConfigRecord(bad); err == nil {
			t.Errorf("ConfigRecord(% x) succeeded", bad)
		}
	}
}

// AppendTemporalUnit agrees with mediacommon's Bitstream on every input
// both accept, and never panics.
func FuzzAppendTemporalUnit(f *testing.F) {
	f.Add(cat(temporalDelimiter, testSeqHdr, []byte{0x32, 0x03, 0xaa, 0xbb, 0xcc}))
	f.Add([]byte{0x32, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, tu []byte) {
		got, _, err := AppendTemporalUnit(nil, tu)
		if err != nil {
			return
		}
		var bs mcav1.Bitstream
		if len(tu) == 0 || bs.Unmarshal(tu) != nil {
			return
		}
		var keep mcav1.Bitstream
		for _, obu := range bs {
			if mcav1.OBUType(obu[0]>>3) != mcav1.OBUTypeTemporalDelimiter {
				keep = append(keep, obu)
			}
		}
		if len(keep) == 0 {
			if len(got) != 0 {
				t.Fatalf("got % x from delimiters only", got)
			}
			return
		}
		want, err := keep.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		// mediacommon re-encodes sizes minimally; compare OBU by OBU.
		var again mcav1.Bitstream
		if err := again.Unmarshal(got); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		var wantBS mcav1.Bitstream
		if err := wantBS.Unmarshal(want); err != nil {
			t.Fatal(err)
		}
		if len(again) != len(wantBS) {
			t.Fatalf("%d OBUs, want %d", len(again), len(wantBS))
		}
		for i := range again {
			if !bytes.Equal(again[i], wantBS[i]) {
				t.Fatalf("OBU %d: % x, want % x", i, again[i], wantBS[i])
			}
		}
	})
}

func FuzzConfigRecord(f *testing.F) {
	f.Add(testSeqHdr)
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := ConfigRecord(b)
		if err != nil {
			return
		}
		if len(rec) != 4+len(b) || rec[0] != 0x81 || !bytes.Equal(rec[4:], b) {
			t.Fatalf("record % x for % x", rec, b)
		}
	})
}
