package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// restartsEnv sets how many times TestSurvivesServerKills kills and
// restarts the server (default defaultRestarts; the figure is 50,
// about five minutes).
const restartsEnv = "STUDIO_RESTARTS"

const defaultRestarts = 5

// stableHold is how long each connection stays live before the next kill:
// past publish's default ReconnectPolicy.StableAfter (5 s), so that every
// loss starts again from the first, short, reconnect delay as it would
// when a server crashes now and then, rather than backing off further at
// each kill.
const stableHold = 5500 * time.Millisecond

// TestSurvivesServerKills streams to nginx-rtmp and kills it with SIGKILL,
// then restarts it on the same port, again and again during one live
// stream. Each restart must give exactly one reconnect; studio must not
// crash, its local recording must have no gap over 0.5 s and decode
// cleanly, its goroutines must stay flat while live and be back to the
// baseline after it stops, and SIGINT must end it with exit 0 within 5 s.
func TestSurvivesServerKills(t *testing.T) {
	restarts := defaultRestarts
	if s := os.Getenv(restartsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", restartsEnv, s)
		}
		restarts = n
	}
	ng := testpeer.StartNginx(t)
	dir := t.TempDir()
	rec, stats := filepath.Join(dir, "local.flv"), filepath.Join(dir, "stats.jsonl")
	debugAddr := fmt.Sprintf("127.0.0.1:%d", testpeer.FreePort(t))
	const key = "restarts"
	r := startStudio(t, []string{debugEnv + "=" + debugAddr}, nil, "-headless", "-size", "320x180", "-fps", "30",
		"-bitrate", "300", "-audio-bitrate", "64", "-url", ng.RTMPURL+"/"+key, "-record", rec, "-stats-json", stats)
	live := r.waitLine(t, r.start, "live on", 15*time.Second)
	r.after(t, live.at, stableHold)
	baseline := debugGoroutines(t, debugAddr)
	t.Logf("live with %d goroutines", baseline)
	var slowest time.Duration
	var counts []int
	for i := 1; i <= restarts; i++ {
		killed := time.Now()
		ng.Kill(t)
		ng.Restart(t)
		r.waitLine(t, killed, "connection lost", 10*time.Second)
		back := r.waitLine(t, killed, "live on", 15*time.Second)
		took := back.at.Sub(killed)
		slowest = max(slowest, took)
		r.after(t, back.at, stableHold)
		n := debugGoroutines(t, debugAddr)
		counts = append(counts, n)
		t.Logf("restart %d at %.2f s: live again after %v, %d goroutines", i, killed.Sub(r.start).Seconds(), took.Round(time.Millisecond), n)
	}
	t.Logf("%d restarts: slowest back live after %v; goroutines while live: %d, then %v",
		restarts, slowest.Round(time.Millisecond), baseline, counts)
	// A goroutine that ends a moment late adds to one sample; one left
	// behind by each reconnect adds to every sample from then on.
	if least := slices.Min(counts[max(0, len(counts)-3):]); least != baseline {
		t.Errorf("goroutines while live: %d before the first kill, at least %d over the last restarts", baseline, least)
	}

	interrupted := time.Now()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code, exited := r.wait(t, 10*time.Second)
	if code != 0 {
		t.Errorf("studio exited %d after SIGINT, want 0", code)
	}
	t.Logf("studio exited %v after SIGINT", exited.Sub(interrupted).Round(time.Millisecond))
	if d := exited.Sub(interrupted); d > 5*time.Second {
		t.Errorf("studio took %v to exit after SIGINT, want ≤ 5 s", d)
	}
	out := r.stderr()
	for _, bad := range []string{"panic:", "fatal error:", "DATA RACE"} {
		if strings.Contains(out, bad) {
			t.Errorf("studio printed %q", bad)
		}
	}
	var lost, lives int
	for _, l := range r.snapshot() {
		switch {
		case strings.HasPrefix(l.text, "studio: connection lost"):
			lost++
		case strings.HasPrefix(l.text, "studio: live on"):
			lives++
		}
	}
	if lost != restarts || lives != restarts+1 {
		t.Errorf("studio told %d lost connections and went live %d times, want %d and %d", lost, lives, restarts, restarts+1)
	}
	checkExitGoroutines(t, out)
	if got := lastStats(t, stats)["reconnects"]; got != float64(restarts) {
		t.Errorf("stats count %v reconnects, want %d", got, restarts)
	}

	local := testpeer.Probe(t, rec)
	vgap, agap := testpeer.MaxGap(local.VideoPTS), testpeer.MaxGap(local.AudioPTS)
	t.Logf("local recording: %.1f s, %d video and %d audio packets, largest gap %.3f s video, %.3f s audio",
		local.Duration, len(local.VideoPTS), len(local.AudioPTS), vgap, agap)
	var skipped float64
	if st := readStats(t, stats); len(st) > 0 {
		skipped, _ = st[len(st)-1]["frames_skipped"].(float64)
	}
	t.Logf("frame slots the source skipped, short of CPU: %.0f", skipped)
	// Gaps are the reconnects' only when the machine kept real time: a
	// source that had to skip frame slots (it says so) leaves gaps of its
	// own anywhere in the recording, then they are only listed below.
	switch {
	case skipped == 0 && (vgap > 0.5 || agap > 0.5):
		t.Errorf("local recording has a gap: %.3f s in its video, %.3f s in its audio; want ≤ 0.5 s", vgap, agap)
	case skipped > 0 && (vgap > 0.5 || agap > 0.5):
		t.Logf("not judging the gaps: the machine was short of CPU (%.0f frame slots skipped)", skipped)
	}
	for _, g := range gaps(local.VideoPTS, 0.1) {
		t.Logf("video gap in the local recording: %s", g)
	}
	for _, g := range gaps(local.AudioPTS, 0.05) {
		t.Logf("audio gap in the local recording: %s", g)
	}
	if want := exited.Sub(live.at).Seconds() - 2; local.Duration < want {
		t.Errorf("local recording lasts %.1f s, want at least %.1f", local.Duration, want)
	}
	if errs := testpeer.DecodeErrors(t, rec); errs != "" {
		t.Errorf("local recording does not decode cleanly:\n%s", errs)
	}
}

// debugGoroutines asks studio's debug server how many goroutines run.
func debugGoroutines(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/debug/stats")
	if err != nil {
		t.Fatalf("debug server: %v", err)
	}
	defer resp.Body.Close()
	var st debugStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("debug server: %v", err)
	}
	return st.Goroutines
}

var exitGoroutines = regexp.MustCompile(`debug: goroutines (\d+) at start, (\d+) at exit`)

// checkExitGoroutines fails the test unless studio's debug report says its
// goroutines were back to their count before the stream once it stopped.
func checkExitGoroutines(t *testing.T, stderr string) {
	t.Helper()
	m := exitGoroutines.FindStringSubmatch(stderr)
	if m == nil {
		t.Errorf("studio did not report its goroutines at exit")
		return
	}
	start, _ := strconv.Atoi(m[1])
	end, _ := strconv.Atoi(m[2])
	t.Logf("goroutines: %d before the stream, %d after it stopped", start, end)
	if end > start {
		t.Errorf("%d goroutines after studio stopped, %d before it started", end, start)
	}
}

// gaps lists the steps between consecutive timestamps over min seconds,
// or backwards, as "0.250 s at 12.34 s".
func gaps(pts []float64, min float64) []string {
	var out []string
	for i := 1; i < len(pts); i++ {
		if d := pts[i] - pts[i-1]; d > min || d < 0 {
			out = append(out, fmt.Sprintf("%.3f s at %.2f s", d, pts[i-1]))
		}
	}
	return out
}
