package main

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"studio/internal/testpeer"
	"studio/publish/health"
)

// statsWatch reads studio's -stats-json lines as they come.
type statsWatch struct {
	mu     sync.Mutex
	lines  []statsAt
	notify chan struct{}
	w      *io.PipeWriter
}

type statsAt struct {
	at time.Time
	s  statsLine
}

func newStatsWatch(t *testing.T) *statsWatch {
	r, w := io.Pipe()
	sw := &statsWatch{notify: make(chan struct{}, 1), w: w}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var s statsLine
			if json.Unmarshal(sc.Bytes(), &s) != nil {
				continue
			}
			sw.mu.Lock()
			sw.lines = append(sw.lines, statsAt{time.Now(), s})
			sw.mu.Unlock()
			select {
			case sw.notify <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { _ = w.Close(); <-done })
	return sw
}

// until waits for a stats line after since for which ok holds.
func (sw *statsWatch) until(t *testing.T, since time.Time, what string, timeout time.Duration, ok func(statsLine) bool) statsAt {
	t.Helper()
	deadline := time.After(timeout)
	for {
		sw.mu.Lock()
		for _, l := range sw.lines {
			if !l.at.Before(since) && ok(l.s) {
				sw.mu.Unlock()
				return l
			}
		}
		sw.mu.Unlock()
		select {
		case <-sw.notify:
		case <-deadline:
			t.Fatalf("no stats line with %s within %v", what, timeout)
		}
	}
}

func (sw *statsWatch) last() statsLine {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if len(sw.lines) == 0 {
		return statsLine{}
	}
	return sw.lines[len(sw.lines)-1].s
}

// micStream is a small live stream from the pulse-mic microphone.
func micStream(url string, extra ...string) []string {
	return append([]string{"-headless", "-video", "synth", "-size", "320x180", "-fps", "30", "-bitrate", "500",
		"-audio", "mic", "-stats-json", "-", "-url", url}, extra...)
}

// checkAudioContiguous fails when consecutive AAC frames in a recording are
// not 1024 samples apart (FLV keeps milliseconds).
func checkAudioContiguous(t *testing.T, rec testpeer.Recording) {
	t.Helper()
	frame := 1024.0 / float64(rec.SampleRate)
	bad := 0
	for i := 1; i < len(rec.AudioPTS); i++ {
		if d := rec.AudioPTS[i] - rec.AudioPTS[i-1]; math.Abs(d-frame) > 0.0015 {
			if bad++; bad <= 5 {
				t.Errorf("AAC frame %d at %.3f s, %.1f ms after the one before (want %.1f)", i, rec.AudioPTS[i], d*1000, frame*1000)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d gaps or overlaps between AAC frames", bad)
	}
}

func TestMicLostAndBack(t *testing.T) {
	pm := testpeer.StartPulseMic(t, testpeer.PulseMicOptions{Rate: 48000, Channels: 2})
	n := testpeer.StartNginx(t)
	stats := newStatsWatch(t)
	r := startStudio(t, pm.Env(), stats.w, micStream(n.RTMPURL+"/mic", "-duration", "16s")...)
	r.waitLine(t, r.start, "live on", 20*time.Second)
	stats.until(t, r.start, "4 s of uptime", 20*time.Second, func(s statsLine) bool { return s.UptimeS >= 4 })

	removed := time.Now()
	if err := pm.Remove(); err != nil {
		t.Fatal(err)
	}
	l := r.waitLine(t, removed, "lost", 5*time.Second)
	if d := l.at.Sub(removed); d > 2*time.Second {
		t.Errorf("the loss was reported %v after the microphone went away, want ≤ 2 s", d)
	}
	stats.until(t, removed, `audio_source "lost"`, 3*time.Second, func(s statsLine) bool { return s.AudioSource == "lost" })
	waitCause(t, r, stats, removed, health.Audio, 3*time.Second)

	restored := time.Now()
	if err := pm.Restore(); err != nil {
		t.Fatal(err)
	}
	r.waitLine(t, restored, "is back", 5*time.Second)
	stats.until(t, restored, `audio_source "ok"`, 5*time.Second, func(s statsLine) bool { return s.AudioSource == "ok" })

	if code, _ := r.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	recs := n.Recordings(t, "mic")
	if len(recs) != 1 {
		t.Fatalf("server recordings: %v", recs)
	}
	rec := testpeer.Probe(t, recs[0])
	if errs := testpeer.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
	lastA, lastV := rec.AudioPTS[len(rec.AudioPTS)-1], rec.VideoPTS[len(rec.VideoPTS)-1]
	if math.Abs(lastA-lastV) > 0.1 || lastV < 15 {
		t.Errorf("audio ends at %.3f s, video at %.3f s: the audio must run to the end", lastA, lastV)
	}
	checkAudioContiguous(t, rec)
}

func TestMicServerKilledThenInterrupt(t *testing.T) {
	pm := testpeer.StartPulseMic(t, testpeer.PulseMicOptions{Rate: 44100, Channels: 1})
	n := testpeer.StartNginx(t)
	r := startStudio(t, pm.Env(), io.Discard, micStream(n.RTMPURL+"/kill")...)
	r.waitLine(t, r.start, "live on", 20*time.Second)
	killed := time.Now()
	if err := pm.Kill(); err != nil {
		t.Fatal(err)
	}
	r.waitLine(t, killed, "lost", 5*time.Second)
	interrupted := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, at := r.wait(t, 10*time.Second)
	if d := at.Sub(interrupted); d > 5*time.Second {
		t.Errorf("studio took %v to end after SIGINT, want ≤ 5 s", d)
	}
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestMicDriftAbsorbed streams from a microphone whose clock runs 0.5% fast,
// then one 0.5% slow, for 40 s each, and stops with SIGINT: audio that
// counted samples would end 200 ms off the video.
func TestMicDriftAbsorbed(t *testing.T) {
	if testing.Short() {
		t.Skip("80 s of streaming")
	}
	for _, tc := range []struct {
		name string
		skew float64
	}{{"fast", 1.005}, {"slow", 0.995}} {
		t.Run(tc.name, func(t *testing.T) {
			pm := testpeer.StartPulseMic(t, testpeer.PulseMicOptions{Rate: 48000, Channels: 2, Skew: tc.skew})
			n := testpeer.StartNginx(t)
			stats := newStatsWatch(t)
			rec := filepath.Join(t.TempDir(), "local.flv")
			r := startStudio(t, pm.Env(), stats.w, micStream(n.RTMPURL+"/drift", "-record", rec)...)
			r.waitLine(t, r.start, "live on", 20*time.Second)
			stats.until(t, r.start, "40 s of uptime", 60*time.Second, func(s statsLine) bool { return s.UptimeS >= 40 })
			if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if code, _ := r.wait(t, 10*time.Second); code != 0 {
				t.Fatalf("exit %d", code)
			}
			want := (tc.skew - 1) * 1e6
			t.Logf("audio_drift_ppm %v (the microphone runs at %v× real time)", stats.last().AudioDriftPPM, tc.skew)
			if got := stats.last().AudioDriftPPM; math.Abs(got-want) > 1000 {
				t.Errorf("audio_drift_ppm %v, want %v ± 1000", got, want)
			}
			recs := n.Recordings(t, "drift")
			if len(recs) != 1 {
				t.Fatalf("server recordings: %v", recs)
			}
			for _, path := range []string{recs[0], rec} {
				p := testpeer.Probe(t, path)
				lastA, lastV := p.AudioPTS[len(p.AudioPTS)-1], p.VideoPTS[len(p.VideoPTS)-1]
				t.Logf("%s: last audio %.3f s, last video %.3f s", filepath.Base(path), lastA, lastV)
				// The tracks end within about two AAC frames (43 ms) of each
				// other; audio timed by counting samples would be 200 ms off.
				if math.Abs(lastA-lastV) > 0.050 {
					t.Errorf("%s: last audio at %.3f s, last video at %.3f s: more than 50 ms apart", path, lastA, lastV)
				}
				checkAudioContiguous(t, p)
			}
		})
	}
}
