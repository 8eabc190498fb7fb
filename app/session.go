package app

import (
	"errors"
	"fmt"
	"log/slog"

	"studio/capture"
	"studio/capture/tee"
	"studio/encode"
	"studio/encode/aac"
	"studio/encode/h264"
	"studio/publish"
	"studio/publish/flv"
)

// Inputs are the sources a session encodes, and the devices' health.
type Inputs struct {
	Video capture.VideoSource
	Audio capture.AudioSource
	// VideoStatus and AudioStatus say how the devices behind the sources
	// are (nil: not reported).
	VideoStatus, AudioStatus capture.Reporter
	// Clock is the media clock the sources stamp their frames on (nil:
	// not known; the glass-to-server estimate then leaves out the
	// encoder's least delay).
	Clock *capture.Clock
}

// Hooks are where a session's events and diagnostics go. Every field may
// be nil.
type Hooks struct {
	// OnEvent receives the session's events (see publish.Config.OnEvent).
	OnEvent func(publish.Event)
	// Logger receives the session's diagnostics, and RTMPLogger the RTMP
	// layer's (see NewLogger).
	Logger, RTMPLogger *slog.Logger
	// OnDevice is told when a device that OpenSession opened is lost or
	// back.
	OnDevice func(DeviceLost)
}

// NewEncoders returns the video encoder (x264, x265 or SVT-AV1, see
// NewVideoEncoder) and the AAC encoder that s asks for, on video and
// audio. Each encoder owns its source from then on; on error nothing is
// closed.
func NewEncoders(video capture.VideoSource, audio capture.AudioSource, s Settings) (encode.VideoEncoder, *aac.Encoder, error) {
	venc, err := NewVideoEncoder(video, s)
	if err != nil {
		return nil, nil, fmt.Errorf("video encoder: %w", err)
	}
	aenc, err := aac.New(audio, aac.Config{BitrateKbps: s.AudioKbps})
	if err != nil {
		_ = venc.Close()
		return nil, nil, fmt.Errorf("audio encoder: %w", err)
	}
	return venc, aenc, nil
}

// Destinations returns the destinations of s, in order: URL, then
// MoreURLs. The error wraps publish.ErrBadURL and never shows a key.
func (s Settings) Destinations() ([]Destination, error) {
	var out []Destination
	for _, raw := range append([]string{s.URL}, s.MoreURLs...) {
		if raw == "" {
			continue
		}
		d, err := ParseDestination(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if len(out) > publish.MaxDestinations {
		return nil, fmt.Errorf("%d destinations: studio streams to at most %d at once", len(out), publish.MaxDestinations)
	}
	return out, nil
}

// DestinationNames names destinations for events and stats: each one's
// redacted URL, with " #2", " #3" … after the second and later of the same
// name.
func DestinationNames(dests []Destination) []string {
	names := make([]string, len(dests))
	seen := map[string]int{}
	for i, d := range dests {
		name := d.Redacted()
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s #%d", name, seen[name])
		}
		names[i] = name
	}
	return names
}

// SessionConfig returns the publish.Config of a session that encodes in
// with the settings of s, records to s.RecordPath and streams to s.URL and
// s.MoreURLs. With more than one destination, a destination whose link
// carries far less than the others gets a second video encoder at a lower
// bitrate on the same capture. On error it closes what it opened, in's
// sources included.
func SessionConfig(s Settings, in Inputs, h Hooks) (publish.Config, error) {
	dests, err := s.Destinations()
	if err != nil {
		_ = errors.Join(in.Video.Close(), in.Audio.Close())
		return publish.Config{}, err
	}
	if len(dests) == 0 && s.RecordPath == "" {
		_ = errors.Join(in.Video.Close(), in.Audio.Close())
		return publish.Config{}, errors.New("nothing to do: no destination and no recording")
	}
	video := in.Video
	var split *tee.VideoTee
	// A low rendition for slow destinations: x264's only (its superfast
	// preset writes the same parameter sets as veryfast).
	if len(dests) > 1 && s.Codec == encode.H264 {
		split = tee.Video(in.Video)
		video = split.Primary()
	}
	venc, aenc, err := NewEncoders(video, in.Audio, s)
	if err != nil {
		_ = errors.Join(video.Close(), in.Audio.Close())
		return publish.Config{}, err
	}
	cfg := publish.Config{Video: venc, Audio: aenc, Duration: s.Duration, OnEvent: h.OnEvent, Logger: h.Logger,
		VideoSource: in.VideoStatus, AudioSource: in.AudioStatus}
	if in.Clock != nil {
		cfg.CaptureZero = in.Clock.Start()
	}
	if split != nil {
		cfg.Rendition = func(kbps int) (encode.VideoEncoder, error) { return lowRendition(split, s, kbps) }
	}
	if s.RecordPath != "" {
		rec, err := flv.Create(s.RecordPath)
		if err != nil {
			_ = errors.Join(venc.Close(), aenc.Close())
			return publish.Config{}, fmt.Errorf("recording: %w", err)
		}
		cfg.Record = rec
	}
	for i, name := range DestinationNames(dests) {
		cfg.Destinations = append(cfg.Destinations, publish.Destination{Name: name, Redial: dests[i].RedialCodec(h.RTMPLogger, s.Codec),
			StartKbps: startKbps(dests[i].URL, s.VideoKbps, s.AudioKbps, LastLinkKbps)})
	}
	return cfg, nil
}

// startKbps is the video bitrate a stream to url starts at: below the
// user's target when the last link test to that ingest (last, see
// LastLinkKbps) found less room, with the headroom adaptive bitrate keeps
// (80% of the upload, less the audio); 0 (the target) otherwise.
func startKbps(url string, videoKbps, audioKbps int, last func(string) (int, bool)) int {
	upload, ok := last(url)
	if !ok {
		return 0
	}
	start := max(100, int(0.8*float64(upload))-audioKbps)
	if start >= videoKbps {
		return 0
	}
	return start
}

// lowPreset is the x264 preset of the low rendition when the main one is
// veryfast: x264 writes the same SPS and PPS for both, so that a
// destination moves between them at a keyframe without new sequence
// headers, and superfast costs about a third less CPU at the low
// rendition's bitrates.
const lowPreset = "superfast"

// lowRendition is a second x264 encoder, on a branch of the capture, with
// the settings of s at kbps. Closing it detaches the branch.
func lowRendition(split *tee.VideoTee, s Settings, kbps int) (encode.VideoEncoder, error) {
	branch, err := split.Branch()
	if err != nil {
		return nil, err
	}
	preset := s.Preset
	if preset == "" || preset == "veryfast" {
		preset = lowPreset
	}
	enc, err := h264.New(branch, h264.Config{
		Width: s.Width, Height: s.Height, FPS: s.FPS,
		BitrateKbps: kbps, KeyInterval: s.KeyInterval, Preset: preset,
	})
	if err != nil {
		_ = branch.Close()
		return nil, fmt.Errorf("low rendition encoder: %w", err)
	}
	return enc, nil
}

// OpenSources opens the camera and microphone of s on a new media clock
// (see OpenVideo and OpenAudio); onDevice is told of lost devices.
func OpenSources(s Settings, onDevice func(DeviceLost)) (Inputs, error) {
	clock := capture.NewClock()
	video, err := OpenVideo(clock, s.CameraID, capture.VideoProps{Width: s.Width, Height: s.Height, FPS: s.FPS}, onDevice)
	if err != nil {
		return Inputs{}, fmt.Errorf("video source: %w", err)
	}
	audio, err := OpenAudio(clock, s.MicrophoneID, onDevice)
	if err != nil {
		_ = video.Close()
		return Inputs{}, fmt.Errorf("audio source: %w", err)
	}
	return Inputs{Video: video, Audio: audio, VideoStatus: video, AudioStatus: audio, Clock: clock}, nil
}

// OpenSession opens the sources of s and returns the publish.Config of a
// session on them: what headless mode runs. On error, whatever it opened
// is closed.
func OpenSession(s Settings, h Hooks) (publish.Config, error) {
	in, err := OpenSources(s, h.OnDevice)
	if err != nil {
		return publish.Config{}, err
	}
	return SessionConfig(s, in, h)
}
