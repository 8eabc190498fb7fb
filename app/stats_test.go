package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"studio/capture"
	"studio/publish"
	"studio/publish/health"
)

type fixedStats publish.Stats

func (f fixedStats) Stats() publish.Stats { return publish.Stats(f) }

func TestStatsLine(t *testing.T) {
	st := publish.Stats{
		Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), State: publish.StateLive, Uptime: 12345 * time.Millisecond,
		VideoKbps: 2499.96, FPS: 29.97, FramesSent: 300, Queue: 12345 * time.Microsecond, Congestion: 0.123,
		TargetKbps: 2000, UserKbps: 2500, RTT: 1500 * time.Microsecond, Recording: true,
		VideoSource: capture.SourceStatus{Skipped: 3}, AudioSource: capture.SourceStatus{DriftPPM: 512.6, Gaps: 2, GapSilence: 123456 * time.Microsecond},
		Destinations: []publish.DestinationStats{{Name: "rtmp://h/live/****", State: publish.StateError,
			Err: errors.New("publish refused: drift is not allowed"), LowRendition: true,
			Health: health.Report{Status: health.Bad, Cause: health.Server, Message: "it answered drift"}}},
		Health: health.Report{Status: health.Bad, Cause: health.Server, Message: "rtmp://h/live/****: it answered drift"},
	}
	var buf bytes.Buffer
	done := make(chan struct{})
	close(done)
	// A key that is also a word of the JSON ("audio_drift_ppm") is
	// redacted in the errors only, never in the field names.
	red := NewRedactor(Destination{URL: "rtmp://h/live/drift"})
	if err := WriteStats(&buf, fixedStats(st), done, red); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	want := map[string]any{
		"time": "2025-01-02T03:04:05Z", "state": "live", "uptime_s": 12.3, "video_kbps": 2500.0, "fps": 30.0,
		"frames_sent": 300.0, "queue_ms": 12.3, "congestion": 0.12, "target_kbps": 2000.0, "user_kbps": 2500.0,
		"rtt_ms": 1.5, "recording": true, "frames_skipped": 3.0, "audio_drift_ppm": 513.0,
		"audio_gaps": 2.0, "audio_gap_ms": 123.5,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	dests, _ := m["destinations"].([]any)
	if len(dests) != 1 {
		t.Fatalf("destinations %v, want one", m["destinations"])
	}
	d := dests[0].(map[string]any)
	if d["url"] != "rtmp://h/live/****" || d["state"] != "error" || d["rendition"] != "low" ||
		d["error"] != "publish refused: **** is not allowed" {
		t.Errorf("destination %v", d)
	}
	if h, _ := m["health"].(map[string]any); h["status"] != "bad" || h["cause"] != "server" || h["message"] != "rtmp://h/live/****: it answered ****" {
		t.Errorf("health %v", m["health"])
	}
	if h, _ := d["health"].(map[string]any); h["status"] != "bad" || h["message"] != "it answered ****" {
		t.Errorf("destination's health %v", d["health"])
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("%d lines after done, want 1", n)
	}
}

func TestHealthLine(t *testing.T) {
	net := health.Report{Status: health.Warning, Cause: health.Network, Message: "The link carries ~900 kbps."}
	for _, c := range []struct {
		prev, cur health.Report
		want      string
	}{
		{health.OK, health.OK, ""},
		{health.OK, net, "health: warning (network): The link carries ~900 kbps."},
		{net, health.Report{Status: health.Warning, Cause: health.Network, Message: "The link carries ~800 kbps."}, ""},
		{net, health.Report{Status: health.Bad, Cause: health.Network, Message: "Dropped."}, "health: bad (network): Dropped."},
		{net, health.OK, "health: good again"},
	} {
		if got := HealthLine(c.prev, c.cur); got != c.want {
			t.Errorf("HealthLine(%v, %v) = %q, want %q", c.prev, c.cur, got, c.want)
		}
	}
}
