package ui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"studio/capture"
	"studio/publish"
)

func TestGoLiveDisabledUntilDestinationComplete(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	steps := []struct {
		name        string
		dest        string
		server, key string
		enabled     bool
	}{
		{"YouTube without key", "YouTube", "", "", false},
		{"YouTube with key", "YouTube", "", "abcd-efgh-ijkl", true},
		{"Custom without server", CustomName, "", "k", false},
		{"Custom with http server", CustomName, "http://example.com/live", "k", false},
		{"Custom without app", CustomName, "rtmp://example.com", "k", false},
		{"Custom without key", CustomName, "rtmp://example.com/live", "", false},
		{"Custom complete", CustomName, "rtmp://example.com/live", "k", true},
		{"Facebook complete", "Facebook", "", "FB-123", true},
	}
	for _, st := range steps {
		h.do(func(c Controls) {
			c.Destination.SetSelected(st.dest)
			if st.dest == CustomName {
				c.Server.SetText(st.server)
			}
			c.Key.SetText(st.key)
			if got := !c.GoLive.Disabled(); got != st.enabled {
				t.Errorf("%s: Go Live enabled = %v, want %v", st.name, got, st.enabled)
			}
		})
	}
}

func TestStatesFollowSessionEvents(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.completeDestination()
	var shown []string
	h.s.Watch(func(publish.Event) { shown = append(shown, h.s.c.State.Text+" / "+h.s.c.GoLive.Text) })
	onEvent, live := h.goLive()
	set, _, _ := h.be.session()
	if set.URL != "rtmp://127.0.0.1/live/abc-123" || set.Width != 1280 || set.FPS != 30 || set.KeyInterval != 2*time.Second {
		t.Errorf("GoLive got %+v", set)
	}
	onEvent(publish.Event{State: publish.StateConnecting})
	onEvent(publish.Event{State: publish.StateConnecting, Status: &publish.Status{Code: "NetStream.Publish.Start", Level: "status", Description: "Start publishing"}})
	onEvent(publish.Event{State: publish.StateLive})
	h.do(func(c Controls) {
		if !strings.Contains(c.Status.Text, "NetStream.Publish.Start") {
			t.Errorf("status line %q does not show the server status", c.Status.Text)
		}
		if !c.Camera.Disabled() || !c.Key.Disabled() {
			t.Error("sources and key can be changed while live")
		}
		test.Tap(c.GoLive) // Stop
	})
	onEvent(publish.Event{State: publish.StateReconnecting})
	onEvent(publish.Event{State: publish.StateStopping})
	onEvent(publish.Event{State: publish.StateStopped})
	live.end(nil)
	wait(t, h.ended, "the session's end")
	want := []string{
		"● Connecting… / Stop",
		"● Connecting… / Stop",
		"● Live / Stop",
		"● Reconnecting… (#1) / Stopping…", // Stop was tapped: the button waits
		"● Stopping… / Stopping…",
		"● Stopped / Stopping…",
	}
	if fmt.Sprint(shown) != fmt.Sprint(want) {
		t.Errorf("shown states:\n%q\nwant\n%q", shown, want)
	}
	h.do(func(c Controls) {
		if c.GoLive.Text != "Go Live" || c.GoLive.Disabled() || c.Camera.Disabled() {
			t.Errorf("after the session: button %q disabled=%v, camera disabled=%v", c.GoLive.Text, c.GoLive.Disabled(), c.Camera.Disabled())
		}
	})
	wait(t, live.stopped, "Stop")
	if n := live.stopCount(); n != 1 {
		t.Errorf("Stop called %d times, want 1", n)
	}
}

func TestErrorShowsDialogWithHint(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.completeDestination()
	onEvent, live := h.goLive()
	err := fmt.Errorf("publish: %w", &publish.StatusError{Op: "publish",
		Status: publish.Status{Code: "NetStream.Publish.BadName", Level: "error", Description: "abc-123 is in use"}})
	onEvent(publish.Event{State: publish.StateError, Err: err})
	live.end(err)
	wait(t, h.ended, "the session's end")
	h.do(func(c Controls) {
		d := h.s.LastDialog()
		for _, want := range []string{"NetStream.Publish.BadName", "What to do: Check the stream key"} {
			if !strings.Contains(d, want) {
				t.Errorf("dialog %q does not contain %q", d, want)
			}
		}
		if strings.Contains(d, "abc-123") || strings.Contains(c.Status.Text, "abc-123") {
			t.Errorf("the key is shown: %q / %q", d, c.Status.Text)
		}
		if c.State.Text != "● Error" || c.GoLive.Text != "Go Live" {
			t.Errorf("after the error: %q, %q", c.State.Text, c.GoLive.Text)
		}
	})
}

func TestSettingsSurviveRestart(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	keys := &memKeys{}
	h := newHarness(t, prefs, keys)
	h.do(func(c Controls) {
		c.Size.SetSelected("854x480")
		c.FPS.SetSelected("25")
		c.Microphone.SetSelected("Silence")
		c.VideoKbps.SetText("1800")
		c.AudioKbps.SetSelected("160")
		c.Preset.SetSelected("fast")
		c.Destination.SetSelected(CustomName)
		c.Server.SetText("rtmp://ingest.example.net/app")
		c.Key.SetText("secret-key-77")
	})
	h.s.Shutdown(nil, time.Second)
	h.do(func(Controls) { h.s.saveKey() }) // as closing the window does

	h2 := newHarness(t, prefs, keys)
	h2.do(func(c Controls) {
		got := []string{c.Size.Selected, c.FPS.Selected, c.Microphone.Selected, c.VideoKbps.Text,
			c.AudioKbps.Selected, c.Preset.Selected, c.Destination.Selected, c.Server.Text, c.Key.Text}
		want := []string{"854x480", "25", "Silence", "1800", "160", "fast", CustomName, "rtmp://ingest.example.net/app", "secret-key-77"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after a restart:\n%q\nwant\n%q", got, want)
		}
	})
	for _, k := range []string{"camera", "size", "fps", "microphone", "audio_kbps", "preset", "destination", "server", "record_dir"} {
		if v := prefs.String(prefPrefix + k); strings.Contains(v, "secret-key-77") {
			t.Errorf("preference %s holds the stream key", k)
		}
	}
}

func TestKeyIsMaskedAndShowToggles(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.do(func(c Controls) {
		if !c.Key.Password {
			t.Fatal("the key field is not a password field")
		}
		test.Type(c.Key, "live_1234")
		test.Tap(c.ShowKey)
		if c.Key.Password {
			t.Error("show did not reveal the key")
		}
		test.Tap(c.ShowKey)
		if !c.Key.Password {
			t.Error("hide did not mask the key")
		}
		if c.Key.Text != "live_1234" {
			t.Errorf("key %q", c.Key.Text)
		}
	})
}

func TestStatsFollowUpdates(t *testing.T) {
	h, _, live := newLiveHarness(t)
	for i := range 3 {
		live.setStats(publish.Stats{State: publish.StateLive, Uptime: time.Duration(61+i) * time.Second,
			VideoKbps: 2400 + float64(i), AudioKbps: 128, FPS: 29.9, FramesDropped: 7, Queue: 120 * time.Millisecond,
			TargetKbps: 2500})
		h.do(func(Controls) { h.s.tick() })
	}
	h.do(func(Controls) {
		st := h.s.stats
		got := []string{get(st.uptime), get(st.video), get(st.audio), get(st.fps), get(st.dropped), get(st.queue), get(st.cpu), get(st.target)}
		want := []string{"0:01:03", "2402 kbps", "128 kbps", "29.9", "7", "120 ms", "42%", "2500 kbps"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stats %q, want %q", got, want)
		}
		if s := h.s.graph.Samples(); fmt.Sprint(s) != "[2400 2401 2402]" {
			t.Errorf("graph samples %v", s)
		}
	})
	for range GraphSeconds + 5 {
		h.do(func(Controls) { h.s.tick() })
	}
	h.do(func(Controls) {
		if n := len(h.s.graph.Samples()); n != GraphSeconds {
			t.Errorf("graph holds %d samples, want %d", n, GraphSeconds)
		}
	})
}

func get(b interface{ Get() (string, error) }) string {
	s, _ := b.Get()
	return s
}

func TestTwitchClampsBitrate(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.do(func(c Controls) {
		c.VideoKbps.SetText("8000")
		c.Destination.SetSelected("Twitch")
		if c.VideoKbps.Text != "6000" {
			t.Errorf("bitrate %q after choosing Twitch, want 6000", c.VideoKbps.Text)
		}
		if w := h.s.warnings.bitrate; w.Hidden || !strings.Contains(w.Text, "at most 6000") {
			t.Errorf("no clamp warning: hidden=%v %q", w.Hidden, w.Text)
		}
		c.VideoKbps.SetText("7000")
		if c.VideoKbps.Text != "6000" {
			t.Errorf("typed 7000 on Twitch: bitrate %q", c.VideoKbps.Text)
		}
		c.VideoKbps.SetText("4500")
		if c.VideoKbps.Text != "4500" || !h.s.warnings.bitrate.Hidden {
			t.Errorf("4500 on Twitch: %q, warning hidden=%v", c.VideoKbps.Text, h.s.warnings.bitrate.Hidden)
		}
	})
}

func TestKeyInURLWarning(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	for _, tc := range []struct {
		server string
		warn   bool
	}{
		{"rtmp://live.example.com/app", false},
		{"rtmp://live.twitch.tv/app/live_123456789_AbCdEfGhIjKl", true},
		{"rtmp://example.com/live?key=abc", true},
		{"rtmp://example.com/live/instance", false},
		{"rtmps://a.rtmps.youtube.com/live2/ab12-cd34-ef56-gh78-ij90", true},
	} {
		h.do(func(c Controls) {
			c.Destination.SetSelected(CustomName)
			c.Server.SetText(tc.server)
			if shown := !h.s.warnings.dest.Hidden; shown != tc.warn {
				t.Errorf("%s: warning shown = %v, want %v", tc.server, shown, tc.warn)
			}
		})
	}
}

func TestMonitorDisabledWithoutAudioOutput(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.do(func(c Controls) {
		if !c.Monitor.Disabled() {
			t.Error("monitor enabled with no audio output")
		}
		if w := h.s.warnings.monitor; w.Hidden || !strings.Contains(w.Text, "no audio output") {
			t.Errorf("no explanation: %q", w.Text)
		}
		test.Tap(c.Mute)
		if c.Mute.Text != "Unmute" {
			t.Errorf("mute button says %q", c.Mute.Text)
		}
	})
	h.be.mu.Lock()
	defer h.be.mu.Unlock()
	if !h.be.muted {
		t.Error("mute did not reach the backend")
	}
}

func TestRecordWhileLiveKeepsTheStream(t *testing.T) {
	h, _, live := newLiveHarness(t)
	dir := t.TempDir()
	h.do(func(Controls) { h.s.prefs.RecordDir = dir })
	h.do(func(c Controls) {
		if c.Record.Disabled() || c.Record.Text != "Record" {
			t.Fatalf("while live, Record is %q, disabled=%v", c.Record.Text, c.Record.Disabled())
		}
		test.Tap(c.Record)
	})
	wait(t, h.recorded, "the recording to start")
	path := live.recordingPath()
	if filepath.Dir(path) != dir || !strings.HasSuffix(path, ".flv") {
		t.Fatalf("recording to %q, want a .flv in %s", path, dir)
	}
	h.do(func(c Controls) {
		if c.Record.Text != "Stop recording" || c.State.Text != "● Live + recording" || c.GoLive.Text != "Stop" {
			t.Errorf("recording while live: record %q, state %q, go live %q", c.Record.Text, c.State.Text, c.GoLive.Text)
		}
		h.s.tick()
		if c.Recording.Hidden || !strings.Contains(c.Recording.Text, path) || !strings.Contains(c.Recording.Text, "3 B") {
			t.Errorf("recording line %q (hidden=%v), want the path and size", c.Recording.Text, c.Recording.Hidden)
		}
		test.Tap(c.Record)
	})
	wait(t, h.recorded, "the recording to stop")
	h.do(func(c Controls) {
		if live.recordingPath() != "" {
			t.Error("the recording did not stop")
		}
		if c.Record.Text != "Record" || c.State.Text != "● Live" || c.GoLive.Text != "Stop" {
			t.Errorf("after recording: record %q, state %q, go live %q", c.Record.Text, c.State.Text, c.GoLive.Text)
		}
		if !strings.Contains(c.Status.Text, "Recording saved to "+path) || !strings.HasPrefix(c.Recording.Text, "Saved") {
			t.Errorf("status %q, recording line %q", c.Status.Text, c.Recording.Text)
		}
	})
	select {
	case <-h.be.goLive:
		t.Error("recording started a second session")
	default:
	}
	if n := live.stopCount(); n != 0 {
		t.Errorf("the stream was stopped %d times", n)
	}
}

func TestRecordAlone(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	dir := t.TempDir()
	h.do(func(c Controls) {
		h.s.prefs.RecordDir = dir
		test.Tap(c.Record)
	})
	wait(t, h.be.goLive, "GoLive")
	wait(t, h.started, "GoLive's result")
	set, onEvent, live := h.be.session()
	if set.URL != "" || filepath.Dir(set.RecordPath) != dir {
		t.Fatalf("a recording on its own got URL %q, path %q", set.URL, set.RecordPath)
	}
	onEvent(publish.Event{State: publish.StateLive})
	h.do(func(c Controls) {
		if c.State.Text != "● Recording" || c.Record.Text != "Stop recording" || c.Recording.Hidden {
			t.Errorf("recording: state %q, record %q, line hidden=%v", c.State.Text, c.Record.Text, c.Recording.Hidden)
		}
		test.Tap(c.Record)
	})
	live.end(nil)
	wait(t, h.ended, "the session's end")
	wait(t, live.stopped, "Stop")
	if n := live.stopCount(); n != 1 {
		t.Errorf("Stop called %d times, want 1", n)
	}
}

func TestDeviceLostNotice(t *testing.T) {
	h, _, _ := newLiveHarness(t)
	h.do(func(c Controls) {
		if !c.DeviceLost.Hidden {
			t.Errorf("a device-lost notice before any loss: %q", c.DeviceLost.Text)
		}
	})
	h.be.lose(DeviceLost{Camera: true, ID: TestPatternID, Err: errors.New("no such device")})
	h.do(func(c Controls) {
		want := "Camera lost (Test pattern): sending a 'camera lost' slate; the stream stays up. Check that it is plugged in; studio picks it up again by itself."
		if c.DeviceLost.Hidden || c.DeviceLost.Text != want {
			t.Errorf("notice %q (hidden=%v), want %q", c.DeviceLost.Text, c.DeviceLost.Hidden, want)
		}
		if c.State.Text != "● Live" {
			t.Errorf("state %q after losing the camera", c.State.Text)
		}
	})
	h.be.lose(DeviceLost{ID: TestToneID, Err: errors.New("gone")})
	h.do(func(c Controls) {
		if !strings.Contains(c.DeviceLost.Text, "Microphone lost (Test tone): sending silence; the stream stays up.") ||
			!strings.Contains(c.DeviceLost.Text, "Camera lost") {
			t.Errorf("notice %q", c.DeviceLost.Text)
		}
	})
	// Devices that come back clear their lines, one by one.
	h.be.lose(DeviceLost{Camera: true, ID: TestPatternID, Back: true})
	h.do(func(c Controls) {
		if strings.Contains(c.DeviceLost.Text, "Camera lost") || !strings.Contains(c.DeviceLost.Text, "Microphone lost") {
			t.Errorf("notice after the camera came back: %q", c.DeviceLost.Text)
		}
	})
	h.be.lose(DeviceLost{ID: TestToneID, Back: true})
	h.do(func(c Controls) {
		if !c.DeviceLost.Hidden {
			t.Errorf("notice after both came back: %q (hidden=%v)", c.DeviceLost.Text, c.DeviceLost.Hidden)
		}
	})
}

func TestSourceHealthShown(t *testing.T) {
	h, _, live := newLiveHarness(t)
	st := live.Stats()
	st.VideoSource.Skipped = 7
	st.AudioSource.DriftPPM = 4987.4
	live.setStats(st)
	h.do(func(Controls) {
		h.s.tick()
		if got := get(h.s.stats.skipped); got != "7" {
			t.Errorf("skipped %q", got)
		}
		if got := get(h.s.stats.drift); got != "+4987 ppm" {
			t.Errorf("drift %q", got)
		}
	})
	st.AudioSource.State = capture.SourceLost
	live.setStats(st)
	h.do(func(Controls) {
		h.s.tick()
		if got := get(h.s.stats.drift); got != "lost" {
			t.Errorf("drift of a lost microphone %q", got)
		}
	})
}

func TestReconnectsAndCongestionShown(t *testing.T) {
	h, onEvent, live := newLiveHarness(t)
	lost := fmt.Errorf("connection lost: %w", errors.New("broken pipe"))
	onEvent(publish.Event{State: publish.StateReconnecting, Err: lost})
	h.do(func(c Controls) {
		if c.State.Text != "● Reconnecting… (#1)" {
			t.Errorf("state %q", c.State.Text)
		}
		if !strings.Contains(c.Status.Text, "Connection lost (connection lost: broken pipe): reconnecting") {
			t.Errorf("status %q", c.Status.Text)
		}
	})
	// Each failed attempt shows, with when the next one comes.
	refused := fmt.Errorf("connecting: %w", publish.ErrConnect)
	onEvent(publish.Event{State: publish.StateReconnecting, Err: refused, Attempt: 2, RetryIn: 560 * time.Millisecond})
	h.do(func(c Controls) {
		if c.State.Text != "● Reconnecting… (#1, attempt 3)" {
			t.Errorf("state %q after two failed attempts", c.State.Text)
		}
		if !strings.Contains(c.Status.Text, "Reconnect attempt 2 failed (connecting: "+publish.ErrConnect.Error()+"); next in 600ms") {
			t.Errorf("status %q after two failed attempts", c.Status.Text)
		}
	})
	onEvent(publish.Event{State: publish.StateLive})
	onEvent(publish.Event{State: publish.StateReconnecting, Err: lost})
	live.setStats(publish.Stats{State: publish.StateReconnecting, Reconnects: 2, TargetKbps: 1200, UserKbps: 2500,
		Congestion: 0.45})
	h.do(func(c Controls) {
		if c.State.Text != "● Reconnecting… (#2)" {
			t.Errorf("state %q at the second loss", c.State.Text)
		}
		h.s.tick()
		st := h.s.stats
		if got := []string{get(st.reconnects), get(st.target)}; fmt.Sprint(got) != "[2 1200 of 2500 kbps]" {
			t.Errorf("reconnects and target %q", got)
		}
		if v := h.s.congestion.Value(); v != 0.45 || get(st.congestion) != " 45%" {
			t.Errorf("congestion bar at %v, %q; want 0.45, 45%%", v, get(st.congestion))
		}
	})
	onEvent(publish.Event{State: publish.StateLive})
	live.setStats(publish.Stats{State: publish.StateLive, Reconnects: 2, TargetKbps: 2500, UserKbps: 2500})
	h.do(func(c Controls) {
		h.s.tick()
		if c.State.Text != "● Live" || get(h.s.stats.target) != "2500 kbps" || h.s.congestion.Value() != 0 {
			t.Errorf("back live: state %q, target %q, congestion %v", c.State.Text, get(h.s.stats.target), h.s.congestion.Value())
		}
	})
}

// Going live while recording on its own streams from the same session, so
// the recording goes on without a gap; stopping the stream keeps it too.
func TestGoLiveWhileRecording(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.completeDestination()
	h.do(func(c Controls) {
		h.s.prefs.RecordDir = t.TempDir()
		test.Tap(c.Record)
	})
	wait(t, h.be.goLive, "GoLive")
	wait(t, h.started, "GoLive's result")
	set, onEvent, live := h.be.session()
	if set.URL != "" || set.RecordPath == "" {
		t.Fatalf("recording on its own: URL %q, path %q", set.URL, set.RecordPath)
	}
	live.streamed = make(chan struct{}, 1)
	onEvent(publish.Event{State: publish.StateLive})
	h.do(func(c Controls) {
		if c.GoLive.Text != "Go Live" || c.GoLive.Disabled() {
			t.Fatalf("while recording, Go Live is %q, disabled=%v", c.GoLive.Text, c.GoLive.Disabled())
		}
		test.Tap(c.GoLive)
	})
	wait(t, live.startedStream, "StartStream")
	url, _ := live.stream()
	if !strings.HasSuffix(url, "/abc-123") {
		t.Fatalf("StartStream got %q, want the destination with its key", url)
	}
	onEvent(publish.Event{State: publish.StateConnecting})
	onEvent(publish.Event{State: publish.StateLive})
	h.do(func(c Controls) {
		if c.State.Text != "● Live + recording" || c.GoLive.Text != "Stop" || c.Record.Text != "Stop recording" {
			t.Errorf("live while recording: state %q, go live %q, record %q", c.State.Text, c.GoLive.Text, c.Record.Text)
		}
	})
	select {
	case <-h.be.goLive:
		t.Fatal("going live started a second session")
	default:
	}

	// Stop ends the stream only.
	h.do(func(c Controls) { test.Tap(c.GoLive) })
	wait(t, live.streamed, "StopStream")
	wait(t, h.streamEnded, "StopStream's result shown")
	onEvent(publish.Event{State: publish.StateLive})
	h.do(func(c Controls) {
		if c.State.Text != "● Recording" || c.GoLive.Text != "Go Live" || c.Record.Text != "Stop recording" {
			t.Errorf("after stopping the stream: state %q, go live %q, record %q", c.State.Text, c.GoLive.Text, c.Record.Text)
		}
	})
	if n := live.stopCount(); n != 0 {
		t.Errorf("the session was stopped %d times, want 0", n)
	}

	// A stream that fails by itself leaves the recording running.
	h.do(func(c Controls) { test.Tap(c.GoLive) })
	onEvent(publish.Event{State: publish.StateConnecting})
	onEvent(publish.Event{State: publish.StateLive, Err: fmt.Errorf("%w: %w", publish.ErrStreamEnded, publish.ErrRejected)})
	h.do(func(c Controls) {
		if c.State.Text != "● Recording" || c.GoLive.Text != "Go Live" {
			t.Errorf("after the stream failed: state %q, go live %q", c.State.Text, c.GoLive.Text)
		}
		if !strings.Contains(h.s.lastDialog, "Streaming stopped") || !strings.Contains(h.s.lastDialog, "stream key") {
			t.Errorf("dialog %q, want the failure and a hint", h.s.lastDialog)
		}
	})
	if n := live.stopCount(); n != 0 {
		t.Errorf("the session was stopped %d times, want 0", n)
	}
}
