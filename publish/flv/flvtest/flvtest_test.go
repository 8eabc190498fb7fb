package flvtest

import (
	"encoding/binary"
	"testing"

	"studio/encode"
)

// The clips load, start with a keyframe, have a keyframe every 10 frames,
// and their data is in the packet format of package encode.
func TestLoad(t *testing.T) {
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		clip, err := Load(c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if len(clip.Packets) != 30 {
			t.Errorf("%s: %d packets, want 30", c, len(clip.Packets))
		}
		for i, f := range clip.Packets {
			if f.Keyframe != (i%10 == 0) {
				t.Errorf("%s: packet %d keyframe %v", c, i, f.Keyframe)
			}
			if c == encode.HEVC {
				// 4-byte lengths that add up, and no parameter sets.
				for b := f.Data; len(b) > 0; {
					n := int(binary.BigEndian.Uint32(b))
					if n == 0 || 4+n > len(b) {
						t.Fatalf("%s: packet %d: bad NAL unit length %d", c, i, n)
					}
					if typ := b[4] >> 1 & 0x3f; typ >= 32 && typ <= 35 {
						t.Errorf("%s: packet %d has NAL unit type %d", c, i, typ)
					}
					b = b[4+n:]
				}
			} else if typ := f.Data[0] >> 3 & 0xf; typ == 2 {
				t.Errorf("%s: packet %d starts with a temporal delimiter", c, i)
			}
		}
		switch rec := clip.Config.Record; {
		case c == encode.HEVC && (len(rec) < 23 || rec[0] != 1):
			t.Errorf("hvcC %x", rec)
		case c == encode.AV1 && (len(rec) < 4 || rec[0] != 0x81):
			t.Errorf("av1C %x", rec)
		}
	}
}
