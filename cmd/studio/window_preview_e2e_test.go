package main

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"studio/internal/testpeer"
	"studio/publish"
)

// After 15 s of preview, Go Live sends a stream whose timestamps start at
// zero, with its keyframe first and no tag back in time.
func TestWindowPreviewThenGoLiveStartsAtZero(t *testing.T) {
	n := testpeer.StartNginx(t)
	be := &timedBackend{recorded: make(chan string, 2)}
	const key = "window-preview-7d2e"
	s, states, _ := startWindow(t, be, n.RTMPURL, key)
	// 15 s of media in the preview before Go Live: a duration, not a wait
	// for an event.
	time.Sleep(15 * time.Second)
	if s.PreviewFrames() == 0 {
		t.Fatal("no preview frames in 15 s")
	}
	s.Do(func() { test.Tap(s.Controls().GoLive) })
	waitState(t, states, publish.StateLive, 20*time.Second)
	time.Sleep(3 * time.Second)
	s.Do(func() { test.Tap(s.Controls().GoLive) })
	waitState(t, states, publish.StateStopped, 15*time.Second)

	served := onlyRecording(t, n, key)
	rec := testpeer.Probe(t, served)
	t.Logf("server recording: first video at %.3f s, first audio at %.3f s, %.2f s long", rec.FirstVideo, rec.FirstAudio, rec.Duration)
	if rec.FirstVideo > 0.1 || rec.FirstAudio > 0.1 {
		t.Errorf("the stream starts at video %.3f s, audio %.3f s after a 15 s preview, want ≤ 0.1 s", rec.FirstVideo, rec.FirstAudio)
	}
	if rec.Duration > 5 {
		t.Errorf("the stream lasts %.2f s for about 3 s of live", rec.Duration)
	}
	checkWireOrder(t, served)
	if errs := testpeer.DecodeErrors(t, served); errs != "" {
		t.Errorf("decoding the recording: %s", errs)
	}
}
