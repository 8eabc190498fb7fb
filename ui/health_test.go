package ui

import (
	"strings"
	"testing"
	"time"

	"studio/publish"
	"studio/publish/health"
)

// The window shows the stream's health next to Go Live, with its message
// and a history of changes, and each destination's on its row.
func TestHealthShown(t *testing.T) {
	h, _, live := newLiveHarness(t)
	var logged []string
	h.do(func(Controls) { h.s.cfg.Log = func(l string) { logged = append(logged, l) } })
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	name := "rtmp://127.0.0.1/live/****"
	step := func(r health.Report) {
		at = at.Add(time.Second)
		live.setStats(publish.Stats{Time: at, State: publish.StateLive, Health: r,
			Destinations: []publish.DestinationStats{{Name: name, State: publish.StateLive, Health: r}}})
		h.do(func(Controls) { h.s.tick() })
	}
	step(health.OK)
	h.do(func(c Controls) {
		if c.Health.Text != "Good" || !c.HealthMessage.Hidden {
			t.Errorf("good: %q, message %q hidden=%v", c.Health.Text, c.HealthMessage.Text, c.HealthMessage.Hidden)
		}
	})
	network := health.Report{Status: health.Warning, Cause: health.Network, Message: "The link carries ~900 kbps, less than the 2500 kbps target."}
	step(network)
	step(network) // no change: no new history entry
	h.do(func(c Controls) {
		if c.Health.Text != "Warning · network" || c.HealthMessage.Hidden || c.HealthMessage.Text != network.Message {
			t.Errorf("warning: %q, message %q hidden=%v", c.Health.Text, c.HealthMessage.Text, c.HealthMessage.Hidden)
		}
		row := c.Destinations[0].Status.Text
		if !strings.Contains(row, "network warning") {
			t.Errorf("the destination's row says %q", row)
		}
	})
	step(health.Report{Status: health.Bad, Cause: health.Audio, Message: "The microphone is lost."})
	step(health.OK)
	h.do(func(c Controls) {
		lines := strings.Split(c.HealthHistory.Text, "\n")
		if len(lines) != 4 || !strings.Contains(lines[0], "Good") || !strings.Contains(lines[1], "Bad · audio: The microphone is lost.") ||
			!strings.Contains(lines[2], "Warning · network: The link carries") || !strings.Contains(lines[3], "Good") {
			t.Errorf("history, newest first:\n%s", c.HealthHistory.Text)
		}
		if c.Health.Text != "Good" || !c.HealthMessage.Hidden {
			t.Errorf("good again: %q, message hidden=%v", c.Health.Text, c.HealthMessage.Hidden)
		}
		// The log (stderr) tells each change once.
		want := []string{"health: warning (network): " + network.Message, "health: bad (audio): The microphone is lost.", "health: good again"}
		if strings.Join(logged, "\n") != strings.Join(want, "\n") {
			t.Errorf("logged %q, want %q", logged, want)
		}
	})
}

// A long message, and a history of them, wrap: they never make the window
// wider than its controls need.
func TestLongHealthMessageWraps(t *testing.T) {
	h, _, live := newLiveHarness(t)
	var before float32
	h.do(func(Controls) { before = h.s.Content().MinSize().Width })
	msg := strings.Repeat(`Microphone "System default (PulseAudio)" is lost (device lost: Input/output error): viewers hear silence. `, 3)
	for i, r := range []health.Report{{Status: health.Bad, Cause: health.Audio, Message: msg}, {Status: health.Warning, Cause: health.Network, Message: msg}} {
		live.setStats(publish.Stats{Time: time.Now().Add(time.Duration(i) * time.Second), State: publish.StateLive, Health: r})
		h.do(func(Controls) { h.s.tick() })
	}
	h.do(func(c Controls) {
		// The badge next to Go Live adds its own width, no more.
		if after := h.s.Content().MinSize().Width; after > before+150 {
			t.Errorf("the window needs %.0f px wide with a long health message, %.0f without", after, before)
		}
		if !strings.Contains(c.HealthHistory.Text, "Warning · network") {
			t.Errorf("history %q", c.HealthHistory.Text)
		}
	})
}
