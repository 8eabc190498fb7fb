// Package flvtest gives tests real HEVC and AV1 streams: short clips made
// by FFmpeg (libx265, libsvtav1), taken from MP4 files as the encoders of
// package encode would give them: a VideoConfig with the decoder
// configuration record, and packets in their format. It is for tests only.
//
// The clips are 3 s of testsrc2, 160x96 at 10 fps, a keyframe every 10
// frames, no frame reordering (PTS = DTS), made with:
//
//	ffmpeg -f lavfi -i testsrc2=size=160x96:rate=10 -t 3 -pix_fmt yuv420p \
//	  -c:v libx265 -preset ultrafast -crf 40 \
//	  -x265-params keyint=10:min-keyint=10:bframes=0:scenecut=0 \
//	  -tag:v hvc1 testdata/hevc.mp4
//	ffmpeg -f lavfi -i testsrc2=size=160x96:rate=10 -t 3 -pix_fmt yuv420p \
//	  -c:v libsvtav1 -preset 12 -g 10 -crf 55 -svtav1-params pred-struct=1 \
//	  testdata/av1.mp4
//
// (FFmpeg 5.1, x265 3.5, SVT-AV1 1.4.1.) An MP4 hvc1 sample holds NAL units
// with 4-byte lengths and no parameter sets, an av01 sample the temporal
// unit's OBUs without temporal delimiters: exactly encode.Packet.Data.
package flvtest

import (
	"embed"
	"fmt"
	"time"

	"studio/encode"
)

//go:embed testdata/hevc.mp4 testdata/av1.mp4
var files embed.FS

// Clip is a short stream of one codec.
type Clip struct {
	Config  encode.VideoConfig
	Packets []Frame
}

// Frame is one access unit of a Clip.
type Frame struct {
	PTS      time.Duration // = DTS
	Keyframe bool
	Data     []byte
}

// Packet returns f as an encode.Packet (sharing its data).
func (f Frame) Packet() *encode.Packet {
	return encode.NewPacket(encode.Video, f.PTS, f.PTS, f.Keyframe, f.Data, nil)
}

// Load returns the clip of codec c (HEVC or AV1); the slices are fresh
// copies, the caller's to keep.
func Load(c encode.VideoCodec) (Clip, error) {
	var name, entry, box string
	switch c {
	case encode.HEVC:
		name, entry, box = "testdata/hevc.mp4", "hvc1", "hvcC"
	case encode.AV1:
		name, entry, box = "testdata/av1.mp4", "av01", "av1C"
	default:
		return Clip{}, fmt.Errorf("flvtest: no clip of %s", c)
	}
	b, err := files.ReadFile(name)
	if err != nil {
		return Clip{}, err
	}
	rec, samples, keys, err := parseMP4(b, entry, box)
	if err != nil {
		return Clip{}, fmt.Errorf("flvtest: %s: %w", name, err)
	}
	clip := Clip{Config: encode.VideoConfig{
		Codec: c, Width: 160, Height: 96, FPS: 10, Record: rec,
		BitrateKbps: 100, Encoder: "studio test",
	}}
	for i, s := range samples {
		clip.Packets = append(clip.Packets, Frame{
			PTS:      time.Duration(i) * 100 * time.Millisecond,
			Keyframe: keys == nil || keys[i],
			Data:     s,
		})
	}
	return clip, nil
}

// MustLoad is Load that panics on error.
func MustLoad(c encode.VideoCodec) Clip {
	clip, err := Load(c)
	if err != nil {
		panic(err)
	}
	return clip
}
