package main

import (
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studio/app"
	"studio/internal/testpeer"
	"studio/publish"
	"studio/ui"
)

// TestWindowGoLiveToNginx drives the window with the real backend and the
// Fyne test driver (no display): Custom destination on nginx-rtmp, test
// pattern and tone, Go Live, 5 s live with Record on for 3 s in the middle,
// Stop. nginx's recording must hold those 5 s at the chosen size and rate,
// and decode without errors; the local recording must hold the 3 s, start
// with a keyframe and decode without errors.
func TestWindowGoLiveToNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	be := &timedBackend{recorded: make(chan string, 2)}
	const key = "window-e2e-4b1c"
	s, states, _ := startWindow(t, be, n.RTMPURL, key)
	s.Do(func() {
		c := s.Controls()
		if c.GoLive.Disabled() {
			t.Fatal("Go Live is disabled with a complete destination")
		}
		test.Tap(c.GoLive)
	})
	waitState(t, states, publish.StateLive, 20*time.Second)
	frames0 := s.PreviewFrames()
	// Durations of media from here on, not waits for events.
	time.Sleep(time.Second)
	s.Do(func() { test.Tap(s.Controls().Record) })
	path := waitRecorded(t, be.recorded, "the recording to start")
	time.Sleep(3 * time.Second)
	s.Do(func() {
		c := s.Controls()
		if c.GoLive.Text != "Stop" || c.Record.Text != "Stop recording" || !strings.Contains(c.Recording.Text, path) {
			t.Errorf("recording while live: go live %q, record %q, recording line %q", c.GoLive.Text, c.Record.Text, c.Recording.Text)
		}
		test.Tap(c.Record)
	})
	waitRecorded(t, be.recorded, "the recording to stop")
	time.Sleep(time.Second)
	s.Do(func() {
		c := s.Controls()
		if c.GoLive.Text != "Stop" {
			t.Errorf("while live the button says %q", c.GoLive.Text)
		}
		// The preview's default rate is 15 fps; a frame is shown at most
		// once per 1/15 s of capture time, so a few less is normal.
		if f := s.PreviewFrames() - frames0; f < 5*12 {
			t.Errorf("%d preview frames in 5 s, want about 15 fps (at least 12)", f)
		}
		test.Tap(c.GoLive)
	})
	waitState(t, states, publish.StateStopped, 15*time.Second)
	if n := be.calls(); n != 1 {
		t.Errorf("%d sessions, want 1: recording must not restart the stream", n)
	}

	served := onlyRecording(t, n, key)
	// The window streamed from GoLive to Stop: about 5 s plus connecting.
	span := be.span().Seconds()
	t.Logf("the session ran %.2f s", span)
	if span < 5 || span > 7 {
		t.Errorf("the session ran %.2f s, want 5 s of live plus a connect", span)
	}
	testpeer.Check(t, testpeer.Probe(t, served), testpeer.Expect{Width: 640, Height: 360, FPS: 30, Seconds: span,
		VideoKbps: 1000, SampleRate: 48000, Channels: 2, Skipped: be.skipped()})
	if errs := testpeer.DecodeErrors(t, served); errs != "" {
		t.Errorf("decoding the recording: %s", errs)
	}

	// The local recording: from Record to Stop recording, about 3 s, less
	// the wait for the keyframe it starts with (2 s keyframes: up to 2 s).
	rec := testpeer.Probe(t, path)
	recSpan := be.recordSpan().Seconds()
	t.Logf("local recording %s: %.2f s, %d video frames, for %.2f s of Record", path, rec.Duration, rec.VideoFrames, recSpan)
	if rec.VideoCodec != "h264" || rec.Width != 640 || rec.Height != 360 || rec.AudioCodec != "aac" {
		t.Errorf("local recording: %s %dx%d and %s", rec.VideoCodec, rec.Width, rec.Height, rec.AudioCodec)
	}
	if rec.Duration < recSpan-2.1 || rec.Duration > recSpan+0.3 {
		t.Errorf("local recording lasts %.2f s, want about %.2f s", rec.Duration, recSpan)
	}
	if frames := float64(rec.VideoFrames); frames < (recSpan-2.1)*30 || frames > (recSpan+0.3)*30 {
		t.Errorf("local recording has %d video frames for %.2f s at 30 fps", rec.VideoFrames, recSpan)
	}
	if flags := firstVideoFlags(t, path); !strings.Contains(flags, "K") {
		t.Errorf("local recording starts with a video packet flagged %q, want a keyframe", flags)
	}
	if errs := testpeer.DecodeErrors(t, path); errs != "" {
		t.Errorf("decoding the local recording: %s", errs)
	}
}

// startWindow opens the window on the real backend (wrapped by be) with the
// Fyne test driver (no display), and fills it in: test pattern and tone,
// 640x360 at 30 fps, 1000 kbps veryfast, a Custom destination on server
// with key. It returns the window, the states its sessions go through, and
// the directory it records to. Everything closes when the test ends.
func startWindow(t *testing.T, be *timedBackend, server, key string) (*ui.Studio, <-chan publish.State, string) {
	t.Helper()
	a := test.NewTempApp(t)
	recDir := t.TempDir()
	a.Preferences().SetString("studio.record_dir", recDir)
	be.Engine = app.NewEngine(app.EngineOptions{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { be.Engine.Close(5 * time.Second) })
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	s := ui.New(ui.Config{Backend: be, Keys: app.NewKeyStore(t.TempDir()), Prefs: a.Preferences(), Window: w, Version: "e2e"})
	t.Cleanup(func() { s.Shutdown(nil, 5*time.Second) })

	states := make(chan publish.State, 32)
	s.Watch(func(ev publish.Event) {
		select {
		case states <- ev.State:
		default:
		}
	})
	s.Do(func() {
		w.SetContent(s.Content())
		w.Resize(fyne.NewSize(1024, 640))
		c := s.Controls()
		c.Camera.SetSelected("Test pattern")
		c.Microphone.SetSelected("Test tone (1 kHz)")
		c.Size.SetSelected("640x360")
		c.FPS.SetSelected("30")
		c.VideoKbps.SetText("1000")
		c.Preset.SetSelected("veryfast")
		c.Destination.SetSelected(ui.CustomName)
		c.Server.SetText(server)
		test.Type(c.Key, key)
	})
	return s, states, recDir
}

// onlyRecording stops nginx and returns the one file it recorded for key.
func onlyRecording(t *testing.T, n *testpeer.Nginx, key string) string {
	t.Helper()
	n.Stop(t)
	recs := n.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v, want one file\n%s", recs, n.ErrorLog())
	}
	return recs[0]
}

// firstVideoFlags returns ffprobe's flags of the first video packet in path
// ("K" marks a keyframe).
func firstVideoFlags(t *testing.T, path string) string {
	t.Helper()
	bin := testpeer.Require(t, "ffprobe")[0]
	out, err := exec.Command(bin, "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
		"-read_intervals", "%+#1", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

// waitRecorded waits for a recording to start or stop and returns its path.
func waitRecorded(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

// waitState waits for the window to show want, failing on Error.
func waitState(t *testing.T, states <-chan publish.State, want publish.State, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case st := <-states:
			if st == want {
				return
			}
			if st == publish.StateError {
				t.Fatalf("the session failed while waiting for %v", want)
			}
		case <-deadline:
			t.Fatalf("the window did not reach %v within %v", want, timeout)
		}
	}
}

// TestWindowRecordThenGoLiveToNginx records on its own, goes live on
// nginx-rtmp from the same session, ends the stream and then the
// recording. The local recording must cover the whole session without a
// gap; nginx's must hold the stream from a keyframe on; both must decode.
func TestWindowRecordThenGoLiveToNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	be := &timedBackend{streamed: make(chan error, 1)}
	const key = "record-first-9d2e"
	s, states, recDir := startWindow(t, be, n.RTMPURL, key)
	s.Do(func() { test.Tap(s.Controls().Record) })
	waitState(t, states, publish.StateLive, 20*time.Second)
	begun := time.Now()
	// Durations of media from here on, not waits for events.
	time.Sleep(2 * time.Second)
	s.Do(func() { test.Tap(s.Controls().GoLive) })
	waitState(t, states, publish.StateConnecting, 10*time.Second)
	waitState(t, states, publish.StateLive, 20*time.Second)
	time.Sleep(4 * time.Second)
	checkThenTap(t, s, "live while recording", "Stop", "● Live + recording", func(c ui.Controls) *widget.Button { return c.GoLive })
	select {
	case err := <-be.streamed:
		if err != nil {
			t.Errorf("StopStream: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the stream did not stop")
	}
	time.Sleep(2 * time.Second)
	checkThenTap(t, s, "after the stream", "Go Live", "● Recording", func(c ui.Controls) *widget.Button { return c.Record })
	waitState(t, states, publish.StateStopped, 15*time.Second)
	total := time.Since(begun).Seconds()
	if n := be.calls(); n != 1 {
		t.Errorf("%d sessions, want 1: going live must not restart the recording", n)
	}

	served := onlyRecording(t, n, key)
	span := be.streamSpan().Seconds()
	t.Logf("streamed for %.2f s of a %.2f s recording", span, total)
	// The server's recording covers the span from Go Live to Stop, less
	// the connection and the wait for a keyframe (longer on a machine
	// short of CPU), with every frame of what it covers.
	got := testpeer.Probe(t, served)
	if got.Duration < span-0.6 || got.Duration > span+0.3 {
		t.Errorf("the server's recording lasts %.2f s, want the %.2f s from Go Live to Stop, less up to 0.6 s to connect", got.Duration, span)
	}
	testpeer.Check(t, got, testpeer.Expect{Width: 640, Height: 360, FPS: 30, Seconds: got.Duration,
		VideoKbps: 1000, SampleRate: 48000, Channels: 2, Skipped: be.streamSkipped()})
	if flags := firstVideoFlags(t, served); !strings.Contains(flags, "K") {
		t.Errorf("the stream starts with a video packet flagged %q, want a keyframe", flags)
	}
	if errs := testpeer.DecodeErrors(t, served); errs != "" {
		t.Errorf("decoding nginx's recording: %s", errs)
	}

	files, err := filepath.Glob(filepath.Join(recDir, "*.flv"))
	if err != nil || len(files) != 1 {
		t.Fatalf("local recordings %v (%v), want one", files, err)
	}
	rec := testpeer.Probe(t, files[0])
	vgap, agap := testpeer.MaxGap(rec.VideoPTS), testpeer.MaxGap(rec.AudioPTS)
	t.Logf("local recording: %.2f s, %d video frames, largest gaps %.0f ms video, %.0f ms audio", rec.Duration, rec.VideoFrames, vgap*1000, agap*1000)
	if rec.Duration < total-1 || rec.Duration > total+0.5 {
		t.Errorf("local recording lasts %.2f s, want the whole %.2f s", rec.Duration, total)
	}
	// Audio is counted in samples, so any hole is studio's. Video may skip
	// a frame or two when the machine is busy (the pattern keeps real
	// time); restarting the session for the stream would leave about 1 s.
	if vgap > 0.5 || agap > 0.1 {
		t.Errorf("local recording has a gap: %.0f ms of video, %.0f ms of audio", vgap*1000, agap*1000)
	}
	if errs := testpeer.DecodeErrors(t, files[0]); errs != "" {
		t.Errorf("decoding the local recording: %s", errs)
	}
}

// checkThenTap checks the Go Live button's label and the state line, then
// taps the button that tap picks, all in one step on the window's thread.
func checkThenTap(t *testing.T, s *ui.Studio, when, goLive, state string, tap func(ui.Controls) *widget.Button) {
	t.Helper()
	s.Do(func() {
		c := s.Controls()
		if c.GoLive.Text != goLive || c.State.Text != state {
			t.Errorf("%s: go live %q, state %q; want %q, %q", when, c.GoLive.Text, c.State.Text, goLive, state)
		}
		test.Tap(tap(c))
	})
}
