package flv

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/flv/flvtest"
)

// A tiny but well-formed HEVCDecoderConfigurationRecord head (23 bytes,
// no arrays) and an AV1CodecConfigurationRecord (4 bytes and a sequence
// header OBU), for byte-level cases.
var (
	hvcCHead = []byte{1, 1, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0}
	av1CRec  = []byte{0x81, 0x00, 0x0c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x02, 0xaf, 0xff, 0x9b, 0x5f, 0x30, 0x08}
)

// Each case is checked by hand against the Enhanced RTMP v2 specification.
func TestExVideoBytes(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{
			"HEVC sequence start",
			must(AppendVideoSequenceStart(nil, encode.VideoConfig{Codec: encode.HEVC, Record: hvcCHead})),
			`90       // IsExHeader | frame type 1 (key) << 4 | PacketType 0 (SequenceStart)
			 68766331 // "hvc1"
			 01 01 60000000 000000000000 5d // version 1, Main profile, compatibility flags, constraints, level 3.1
			 f000 fc fd f8 f8 0000 0f 00    // segmentation, parallelism, chroma, depths, frame rate, lengthSizeMinusOne 3, no arrays`,
		},
		{
			"AV1 sequence start",
			must(AppendVideoSequenceStart(nil, encode.VideoConfig{Codec: encode.AV1, Record: av1CRec})),
			`90       // extended, key, SequenceStart
			 61763031 // "av01"
			 81000c00 0a0b0000 0002afff 9b5f3008 // av1C with its sequence header OBU`,
		},
		{
			"H.264 sequence start is the AVC sequence header",
			must(AppendVideoSequenceStart(nil, encode.VideoConfig{SPS: []byte{0x67, 0x42, 0xc0, 0x1e}, PPS: []byte{0x68, 0xce}})),
			`17 00 000000 01 42c01e ff e1 0004 6742c01e 01 0002 68ce`,
		},
		{
			"HEVC keyframe, cts 0: CodedFramesX",
			AppendVideoPacketHeader(nil, encode.HEVC, true, 0),
			`93 68766331 // extended, key, PacketType 3 (CodedFramesX), "hvc1"`,
		},
		{
			"HEVC inter frame, cts 0.9 ms is 0: CodedFramesX",
			AppendVideoPacketHeader(nil, encode.HEVC, false, 900*time.Microsecond),
			`a3 68766331 // extended, frame type 2 (inter), CodedFramesX`,
		},
		{
			"HEVC inter frame, cts 66 ms: CodedFrames",
			AppendVideoPacketHeader(nil, encode.HEVC, false, 66*time.Millisecond),
			`a1 68766331 // extended, inter, PacketType 1 (CodedFrames)
			 000042      // SI24 composition time 66`,
		},
		{
			"HEVC cts -1 ms",
			AppendVideoPacketHeader(nil, encode.HEVC, true, -time.Millisecond),
			`91 68766331 ffffff`,
		},
		{
			"HEVC cts clamped",
			AppendVideoPacketHeader(nil, encode.HEVC, true, 3*time.Hour),
			`91 68766331 7fffff`,
		},
		{
			"AV1 keyframe: CodedFrames without composition time",
			AppendVideoPacketHeader(nil, encode.AV1, true, 40*time.Millisecond),
			`91 61763031 // extended, key, CodedFrames, "av01"`,
		},
		{
			"AV1 inter frame",
			AppendVideoPacketHeader(nil, encode.AV1, false, 0),
			`a1 61763031`,
		},
		{
			"H.264 frame is the AVC header",
			AppendVideoPacketHeader(nil, encode.H264, true, 66*time.Millisecond),
			`17 01 000042`,
		},
		{
			"HEVC sequence end",
			AppendVideoSequenceEnd(nil, encode.HEVC),
			`92 68766331 // extended, key, PacketType 2 (SequenceEnd)`,
		},
		{
			"AV1 sequence end",
			AppendVideoSequenceEnd(nil, encode.AV1),
			`92 61763031`,
		},
		{
			"H.264 sequence end",
			AppendVideoSequenceEnd(nil, encode.H264),
			`17 02 000000`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := fromHex(t, tt.want); !bytes.Equal(tt.got, want) {
				t.Fatalf("got  %x\nwant %x", tt.got, want)
			}
		})
	}
}

func TestVideoSequenceStartErrors(t *testing.T) {
	for _, cfg := range []encode.VideoConfig{
		{Codec: encode.HEVC},
		{Codec: encode.HEVC, Record: hvcCHead[:22]},
		{Codec: encode.HEVC, Record: append([]byte{0}, hvcCHead[1:]...)},
		{Codec: encode.AV1, Record: av1CRec[:3]},
		{Codec: encode.AV1, Record: append([]byte{0x01}, av1CRec[1:]...)},
		{Codec: 9, Record: av1CRec},
	} {
		dst := []byte{0xee}
		got, err := AppendVideoSequenceStart(dst, cfg)
		if !errors.Is(err, ErrBadConfig) || !bytes.Equal(got, dst) {
			t.Errorf("%s %x: got %x, %v; want dst unchanged and ErrBadConfig", cfg.Codec, cfg.Record, got, err)
		}
	}
}

// onMetaData names HEVC and AV1 by their FourCC as a number, H.264 by 7.
func TestMetadataVideoCodecID(t *testing.T) {
	for _, c := range []struct {
		cfg  encode.VideoConfig
		want float64
	}{
		{encode.VideoConfig{SPS: []byte{0x67}}, 7},
		{encode.VideoConfig{Codec: encode.HEVC, Record: hvcCHead}, 0x68766331},
		{encode.VideoConfig{Codec: encode.AV1, Record: av1CRec}, 0x61763031},
	} {
		b, err := AppendMetadata(nil, encode.StreamInfo{Video: c.cfg}, false)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := amf0.Unmarshal(b)
		if err != nil || len(vals) != 2 {
			t.Fatalf("%x: %v", b, err)
		}
		arr, _ := vals[1].(amf0.ECMAArray)
		got, ok := amf0.Object(arr).Number("videocodecid")
		if !ok || got != c.want {
			t.Errorf("%s: videocodecid %v (%v), want %#x", c.cfg.Codec, got, ok, int64(c.want))
		}
	}
	// A codec without its record configures no video.
	b, _ := AppendMetadata(nil, encode.StreamInfo{Video: encode.VideoConfig{Codec: encode.HEVC, SPS: []byte{0x67}}}, false)
	if bytes.Contains(b, []byte("videocodecid")) {
		t.Errorf("HEVC without a record has video metadata")
	}
}

// sameHead reports whether a and b are equal but for Data.
func sameHead(a, b VideoTag) bool {
	a.Data, b.Data = nil, nil
	return a.Codec == b.Codec && a.Extended == b.Extended && a.Packet == b.Packet &&
		a.Keyframe == b.Keyframe && a.CTS == b.CTS
}

// ParseVideoTag reads back what the Append functions write.
func TestParseVideoTag(t *testing.T) {
	data := []byte{0, 0, 0, 2, 0x26, 0x01}
	cases := []struct {
		body []byte
		want VideoTag
	}{
		{must(AppendVideoSequenceStart(nil, encode.VideoConfig{Codec: encode.HEVC, Record: hvcCHead})),
			VideoTag{Codec: encode.HEVC, Extended: true, Packet: VideoSequenceStart, Keyframe: true, Data: hvcCHead}},
		{must(AppendVideoSequenceStart(nil, encode.VideoConfig{Codec: encode.AV1, Record: av1CRec})),
			VideoTag{Codec: encode.AV1, Extended: true, Packet: VideoSequenceStart, Keyframe: true, Data: av1CRec}},
		{append(AppendVideoPacketHeader(nil, encode.HEVC, true, 0), data...),
			VideoTag{Codec: encode.HEVC, Extended: true, Packet: VideoFrame, Keyframe: true, Data: data}},
		{append(AppendVideoPacketHeader(nil, encode.HEVC, false, -33*time.Millisecond), data...),
			VideoTag{Codec: encode.HEVC, Extended: true, Packet: VideoFrame, CTS: -33 * time.Millisecond, Data: data}},
		{append(AppendVideoPacketHeader(nil, encode.AV1, false, 0), data...),
			VideoTag{Codec: encode.AV1, Extended: true, Packet: VideoFrame, Data: data}},
		{AppendVideoSequenceEnd(nil, encode.AV1),
			VideoTag{Codec: encode.AV1, Extended: true, Packet: VideoSequenceEnd, Keyframe: true, Data: []byte{}}},
		{append(AppendVideoPacketHeader(nil, encode.H264, false, 66*time.Millisecond), data...),
			VideoTag{Codec: encode.H264, Packet: VideoFrame, CTS: 66 * time.Millisecond, Data: data}},
		{AppendAVCEndOfSequence(nil),
			VideoTag{Codec: encode.H264, Packet: VideoSequenceEnd, Keyframe: true, Data: []byte{}}},
		// Enhanced RTMP's AVC form: CodedFrames carries a composition time.
		{fromHex(t, "a1 61766331 000021 00000001 65"),
			VideoTag{Codec: encode.H264, Extended: true, Packet: VideoFrame, CTS: 33 * time.Millisecond, Data: []byte{0, 0, 0, 1, 0x65}}},
	}
	for i, c := range cases {
		got, err := ParseVideoTag(c.body)
		if err != nil {
			t.Errorf("%d %x: %v", i, c.body, err)
			continue
		}
		if !bytes.Equal(got.Data, c.want.Data) || len(got.Data) != len(c.want.Data) {
			t.Errorf("%d %x: data %x, want %x", i, c.body, got.Data, c.want.Data)
		}
		if !sameHead(got, c.want) {
			t.Errorf("%d %x: got %+v, want %+v", i, c.body, got, c.want)
		}
	}

	for _, bad := range []struct {
		hex  string
		want error
	}{
		{"", ErrCorrupt},
		{"91 687663", ErrCorrupt},        // FourCC cut
		{"91 68766331 0000", ErrCorrupt}, // HEVC CodedFrames, composition time cut
		{"17 01 00", ErrCorrupt},         // AVC header cut
		{"17 07 000000", ErrCorrupt},     // AVCPacketType 7
		{"91 76703039", ErrUnsupported},  // "vp09"
		{"94 68766331", ErrUnsupported},  // Metadata
		{"96 68766331", ErrUnsupported},  // Multitrack
		{"12 00", ErrUnsupported},        // Sorenson H.263
		{"57 00", ErrUnsupported},        // command frame
	} {
		if _, err := ParseVideoTag(fromHex(t, bad.hex)); !errors.Is(err, bad.want) {
			t.Errorf("%s: %v, want %v", bad.hex, err, bad.want)
		}
	}
}

// A real HEVC and AV1 clip, written by Writer and read back by Reader,
// gives back the same record, frames, keyframes and timestamps.
func TestWriterRoundTripExtended(t *testing.T) {
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		t.Run(c.String(), func(t *testing.T) {
			clip := flvtest.MustLoad(c)
			info := encode.StreamInfo{Video: clip.Config}
			var pkts []*encode.Packet
			for _, f := range clip.Packets {
				p := f.Packet()
				if c == encode.HEVC && len(pkts) == 4 {
					p.PTS += 200 * time.Millisecond // as if reordered: CodedFrames with a composition time
				}
				pkts = append(pkts, p)
			}
			var buf bytes.Buffer
			writeStream(t, NewWriter(&buf), info, pkts)

			h, tags := readAll(t, buf.Bytes())
			if !h.HasVideo || h.HasAudio || len(tags) != 2+len(pkts) {
				t.Fatalf("header %+v, %d tags", h, len(tags))
			}
			wantMeta, _ := AppendMetadata(nil, info, false)
			if tags[0].Type != TagScript || !bytes.Equal(tags[0].Data, wantMeta) {
				t.Errorf("metadata %x", tags[0].Data)
			}
			seq, err := ParseVideoTag(tags[1].Data)
			if err != nil || seq.Codec != c || seq.Packet != VideoSequenceStart || !bytes.Equal(seq.Data, clip.Config.Record) {
				t.Fatalf("sequence start %+v, %v", seq, err)
			}
			for i, p := range pkts {
				tag := tags[2+i]
				vt, err := ParseVideoTag(tag.Data)
				if err != nil {
					t.Fatalf("tag %d: %v", i, err)
				}
				if vt.Codec != c || vt.Packet != VideoFrame || vt.Keyframe != p.Keyframe ||
					vt.CTS != p.PTS-p.DTS || !bytes.Equal(vt.Data, p.Data) ||
					time.Duration(tag.Timestamp)*time.Millisecond != p.DTS {
					t.Errorf("tag %d: %+v at %d, want key %v cts %v at %v", i, vt, tag.Timestamp, p.Keyframe, p.PTS-p.DTS, p.DTS)
				}
			}
		})
	}
}

// FuzzParseVideoTag checks that ParseVideoTag never panics, that its data
// is a suffix of the input, and that what it parses, written back by the
// Append functions, parses the same.
func FuzzParseVideoTag(f *testing.F) {
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		clip := flvtest.MustLoad(c)
		seq, _ := AppendVideoSequenceStart(nil, clip.Config)
		f.Add(seq)
		f.Add(append(AppendVideoPacketHeader(nil, c, true, 0), clip.Packets[0].Data[:min(64, len(clip.Packets[0].Data))]...))
		f.Add(append(AppendVideoPacketHeader(nil, c, false, 33*time.Millisecond), clip.Packets[1].Data...))
		f.Add(AppendVideoSequenceEnd(nil, c))
	}
	f.Add(AppendAVCEndOfSequence(nil))
	f.Add(fromHex(f, "27 01 000042 00000002 4101"))
	f.Add(fromHex(f, "96 68766331"))
	f.Fuzz(func(t *testing.T, in []byte) {
		vt, err := ParseVideoTag(in)
		if err != nil {
			return
		}
		if len(vt.Data) > len(in) || !bytes.HasSuffix(in, vt.Data) {
			t.Fatalf("data %x is not a suffix of %x", vt.Data, in)
		}
		var out []byte
		switch vt.Packet {
		case VideoSequenceStart:
			if vt.Codec == encode.H264 || !vt.Extended {
				return // the AVC record is checked by its own tests
			}
			if out, err = AppendVideoSequenceStart(nil, encode.VideoConfig{Codec: vt.Codec, Record: vt.Data}); err != nil {
				return // a record that the writer refuses
			}
		case VideoFrame:
			if vt.Extended && vt.Codec == encode.H264 {
				return // the writer sends H.264 in the legacy form
			}
			out = append(AppendVideoPacketHeader(nil, vt.Codec, vt.Keyframe, vt.CTS), vt.Data...)
		case VideoSequenceEnd:
			if vt.Extended == (vt.Codec == encode.H264) {
				return
			}
			out = AppendVideoSequenceEnd(nil, vt.Codec)
		}
		again, err := ParseVideoTag(out)
		if err != nil {
			t.Fatalf("re-parse %x: %v", out, err)
		}
		if !bytes.Equal(again.Data, vt.Data) {
			t.Fatalf("re-parse %x: data differs", out)
		}
		if vt.Packet != VideoFrame { // frame type and time are the writer's
			again.Keyframe, vt.Keyframe, again.CTS, vt.CTS = false, false, 0, 0
		}
		if !sameHead(again, vt) {
			t.Fatalf("re-parse of %x: %+v, was %+v", out, again, vt)
		}
	})
}
