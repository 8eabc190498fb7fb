package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
	"studio/publish/health"
)

// Each cause of bad health is provoked for real, and a clean run never
// raises an alarm.

// healthStream starts a headless stream to url with its stats read as
// they come.
func healthStream(t *testing.T, url string, run time.Duration, extra ...string) (*running, *statsWatch) {
	t.Helper()
	stats := newStatsWatch(t)
	args := append([]string{"-headless", "-stats-json", "-", "-duration", run.String(), "-url", url}, extra...)
	r := startStudio(t, nil, stats.w, args...)
	r.waitLine(t, r.start, "live on", 20*time.Second)
	return r, stats
}

// waitCause waits for a stats line after since whose health blames cause,
// with a message, and a health line on stderr saying so.
func waitCause(t *testing.T, r *running, stats *statsWatch, since time.Time, cause health.Cause, within time.Duration) statsAt {
	t.Helper()
	l := stats.until(t, since, "health.cause "+string(cause), within, func(s statsLine) bool {
		return s.Health.Cause == cause && s.Health.Status != health.Good && s.Health.Message != ""
	})
	t.Logf("%v after the cause: %s (%s): %s", l.at.Sub(since).Round(100*time.Millisecond), l.s.Health.Status, l.s.Health.Cause, l.s.Health.Message)
	r.waitLine(t, since, "("+string(cause)+"): ", 3*time.Second)
	return l
}

// A clean run stays good. It streams 640x360, which any test machine
// encodes in real time: at 720p a machine short of CPU is rightly told
// that its encoder is near the limit.
func TestHealthCleanRunStaysGood(t *testing.T) {
	n := testpeer.StartNginx(t)
	r, stats := healthStream(t, n.RTMPURL+"/clean", 12*time.Second, "-size", "640x360", "-fps", "30", "-bitrate", "1000")
	if code, _ := r.wait(t, 40*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	stats.mu.Lock()
	defer stats.mu.Unlock()
	judged := 0
	for _, l := range stats.lines {
		if l.s.UptimeS < 3 || l.s.State != "live" {
			continue
		}
		judged++
		if l.s.Health != health.OK || len(l.s.Destinations) != 1 || l.s.Destinations[0].Health != health.OK {
			t.Errorf("at %.0f s: health %+v, destinations %+v; want good on every line after 3 s", l.s.UptimeS, l.s.Health, l.s.Destinations)
		}
	}
	if judged < 8 {
		t.Errorf("only %d stats lines after 3 s", judged)
	}
	if strings.Contains(r.stderr(), "health:") {
		t.Errorf("a clean run said something about its health:\n%s", r.stderr())
	}
}

func TestHealthNetwork(t *testing.T) {
	l := testpeer.StartShapedLink(t, 1000)
	r, stats := healthStream(t, l.RTMPURL+"/narrow", 15*time.Second, "-size", "1280x720", "-fps", "30", "-bitrate", "2500")
	got := waitCause(t, r, stats, r.start, health.Network, 10*time.Second)
	if d := got.s.Destinations; len(d) != 1 || d[0].Health.Cause != health.Network {
		t.Errorf("the destination's own health: %+v", d)
	}
	if code, _ := r.wait(t, 40*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestHealthEncoder(t *testing.T) {
	n := testpeer.StartNginx(t)
	r, stats := healthStream(t, n.RTMPURL+"/heavy", 15*time.Second, "-size", "1920x1080", "-fps", "60", "-preset", "slower", "-bitrate", "6000")
	got := waitCause(t, r, stats, r.start, health.Encoder, 10*time.Second)
	if !strings.Contains(got.s.Health.Message, "at 60 fps") {
		t.Errorf("message %q does not give the frame rate", got.s.Health.Message)
	}
	if code, _ := r.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestHealthServerKick(t *testing.T) {
	n := testpeer.StartNginx(t)
	const key = "kicked"
	r, stats := healthStream(t, n.RTMPURL+"/"+key, 12*time.Second, "-size", "320x180", "-fps", "30", "-bitrate", "400")
	stats.until(t, r.start, "4 s of uptime", 20*time.Second, func(s statsLine) bool { return s.UptimeS >= 4 })
	kicked := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Drop(ctx, key); err != nil {
		t.Fatal(err)
	}
	waitCause(t, r, stats, kicked, health.Server, 3*time.Second)
	if code, _ := r.wait(t, 40*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
