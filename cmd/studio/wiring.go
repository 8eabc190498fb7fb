package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"studio/capture"
	"studio/encode/aac"
	"studio/encode/h264"
	"studio/publish"
	"studio/publish/flv"
	"studio/publish/rtmp"
)

// destination is a parsed -url, or none.
type destination struct {
	url      string
	redacted string
}

func newDestination(raw string) (destination, error) {
	if raw == "" {
		return destination{}, nil
	}
	u, err := rtmp.ParseURL(raw)
	if err != nil {
		return destination{}, err
	}
	return destination{url: raw, redacted: u.Redacted()}, nil
}

// secretsOf returns the parts of a stream URL that must never be shown:
// the stream key, and its query string on its own.
func secretsOf(raw string) []string {
	u, err := rtmp.ParseURL(raw)
	if err != nil || u.StreamKey() == "" {
		return nil
	}
	var out []string
	add := func(secret string) {
		out = append(out, secret, url.QueryEscape(secret), url.PathEscape(secret))
	}
	add(u.StreamKey())
	if _, q, ok := strings.Cut(u.StreamKey(), "?"); ok && q != "" {
		add(q)
	}
	return out
}

// buildSession opens the sources, encoders, recording and destination that
// o asks for. On error, whatever it opened is closed.
func buildSession(o options, dest destination, logger *slog.Logger) (cfg publish.Config, err error) {
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()
	clock := capture.NewClock()
	video, err := openVideoFlag(o, clock) // devices.go
	if err != nil {
		return cfg, fmt.Errorf("video source: %w", err)
	}
	closers = append(closers, video.Close)
	audio, err := openAudioFlag(o, clock)
	if err != nil {
		return cfg, fmt.Errorf("audio source: %w", err)
	}
	closers = append(closers, audio.Close)
	venc, err := h264.New(video, h264.Config{
		Width: o.width, Height: o.height, FPS: o.fps,
		BitrateKbps: o.bitrate, KeyInterval: time.Duration(o.keyint * float64(time.Second)), Preset: o.preset,
	})
	if err != nil {
		return cfg, fmt.Errorf("video encoder: %w", err)
	}
	closers = append(closers, venc.Close)
	aenc, err := aac.New(audio, aac.Config{BitrateKbps: o.audioBitrate})
	if err != nil {
		return cfg, fmt.Errorf("audio encoder: %w", err)
	}
	closers = append(closers, aenc.Close)
	cfg = publish.Config{Video: venc, Audio: aenc, Duration: o.duration, Logger: logger,
		VideoSource: video, AudioSource: audio}
	if o.record != "" {
		rec, err := flv.Create(o.record)
		if err != nil {
			return cfg, fmt.Errorf("recording: %w", err)
		}
		cfg.Record = rec
	}
	if dest.url != "" {
		url := dest.url
		cfg.Dial = func(ctx context.Context, onStatus func(publish.Status)) (publish.Publisher, error) {
			return rtmp.Publish(ctx, url, rtmp.Options{OnStatus: onStatus})
		}
	}
	return cfg, nil
}
