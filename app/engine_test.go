package app

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"studio/publish"
)

// TestEngineRecordsFromThePreview: the Engine previews the synthetic
// sources, records a session on them, and previews on after it.
func TestEngineRecordsFromThePreview(t *testing.T) {
	e := NewEngine(EngineOptions{})
	defer e.Close(5 * time.Second)
	s := Settings{CameraID: TestPatternID, MicrophoneID: TestToneID, Width: 320, Height: 180, FPS: 30,
		VideoKbps: 300, AudioKbps: 64, Preset: "ultrafast", KeyInterval: time.Second}
	frames, levels := make(chan image.Image, 100), make(chan float64, 100)
	p, err := e.StartPreview(s, func(img image.Image) {
		select {
		case frames <- img:
		default:
		}
	}, func(peak, _ float64) {
		select {
		case levels <- peak:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	wait := func(what string, ch <-chan image.Image) image.Image {
		t.Helper()
		select {
		case img := <-ch:
			return img
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10 s", what)
		}
		return nil
	}
	if b := wait("preview frame", frames).Bounds(); b.Dx() != 320 || b.Dy() != 180 {
		t.Errorf("preview frame %v", b)
	}
	select {
	case <-levels:
	case <-time.After(10 * time.Second):
		t.Fatal("no level within 10 s")
	}

	// A malformed URL fails before anything is created.
	bad := s
	bad.URL, bad.RecordPath = "rtmp://127.0.0.1/"+testKey, filepath.Join(t.TempDir(), "never.flv")
	if _, err := e.GoLive(bad, nil); !errors.Is(err, publish.ErrBadURL) {
		t.Errorf("GoLive with a malformed URL: %v", err)
	}
	if _, err := os.Stat(bad.RecordPath); !os.IsNotExist(err) {
		t.Errorf("a failed GoLive left a recording: %v", err)
	}

	rec := s
	rec.RecordPath = filepath.Join(t.TempDir(), "rec.flv")
	live, err := e.GoLive(rec, func(publish.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 { // about a second of media
		wait("preview frame while live", frames)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := live.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if fi, err := os.Stat(rec.RecordPath); err != nil || fi.Size() < 1000 {
		t.Errorf("recording: %v, %v", fi, err)
	}
	// The preview goes on once the session has given the sources back.
	for range len(frames) {
		<-frames
	}
	wait("preview frame after the session", frames)
}

// TestEnginePreviewSamplesOnlyWantedFrames: while the window declines the
// next preview frame, none is sampled or handed over; the sources run on
// (levels keep coming), and frames come again once it wants them.
func TestEnginePreviewSamplesOnlyWantedFrames(t *testing.T) {
	e := NewEngine(EngineOptions{})
	defer e.Close(5 * time.Second)
	var want atomic.Bool
	e.SetPreviewWanted(want.Load)
	s := Settings{CameraID: TestPatternID, MicrophoneID: TestToneID, Width: 320, Height: 180, FPS: 30,
		VideoKbps: 300, AudioKbps: 64, Preset: "ultrafast", KeyInterval: time.Second}
	var frames atomic.Int64
	levels := make(chan struct{}, 1)
	p, err := e.StartPreview(s, func(image.Image) { frames.Add(1) }, func(float64, float64) {
		select {
		case levels <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// 20 level callbacks (50 ms apart) span about 30 video frames.
	for range 20 {
		select {
		case <-levels:
		case <-time.After(10 * time.Second):
			t.Fatal("no level within 10 s")
		}
	}
	if n := frames.Load(); n != 0 {
		t.Errorf("%d preview frames handed over while none was wanted", n)
	}
	want.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for frames.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no preview frame within 10 s once wanted")
		}
		<-levels
	}
}
