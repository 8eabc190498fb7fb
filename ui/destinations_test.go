package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"studio/app"
	"studio/publish"
)

// services returns each row's service and whether it is enabled.
func services(c Controls) string {
	var out []string
	for _, d := range c.Destinations {
		on := "off"
		if d.Enabled.Checked {
			on = "on"
		}
		out = append(out, d.Service.Selected+" "+on)
	}
	return strings.Join(out, ", ")
}

func TestDestinationListAddRemoveEnable(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.do(func(c Controls) {
		if len(c.Destinations) != 1 || !c.Destinations[0].Remove.Hidden {
			t.Fatalf("a first run has %d rows, the only one removable=%v", len(c.Destinations), !c.Destinations[0].Remove.Hidden)
		}
		for range MaxDestinations + 1 {
			test.Tap(c.AddDestination)
		}
	})
	h.do(func(c Controls) {
		if got := services(c); got != "YouTube on, Twitch on, Facebook on, Custom on" {
			t.Errorf("after adding: %s", got)
		}
		if !c.AddDestination.Disabled() {
			t.Errorf("Add is enabled with %d rows", len(c.Destinations))
		}
		test.Tap(c.Destinations[1].Remove) // Twitch
	})
	h.do(func(c Controls) {
		if got := services(c); got != "YouTube on, Facebook on, Custom on" {
			t.Errorf("after removing Twitch: %s", got)
		}
		if c.AddDestination.Disabled() {
			t.Error("Add is disabled with 3 rows")
		}
		// A new row takes the first service no row has, and the free ID.
		test.Tap(c.AddDestination)
	})
	h.do(func(c Controls) {
		if got := services(c); got != "YouTube on, Facebook on, Custom on, Twitch on" {
			t.Errorf("after adding again: %s", got)
		}
		if ids := fmt.Sprint(h.s.rows[0].id, h.s.rows[1].id, h.s.rows[2].id, h.s.rows[3].id); ids != "1 3 4 2" {
			t.Errorf("row IDs %s, want 1 3 4 2", ids)
		}
		// Only enabled rows must be complete: YouTube with a key alone
		// is enough once the others are off.
		c.Destinations[0].Key.SetText("yt-key")
		if !c.GoLive.Disabled() {
			t.Error("Go Live enabled while Facebook, Custom and Twitch have no key")
		}
		if !strings.Contains(h.s.destinationProblem(), "Facebook: enter the stream key") {
			t.Errorf("problem %q", h.s.destinationProblem())
		}
		for _, d := range c.Destinations[1:] {
			d.Enabled.SetChecked(false)
		}
		if c.GoLive.Disabled() {
			t.Errorf("Go Live disabled with only YouTube enabled: %q", h.s.destinationProblem())
		}
		c.Destinations[0].Enabled.SetChecked(false)
		if !c.GoLive.Disabled() || h.s.destinationProblem() != "enable a destination" {
			t.Errorf("no destination enabled: Go Live disabled=%v, problem %q", c.GoLive.Disabled(), h.s.destinationProblem())
		}
	})
}

// Twitch's bitrate cap applies when a Twitch row is enabled, whichever row
// it is.
func TestBitrateCapOfAnyEnabledDestination(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.do(func(c Controls) {
		c.VideoKbps.SetText("8000")
		test.Tap(c.AddDestination) // Twitch
		d := h.s.Controls().Destinations[1]
		if d.Service.Selected != "Twitch" || c.VideoKbps.Text != "6000" {
			t.Errorf("adding %s: bitrate %q, want 6000", d.Service.Selected, c.VideoKbps.Text)
		}
		d.Enabled.SetChecked(false)
		c.VideoKbps.SetText("8000")
		if c.VideoKbps.Text != "8000" {
			t.Errorf("Twitch off: bitrate %q", c.VideoKbps.Text)
		}
	})
}

func TestDestinationListSurvivesRestart(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	keys := &memKeys{}
	h := newHarness(t, prefs, keys)
	h.do(func(c Controls) {
		c.Destinations[0].Service.SetSelected(CustomName)
		c.Destinations[0].Server.SetText("rtmp://ingest.example.net/app")
		c.Destinations[0].Key.SetText("custom-secret-1")
		test.Tap(c.AddDestination) // YouTube, ID 2
		test.Tap(c.AddDestination) // Twitch, ID 3
	})
	h.do(func(c Controls) {
		c.Destinations[1].Key.SetText("yt-secret-2")
		c.Destinations[2].Key.SetText("twitch-secret-3")
		c.Destinations[2].Enabled.SetChecked(false)
	})
	h.s.Shutdown(nil, time.Second)
	h.do(func(Controls) { h.s.saveKey() }) // as closing the window does

	keys.mu.Lock()
	nonEmpty := map[string]string{}
	for k, v := range keys.keys {
		if v != "" {
			nonEmpty[k] = v
		}
	}
	keys.mu.Unlock()
	stored := fmt.Sprint(nonEmpty)
	if want := "map[Custom:custom-secret-1 Twitch #3:twitch-secret-3 YouTube #2:yt-secret-2]"; stored != want {
		t.Errorf("keys stored %s, want %s", stored, want)
	}
	for _, k := range []string{"destinations", "destination", "server", "camera", "record_dir"} {
		if v := prefs.String(prefPrefix + k); strings.Contains(v, "secret") {
			t.Errorf("preference %s holds a stream key: %q", k, v)
		}
	}

	h2 := newHarness(t, prefs, keys)
	h2.do(func(c Controls) {
		var got []string
		for _, d := range c.Destinations {
			got = append(got, fmt.Sprintf("%s|%s|%s|%v", d.Service.Selected, d.Server.Text, d.Key.Text, d.Enabled.Checked))
		}
		want := []string{"Custom|rtmp://ingest.example.net/app|custom-secret-1|true",
			"YouTube|rtmps://a.rtmps.youtube.com/live2|yt-secret-2|true",
			"Twitch|rtmp://live.twitch.tv/app|twitch-secret-3|false"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after a restart:\n%q\nwant\n%q", got, want)
		}
		// Removing a row deletes its key.
		test.Tap(c.Destinations[1].Remove)
	})
	if k, _ := keys.LoadKey("YouTube #2"); k != "" {
		t.Errorf("the removed row's key is still stored: %q", k)
	}
}

// Settings saved by a window with a single destination load as the first
// row, with the key stored under the service's name.
func TestSingleDestinationPrefsLoad(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	prefs.SetString(prefPrefix+"destination", CustomName)
	prefs.SetString(prefPrefix+"server", "rtmp://old.example.org/live")
	keys := &memKeys{keys: map[string]string{CustomName: "old-key"}}
	h := newHarness(t, prefs, keys)
	h.do(func(c Controls) {
		if len(c.Destinations) != 1 || c.Destination.Selected != CustomName || c.Server.Text != "rtmp://old.example.org/live" ||
			c.Key.Text != "old-key" || !c.Destinations[0].Enabled.Checked {
			t.Errorf("%d rows; first %q %q %q", len(c.Destinations), c.Destination.Selected, c.Server.Text, c.Key.Text)
		}
	})
	for _, bad := range []string{"not json", "[]", `[{"id":0,"service":"Twitch"}]`} {
		prefs.SetString(prefPrefix+"destinations", bad)
		if got := LoadPrefs(prefs).Destinations; fmt.Sprint(got) != "[{1 Custom rtmp://old.example.org/live false}]" {
			t.Errorf("destinations %q load as %v", bad, got)
		}
	}
	prefs.SetString(prefPrefix+"destinations", `[{"id":2,"service":"Twitch"},{"id":2,"service":"YouTube"},{"id":5,"service":"Nope","off":true}]`)
	if got := LoadPrefs(prefs).Destinations; fmt.Sprint(got) != "[{2 Twitch  false} {5 Custom  true}]" {
		t.Errorf("repeated IDs and unknown services load as %v", got)
	}
}

// twoDestinations fills the first row with a Custom server and adds a
// Twitch row, both with keys.
func twoDestinations(h *harness) {
	h.completeDestination()
	h.do(func(c Controls) { test.Tap(c.AddDestination) })
	h.do(func(c Controls) {
		d := c.Destinations[1]
		d.Service.SetSelected("Twitch")
		d.Key.SetText("live_twitch_key")
	})
}

func TestGoLiveStreamsToEnabledDestinations(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	twoDestinations(h)
	h.do(func(c Controls) {
		test.Tap(c.AddDestination) // YouTube, without a key: off
		h.s.Controls().Destinations[2].Enabled.SetChecked(false)
		test.Tap(c.AddDestination) // Facebook
	})
	h.do(func(c Controls) {
		c.Destinations[3].Key.SetText("fb-key")
		c.Destinations[0].Enabled.SetChecked(false)
	})
	h.goLive()
	set, _, _ := h.be.session()
	if set.URL != "rtmp://live.twitch.tv/app/live_twitch_key" ||
		fmt.Sprint(set.MoreURLs) != "[rtmps://live-api-s.facebook.com:443/rtmp/fb-key]" {
		t.Errorf("GoLive got URL %q, more %q", set.URL, set.MoreURLs)
	}
	h.do(func(c Controls) {
		for i, d := range c.Destinations {
			if !d.Service.Disabled() || !d.Key.Disabled() || !d.Enabled.Disabled() || !c.AddDestination.Disabled() || d.Remove.Visible() {
				t.Errorf("row %d can be edited while live", i)
			}
		}
	})
}

// liveOnTwo returns a window live on two destinations, with their names.
func liveOnTwo(t *testing.T) (*harness, func(publish.Event), *fakeLive, []string) {
	t.Helper()
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	twoDestinations(h)
	onEvent, live := h.goLive()
	set, _, _ := h.be.session()
	names := app.DestinationNames([]app.Destination{{URL: set.URL}, {URL: set.MoreURLs[0]}})
	for _, n := range names {
		onEvent(publish.Event{State: publish.StateConnecting, Destination: n, DestinationState: publish.StateConnecting})
	}
	for _, n := range names {
		onEvent(publish.Event{State: publish.StateLive, Destination: n, DestinationState: publish.StateLive})
	}
	return h, onEvent, live, names
}

func TestDestinationRowsShowStats(t *testing.T) {
	h, onEvent, live, names := liveOnTwo(t)
	live.setStats(publish.Stats{State: publish.StateReconnecting, Destinations: []publish.DestinationStats{
		{Name: names[0], State: publish.StateLive, VideoKbps: 2480.4, Queue: 120 * time.Millisecond, FramesDropped: 0},
		{Name: names[1], State: publish.StateReconnecting, VideoKbps: 0, Queue: 1500 * time.Millisecond,
			FramesDropped: 12, LowRendition: true, Err: errors.New("connection lost: live_twitch_key broken pipe")},
	}})
	h.do(func(c Controls) {
		h.s.tick()
		a, b := c.Destinations[0], c.Destinations[1]
		if a.Status.Text != "● Live · 2480 kbps · queue 120 ms · 0 dropped" || a.Status.Hidden {
			t.Errorf("first row %q (hidden=%v)", a.Status.Text, a.Status.Hidden)
		}
		want := "● Reconnecting… (connection lost: **** broken pipe) · 0 kbps · queue 1500 ms · 12 dropped · low rendition"
		if b.Status.Text != want {
			t.Errorf("second row %q\nwant %q", b.Status.Text, want)
		}
		if !a.Reconnect.Hidden || b.Reconnect.Hidden || a.Stop.Hidden || b.Stop.Hidden {
			t.Errorf("retry shown %v %v, stop shown %v %v", a.Reconnect.Visible(), b.Reconnect.Visible(), a.Stop.Visible(), b.Stop.Visible())
		}
		test.Tap(b.Reconnect)
	})
	if got := waitName(t, live.reconnected, "ReconnectDestination"); got != names[1] {
		t.Errorf("ReconnectDestination(%q), want %q", got, names[1])
	}

	// A destination that fails shows why and what to do; the other goes on.
	onEvent(publish.Event{State: publish.StateLive, Destination: names[1], DestinationState: publish.StateError,
		Err: fmt.Errorf("publish: %w", publish.ErrRejected)})
	h.do(func(c Controls) {
		b := c.Destinations[1]
		if !strings.HasPrefix(b.Status.Text, "● Failed: publish: ") || !strings.Contains(b.Status.Text, "What to do: "+app.Hint(publish.ErrRejected)) {
			t.Errorf("failed row %q", b.Status.Text)
		}
		if !strings.HasPrefix(c.Status.Text, "Twitch: streaming failed") || c.State.Text != "● Live" {
			t.Errorf("status %q, state %q", c.Status.Text, c.State.Text)
		}
		if b.Stop.Visible() || !c.Destinations[0].Stop.Visible() {
			t.Error("Stop shown on the failed row, or not on the live one")
		}
	})
}

func TestStopOneDestination(t *testing.T) {
	h, onEvent, live, names := liveOnTwo(t)
	h.do(func(c Controls) { test.Tap(c.Destinations[1].Stop) })
	if got := waitName(t, live.destStopped, "StopDestination"); got != names[1] {
		t.Errorf("StopDestination(%q), want %q", got, names[1])
	}
	onEvent(publish.Event{State: publish.StateLive, Destination: names[1], DestinationState: publish.StateStopped})
	h.do(func(c Controls) {
		if got := c.Destinations[1].Status.Text; got != "● Stopped" {
			t.Errorf("stopped row %q", got)
		}
		if c.GoLive.Text != "Stop" || c.State.Text != "● Live" {
			t.Errorf("after stopping one: %q %q", c.GoLive.Text, c.State.Text)
		}
	})
	if n := live.stopCount(); n != 0 {
		t.Errorf("the session was stopped %d times", n)
	}
	// Stopping the last one that streams stops the session.
	h.do(func(c Controls) { test.Tap(c.Destinations[0].Stop) })
	if got := waitName(t, live.destStopped, "StopDestination"); got != names[0] {
		t.Errorf("StopDestination(%q), want %q", got, names[0])
	}
	wait(t, live.stopped, "Stop of the session")
}

// The narration of several destinations names them in the log.
func TestLogNamesDestinations(t *testing.T) {
	var lines []string
	be := newFakeBackend()
	w := test.NewWindow(nil)
	s := New(Config{Backend: be, Keys: &memKeys{}, Prefs: test.NewTempApp(t).Preferences(), Window: w, Version: "test",
		Log: func(l string) { lines = append(lines, l) }})
	t.Cleanup(func() { s.Shutdown(nil, time.Second); w.Close() })
	h := &harness{t: t, s: s, be: be, started: make(chan struct{}, 4)}
	s.Do(func() {
		s.afterStart = func() { h.started <- struct{}{} }
		w.SetContent(s.Content())
		w.Resize(fyne.NewSize(1024, 640))
	})
	twoDestinations(h)
	onEvent, _ := h.goLive()
	set, _, _ := be.session()
	names := app.DestinationNames([]app.Destination{{URL: set.URL}, {URL: set.MoreURLs[0]}})
	onEvent(publish.Event{State: publish.StateLive, Destination: names[1], DestinationState: publish.StateLive})
	s.Do(func() {
		log := strings.Join(lines, "\n")
		if !strings.Contains(log, "live on "+names[1]) || strings.Contains(log, "abc-123") || strings.Contains(log, "live_twitch_key") {
			t.Errorf("log:\n%s", log)
		}
	})
}

func waitName(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}
