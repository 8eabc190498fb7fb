package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"studio/app"
	"studio/internal/testpeer"
)

// statsLine is one line of -stats-json output.
type statsLine = app.StatsLine

// TestMain lets the test binary run as studio itself when STUDIO_AS_MAIN is
// set, so that end-to-end tests exec exactly the code under test.
func TestMain(m *testing.M) {
	if os.Getenv("STUDIO_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	// A link test's result, kept in the user's cache, sets where later
	// streams to the same host start: the studios the tests run use a
	// cache of their own, never the developer's, and the link tests each
	// use one of their own on top.
	cache, err := os.MkdirTemp("", "studio-test-cache")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

// result is what one run of studio did.
type result struct {
	code    int
	stdout  string
	stderr  string
	elapsed time.Duration
}

// studio runs studio with args and extra environment, and waits for it
// to exit (at most timeout).
func studio(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "STUDIO_AS_MAIN=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("studio %s did not exit within %v\nstderr:\n%s", strings.Join(args, " "), timeout, stderr.String())
	}
	r := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	t.Logf("studio exited %d after %v; stderr:\n%s", r.code, r.elapsed.Round(time.Millisecond), r.stderr)
	return r
}

// noSecret fails the test if any output shows secret.
func noSecret(t *testing.T, r result, secret string) {
	t.Helper()
	if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
		t.Errorf("studio printed the stream key %q", secret)
	}
}

// full720p are the settings of the reference stream: 10 s of 720p30 at
// 2500 kbps with AAC 48 kHz stereo at 128 kbps.
var full720p = []string{"-headless", "-size", "1280x720", "-fps", "30", "-bitrate", "2500",
	"-audio-bitrate", "128", "-keyint", "2", "-preset", "veryfast", "-duration", "10s"}

var want720p = testpeer.Expect{Width: 1280, Height: 720, FPS: 30, Seconds: 10, VideoKbps: 2500, SampleRate: 48000, Channels: 2}

func TestHeadlessToNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "local.flv")
	stats := filepath.Join(dir, "stats.jsonl")
	key := "e2e-nginx-7f3a9c"
	r := studio(t, 40*time.Second, nil, append(full720p,
		"-url", n.RTMPURL+"/"+key, "-record", rec, "-stats-json", stats)...)
	if r.code != 0 {
		t.Fatalf("studio exited %d", r.code)
	}
	noSecret(t, r, key)
	n.Stop(t)
	recs := n.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v, want one file\n%s", recs, n.ErrorLog())
	}
	want := withSkipped(want720p, stats)
	testpeer.Check(t, testpeer.Probe(t, recs[0]), want)
	testpeer.Check(t, testpeer.Probe(t, rec), want)
	checkWireOrder(t, recs[0])
	checkWireOrder(t, rec)
	checkStats(t, stats, 2500)
}

func TestHeadlessToFFmpegListener(t *testing.T) {
	srv := testpeer.StartFFmpegServerDebugTS(t)
	r := studio(t, 40*time.Second, nil, append(full720p, "-url", srv.URL, "-stats-json", "-")...)
	if r.code != 0 {
		t.Fatalf("studio exited %d", r.code)
	}
	out, err := srv.Wait(10 * time.Second)
	if err != nil {
		t.Fatalf("ffmpeg server: %v\n%s", err, out)
	}
	want := want720p
	want.Skipped = finalStats(t, r.stdout).FramesSkipped
	testpeer.Check(t, testpeer.Probe(t, srv.Out), want)
	// The order the server received the packets in (its own file may be
	// reordered by ffmpeg's muxer at the end).
	got := testpeer.ArrivalDTS(out)
	if len(got)+int(want.Skipped) < 700 {
		t.Fatalf("ffmpeg told %d packets as they arrived (and the source skipped %d frames), want about 770", len(got), want.Skipped)
	}
	if got[0].Type != "video" || got[0].DTS > 40 {
		t.Errorf("the first packet to arrive is %s at %d ms, want video (the keyframe) at ≤ 40 ms", got[0].Type, got[0].DTS)
	}
	for i := 1; i < len(got); i++ {
		if got[i].DTS < got[i-1].DTS {
			t.Errorf("packet %d (%s at %d ms) arrived after %s at %d ms", i, got[i].Type, got[i].DTS, got[i-1].Type, got[i-1].DTS)
			break
		}
	}
}

// checkStats reads -stats-json output: one object per second with every
// documented field, live while streaming, near the target bitrate.
// withSkipped is want with the frame slots that the source reported
// skipped in the last line of the stats file at path: on a machine short
// of CPU the pattern skips to the latest due frame and says so.
func withSkipped(want testpeer.Expect, path string) testpeer.Expect {
	var last statsLine
	if b, err := os.ReadFile(path); err == nil {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		_ = json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	}
	want.Skipped = last.FramesSkipped
	return want
}

func checkStats(t *testing.T, path string, targetKbps float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := []string{"time", "state", "uptime_s", "video_kbps", "audio_kbps", "fps", "frames_sent",
		"frames_dropped", "queue_ms", "target_kbps", "reconnects"}
	var lines, live int
	var kbps, fps []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stats line %d: %v: %s", lines+1, err, sc.Text())
		}
		lines++
		for _, k := range fields {
			if _, ok := m[k]; !ok {
				t.Errorf("stats line %d has no %q: %s", lines, k, sc.Text())
			}
		}
		if m["state"] == "live" {
			live++
			kbps = append(kbps, m["video_kbps"].(float64))
			fps = append(fps, m["fps"].(float64))
		}
		if m["target_kbps"].(float64) != targetKbps && m["state"] == "live" {
			t.Errorf("stats line %d: target_kbps %v, want %v", lines, m["target_kbps"], targetKbps)
		}
	}
	if lines < 9 || live < 8 {
		t.Errorf("%d stats lines, %d of them live; want about 10 for a 10 s run", lines, live)
	}
	// Past the first second, the reported rate tracks the target, for the
	// frames sent: x264 spends the target over the frames it gets, so a
	// source that skips frame slots (a machine short of CPU) sends less.
	for i, k := range kbps[1:] {
		f := fps[i+1]
		want := targetKbps * min(1, f/30)
		if f < 10 || k < want*0.5 || k > want*1.5 {
			t.Errorf("live stats line %d reports video at %.0f kbps and %.1f fps, target %.0f at 30 fps", i+2, k, f, targetKbps)
		}
	}
}

// small are quick settings for tests about connecting rather than media.
var small = []string{"-headless", "-size", "320x180", "-fps", "30", "-bitrate", "400", "-duration", "2s"}

func TestRTMPSWithTrustedCertificate(t *testing.T) {
	n := testpeer.StartNginx(t)
	key := "tls-key-51b2"
	r := studio(t, 30*time.Second, []string{"SSL_CERT_FILE=" + n.CertFile}, append(small, "-url", n.RTMPSURL+"/"+key, "-stats-json", "-")...)
	if r.code != 0 {
		t.Fatalf("studio over RTMPS exited %d", r.code)
	}
	noSecret(t, r, key)
	n.Stop(t)
	recs := n.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v, want one file", recs)
	}
	// 2 s at 30 fps, less what the source reported skipped (a machine
	// short of CPU).
	rec := testpeer.Probe(t, recs[0])
	skipped := finalStats(t, r.stdout).FramesSkipped
	if rec.VideoCodec != "h264" || rec.AudioCodec != "aac" || rec.VideoFrames+int(skipped) < 55 {
		t.Errorf("RTMPS recording with %d frames skipped at the source: %+v", skipped, rec)
	}
}

func TestRTMPSWithUntrustedCertificateFails(t *testing.T) {
	n := testpeer.StartNginx(t)
	// An empty bundle: the system roots cannot vouch for a self-signed
	// test certificate, and neither can this.
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	key := "tls-key-9d0e"
	r := studio(t, 15*time.Second, []string{"SSL_CERT_FILE=" + empty}, append(small, "-url", n.RTMPSURL+"/"+key)...)
	if r.code == 0 {
		t.Fatal("studio accepted an untrusted certificate")
	}
	if r.elapsed > 10*time.Second {
		t.Errorf("failing took %v, want under 10 s", r.elapsed)
	}
	if !strings.Contains(strings.ToLower(r.stderr), "certificate") {
		t.Errorf("stderr does not mention the certificate:\n%s", r.stderr)
	}
	noSecret(t, r, key)
}

func TestAuthWrongKeyFailsClearly(t *testing.T) {
	n := testpeer.StartNginx(t)
	r := studio(t, 15*time.Second, nil, append(small, "-url", n.AuthURL+"/cam?key=wrong-5e1d")...)
	if r.code == 0 {
		t.Fatal("studio exited 0 with a wrong key")
	}
	if r.elapsed > 10*time.Second {
		t.Errorf("failing took %v, want under 10 s", r.elapsed)
	}
	last := lastLine(r.stderr)
	if !strings.Contains(last, "NetStream.Publish") && !strings.Contains(last, "refused") {
		t.Errorf("last stderr line does not say the server refused the stream: %q", last)
	}
	noSecret(t, r, "wrong-5e1d")
}

func TestAuthRightKeyWorks(t *testing.T) {
	n := testpeer.StartNginx(t)
	r := studio(t, 30*time.Second, nil, append(small, "-url", n.AuthURL+"/cam?key=secret")...)
	if r.code != 0 {
		t.Fatalf("studio exited %d with the right key", r.code)
	}
	noSecret(t, r, "key=secret")
}

func TestConnectionRefused(t *testing.T) {
	port := testpeer.FreePort(t) // nothing listens there
	r := studio(t, 15*time.Second, nil, append(small, "-url", "rtmp://127.0.0.1:"+itoa(port)+"/live/abc123")...)
	if r.code == 0 {
		t.Fatal("studio exited 0 with no server")
	}
	if !strings.Contains(lastLine(r.stderr), "connect") {
		t.Errorf("last stderr line does not say the connection failed: %q", lastLine(r.stderr))
	}
	noSecret(t, r, "abc123")
}

func TestBadFlagsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"-headless"},
		{"-headless", "-url", "http://example.invalid/live/key"},
		{"-headless", "-url", "rtmp://127.0.0.1/live"},
		{"-headless", "-url", "rtmp://127.0.0.1/live/k", "-size", "13x7"},
		{"-headless", "-url", "rtmp://127.0.0.1/live/k", "-preset", "warp"},
	} {
		r := studio(t, 10*time.Second, nil, args...)
		if r.code != 2 || len(ownLines(r.stderr)) != 1 || !strings.HasPrefix(lastLine(r.stderr), "studio: ") {
			t.Errorf("studio %v: exit %d, stderr %q; want exit 2 and one line", args, r.code, r.stderr)
		}
	}
}

func TestRecordOnly(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "only.flv")
	r := studio(t, 30*time.Second, nil, "-headless", "-size", "320x180", "-duration", "3s", "-record", rec, "-stats-json", "-")
	if r.code != 0 {
		t.Fatalf("studio exited %d", r.code)
	}
	testpeer.Check(t, testpeer.Probe(t, rec), testpeer.Expect{Width: 320, Height: 180, FPS: 30, Seconds: 3, SampleRate: 48000, Channels: 2,
		Skipped: finalStats(t, r.stdout).FramesSkipped})
}

// ownLines returns the lines studio itself printed, leaving out what
// libraries (x264, Fyne) print on their own.
func ownLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "studio: ") {
			out = append(out, l)
		}
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func itoa(n int) string { return strconv.Itoa(n) }
