package app

import (
	"errors"
	"fmt"
	"log/slog"

	"studio/capture"
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

// NewEncoders returns the x264 and AAC encoders that s asks for, on video
// and audio. Each encoder owns its source from then on; on error nothing
// is closed.
func NewEncoders(video capture.VideoSource, audio capture.AudioSource, s Settings) (*h264.Encoder, *aac.Encoder, error) {
	venc, err := h264.New(video, h264.Config{
		Width: s.Width, Height: s.Height, FPS: s.FPS,
		BitrateKbps: s.VideoKbps, KeyInterval: s.KeyInterval, Preset: s.Preset,
	})
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

// SessionConfig returns the publish.Config of a session that encodes in
// with the settings of s, records to s.RecordPath and streams to s.URL.
// On error it closes what it opened, in's sources included.
func SessionConfig(s Settings, in Inputs, h Hooks) (publish.Config, error) {
	var dest Destination
	if s.URL != "" {
		var err error
		if dest, err = ParseDestination(s.URL); err != nil {
			_ = errors.Join(in.Video.Close(), in.Audio.Close())
			return publish.Config{}, err
		}
	}
	if s.URL == "" && s.RecordPath == "" {
		_ = errors.Join(in.Video.Close(), in.Audio.Close())
		return publish.Config{}, errors.New("nothing to do: no destination and no recording")
	}
	venc, aenc, err := NewEncoders(in.Video, in.Audio, s)
	if err != nil {
		_ = errors.Join(in.Video.Close(), in.Audio.Close())
		return publish.Config{}, err
	}
	cfg := publish.Config{Video: venc, Audio: aenc, Duration: s.Duration, OnEvent: h.OnEvent, Logger: h.Logger,
		VideoSource: in.VideoStatus, AudioSource: in.AudioStatus}
	if s.RecordPath != "" {
		rec, err := flv.Create(s.RecordPath)
		if err != nil {
			_ = errors.Join(venc.Close(), aenc.Close())
			return publish.Config{}, fmt.Errorf("recording: %w", err)
		}
		cfg.Record = rec
	}
	if dest.URL != "" {
		cfg.Dial = dest.Dial(h.RTMPLogger)
	}
	return cfg, nil
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
	return Inputs{Video: video, Audio: audio, VideoStatus: video, AudioStatus: audio}, nil
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
