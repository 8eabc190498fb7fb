package flv

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/amf0"
)

// Each case builds some bytes and gives the expected encoding, written and
// checked by hand against the FLV specification (v10.1, annex E).
func TestTagBytes(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{
			"file header, audio and video",
			AppendFileHeader(nil, FlagAudio|FlagVideo),
			`464c56   // "FLV"
			 01       // version 1
			 05       // flags: audio (0x04) | video (0x01)
			 00000009 // DataOffset: header size
			 00000000 // PreviousTagSize0`,
		},
		{
			"file header, video only",
			AppendFileHeader(nil, FlagVideo),
			`464c56 01 01 00000009 00000000`,
		},
		{
			"tag header with extended timestamp",
			AppendTagHeader(nil, TagVideo, 0x012345, 0x89abcdef),
			`09     // TagType video
			 012345 // DataSize
			 abcdef // Timestamp, low 24 bits
			 89     // TimestampExtended, high 8 bits
			 000000 // StreamID`,
		},
		{
			"script tag header at 0",
			AppendTagHeader(nil, TagScript, 300, 0),
			`12 00012c 000000 00 000000`,
		},
		{
			"previous tag size",
			AppendPreviousTagSize(nil, 0x012345),
			`00012350 // 11 + 0x012345`,
		},
		{
			"AVC keyframe, cts 66 ms",
			AppendAVCPacketHeader(nil, true, 66*time.Millisecond),
			`17     // frame type 1 (key) << 4 | codec 7 (AVC)
			 01     // AVCPacketType 1: NALUs
			 000042 // composition time 66`,
		},
		{
			"AVC inter frame, cts 0",
			AppendAVCPacketHeader(nil, false, 0),
			`27     // frame type 2 (inter) << 4 | codec 7
			 01     // NALUs
			 000000 // composition time 0`,
		},
		{
			"AVC cts -1 ms is signed 24-bit",
			AppendAVCPacketHeader(nil, false, -time.Millisecond),
			`27 01 ffffff // -1`,
		},
		{
			"AVC cts truncated to whole ms",
			AppendAVCPacketHeader(nil, false, 1999*time.Microsecond),
			`27 01 000001`,
		},
		{
			"AVC cts clamped above",
			AppendAVCPacketHeader(nil, true, 3*time.Hour),
			`17 01 7fffff // 2^23 - 1`,
		},
		{
			"AVC cts clamped below",
			AppendAVCPacketHeader(nil, true, -3*time.Hour),
			`17 01 800000 // -2^23`,
		},
		{
			"AVC end of sequence",
			AppendAVCEndOfSequence(nil),
			`17 02 000000 // keyframe, AVCPacketType 2, cts 0`,
		},
		{
			"AAC raw frame header",
			AppendAACPacketHeader(nil),
			`af // sound format 10 (AAC) << 4 | rate 3 << 2 | 16-bit << 1 | stereo
			 01 // AACPacketType 1: raw`,
		},
		{
			"AAC sequence header, 48 kHz stereo",
			must(AppendAACSequenceHeader(nil, encode.AudioConfig{SampleRate: 48000, Channels: 2, ASC: []byte{0x11, 0x90}})),
			`af   // AAC, 44 kHz, 16-bit, stereo
			 00   // AACPacketType 0: sequence header
			 1190 // ASC: object type 2 (LC), frequency index 3 (48000), 2 channels`,
		},
		{
			"appends after existing bytes",
			AppendAACPacketHeader([]byte{0xee}),
			`ee af 01`,
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

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestAACSequenceHeaderErrors(t *testing.T) {
	for _, asc := range [][]byte{nil, {0x11}} {
		dst := []byte{1}
		got, err := AppendAACSequenceHeader(dst, encode.AudioConfig{ASC: asc})
		if !errors.Is(err, ErrBadConfig) || !bytes.Equal(got, dst) {
			t.Errorf("ASC %x: %x, %v; want dst unchanged and ErrBadConfig", asc, got, err)
		}
	}
}

var metaInfo = encode.StreamInfo{
	Video: encode.VideoConfig{
		Width: 1280, Height: 720, FPS: 30, BitrateKbps: 2500, Encoder: "studio (x264)",
		SPS: []byte{0x67, 0x42, 0xc0, 0x1f}, PPS: []byte{0x68},
	},
	Audio: encode.AudioConfig{SampleRate: 48000, Channels: 2, BitrateKbps: 160, ASC: []byte{0x11, 0x90}},
}

// metaWant is the data message an RTMP publisher sends for metaInfo, checked
// key by key; a file's script tag is the same without the first value.
const metaWant = `
	02 000d 40736574446174614672616d65 // string "@setDataFrame"
	02 000a 6f6e4d65746144617461 // string "onMetaData"
	08 0000000b // ECMA array, count 11
		0005 7769647468 // key "width"
		00 4094000000000000 // number 1280
		0006 686569676874 // key "height"
		00 4086800000000000 // number 720
		0009 6672616d6572617465 // key "framerate"
		00 403e000000000000 // number 30
		000c 766964656f636f6465636964 // key "videocodecid"
		00 401c000000000000 // number 7
		000d 766964656f6461746172617465 // key "videodatarate"
		00 40a3880000000000 // number 2500
		000c 617564696f636f6465636964 // key "audiocodecid"
		00 4024000000000000 // number 10
		000f 617564696f73616d706c6572617465 // key "audiosamplerate"
		00 40e7700000000000 // number 48000
		000f 617564696f73616d706c6573697a65 // key "audiosamplesize"
		00 4030000000000000 // number 16
		0006 73746572656f // key "stereo"
		01 01 // boolean true
		000d 617564696f6461746172617465 // key "audiodatarate"
		00 4064000000000000 // number 160
		0007 656e636f646572 // key "encoder"
		02 000d 73747564696f20287832363429 // string "studio (x264)"
	000009 // object end`

func TestMetadata(t *testing.T) {
	want := fromHex(t, metaWant)
	got, err := AppendMetadata(nil, metaInfo, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("with @setDataFrame:\n got %x\nwant %x", got, want)
	}

	got, err = AppendMetadata([]byte{0xee}, metaInfo, false)
	if err != nil {
		t.Fatal(err)
	}
	if skip := 3 + len("@setDataFrame"); !bytes.Equal(got, append([]byte{0xee}, want[skip:]...)) {
		t.Fatalf("without @setDataFrame:\n got %x\nwant ee%x", got, want[skip:])
	}
}

func TestMetadataOmitsAbsentKinds(t *testing.T) {
	videoOnly := metaInfo
	videoOnly.Audio = encode.AudioConfig{}
	videoOnly.Video.Encoder = ""
	b, err := AppendMetadata(nil, videoOnly, false)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := amf0.Unmarshal(b)
	if err != nil || len(vals) != 2 {
		t.Fatalf("Unmarshal: %v, %v", vals, err)
	}
	meta := vals[1].(amf0.ECMAArray)
	var keys []string
	for _, p := range meta {
		keys = append(keys, p.Key)
	}
	if want := []string{"width", "height", "framerate", "videocodecid", "videodatarate"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
}
