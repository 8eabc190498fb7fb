package flv

import (
	"fmt"

	"studio/encode"
	"studio/publish/amf0"
)

// The AAC codec ID as onMetaData gives it.
const audioCodecIDAAC = 10

// AppendMetadata appends the body of the script tag (or RTMP data message)
// that describes the stream: "onMetaData" and an ECMA array, preceded by
// "@setDataFrame" when withSetDataFrame is set, as RTMP publishers send it
// (the server strips it and keeps the rest for its viewers). A file has no
// @setDataFrame.
//
// The array holds, in this order: width, height, framerate, videocodecid
// (VideoCodecID: 7 for H.264, the FourCC as a number for HEVC and AV1),
// videodatarate (kbps), then audiocodecid (10), audiosamplerate,
// audiosamplesize (16), stereo, audiodatarate (kbps), then encoder. The
// video fields are left out when info configures no video (see HasVideo),
// the audio fields when it has no AudioSpecificConfig, and encoder when it
// is empty.
func AppendMetadata(dst []byte, info encode.StreamInfo, withSetDataFrame bool) ([]byte, error) {
	v, a := info.Video, info.Audio
	meta := make(amf0.ECMAArray, 0, 11)
	if HasVideo(v) {
		meta = append(meta,
			amf0.Property{Key: "width", Value: float64(v.Width)},
			amf0.Property{Key: "height", Value: float64(v.Height)},
			amf0.Property{Key: "framerate", Value: float64(v.FPS)},
			amf0.Property{Key: "videocodecid", Value: float64(VideoCodecID(v.Codec))},
			amf0.Property{Key: "videodatarate", Value: float64(v.BitrateKbps)},
		)
	}
	if len(a.ASC) > 0 {
		meta = append(meta,
			amf0.Property{Key: "audiocodecid", Value: float64(audioCodecIDAAC)},
			amf0.Property{Key: "audiosamplerate", Value: float64(a.SampleRate)},
			amf0.Property{Key: "audiosamplesize", Value: 16.0},
			amf0.Property{Key: "stereo", Value: a.Channels == 2},
			amf0.Property{Key: "audiodatarate", Value: float64(a.BitrateKbps)},
		)
	}
	if v.Encoder != "" {
		meta = append(meta, amf0.Property{Key: "encoder", Value: v.Encoder})
	}

	n := len(dst)
	var err error
	if withSetDataFrame {
		dst, err = amf0.AppendValue(dst, "@setDataFrame")
	}
	if err == nil {
		dst, err = amf0.AppendValue(dst, "onMetaData")
	}
	if err == nil {
		dst, err = amf0.AppendValue(dst, meta)
	}
	if err != nil {
		return dst[:n], fmt.Errorf("flv: metadata: %w", err)
	}
	return dst, nil
}
