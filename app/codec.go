package app

import (
	"fmt"
	"strings"

	"studio/capture"
	"studio/encode"
	"studio/encode/av1"
	"studio/encode/h264"
	"studio/encode/hevc"
)

// Codecs are the video codecs studio encodes, by the names the -codec flag
// and the window use.
var Codecs = []string{"h264", "hevc", "av1"}

// ParseCodec returns the codec named name ("h264", "hevc" or "av1").
func ParseCodec(name string) (encode.VideoCodec, error) {
	switch strings.ToLower(name) {
	case "h264", "avc", "":
		return encode.H264, nil
	case "hevc", "h265":
		return encode.HEVC, nil
	case "av1":
		return encode.AV1, nil
	}
	return 0, fmt.Errorf("unknown video codec %q: use h264, hevc or av1", name)
}

// NewVideoEncoder returns the encoder of s.Codec on video: x264 with
// s.Preset; x265 and SVT-AV1 with their real-time defaults (s.Preset names
// an x264 preset).
func NewVideoEncoder(video capture.VideoSource, s Settings) (encode.VideoEncoder, error) {
	var enc encode.VideoEncoder
	var err error
	switch s.Codec {
	case encode.H264:
		enc, err = h264.New(video, h264.Config{Width: s.Width, Height: s.Height, FPS: s.FPS,
			BitrateKbps: s.VideoKbps, KeyInterval: s.KeyInterval, Preset: s.Preset})
	case encode.HEVC:
		enc, err = hevc.New(video, hevc.Config{Width: s.Width, Height: s.Height, FPS: s.FPS,
			BitrateKbps: s.VideoKbps, KeyInterval: s.KeyInterval})
	case encode.AV1:
		enc, err = av1.New(video, av1.Config{Width: s.Width, Height: s.Height, FPS: s.FPS,
			BitrateKbps: s.VideoKbps, KeyInterval: s.KeyInterval})
	default:
		err = fmt.Errorf("unknown video codec %v", s.Codec)
	}
	if err != nil {
		return nil, fmt.Errorf("video encoder (%s): %w", s.Codec, err)
	}
	return enc, nil
}
