package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// These tests run studio against nginx-rtmp behind a link the test
// controls (root only; see testpeer.ShapedLink).

// after waits until t0+d, or fails the test if studio exits first. It
// schedules an action at a point of the stream; it never stands in for
// waiting on an event.
func (r *running) after(t *testing.T, t0 time.Time, d time.Duration) time.Time {
	t.Helper()
	select {
	case <-time.After(time.Until(t0.Add(d))):
		return time.Now()
	case <-r.done:
		t.Fatalf("studio exited early")
		return time.Time{}
	}
}

func TestReconnectsAfterKicks(t *testing.T) {
	l := testpeer.StartShapedLink(t, 0)
	dir := t.TempDir()
	rec, stats := filepath.Join(dir, "local.flv"), filepath.Join(dir, "stats.jsonl")
	const key = "kicks"
	r := startStudio(t, nil, nil, "-headless", "-size", "1280x720", "-fps", "30", "-bitrate", "2500",
		"-duration", "60s", "-url", l.RTMPURL+"/"+key, "-record", rec, "-stats-json", stats)
	r.waitLine(t, r.start, "live on", 15*time.Second)
	for i := 1; i <= 5; i++ {
		kicked := r.after(t, r.start, time.Duration(i)*10*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := l.Drop(ctx, key); err != nil {
			t.Fatalf("kick %d: %v", i, err)
		}
		cancel()
		r.waitLine(t, kicked, "connection lost", 5*time.Second)
		back := r.waitLine(t, kicked, "live on", 5*time.Second)
		t.Logf("kick %d: live again after %v", i, back.at.Sub(kicked).Round(time.Millisecond))
		if d := back.at.Sub(kicked); d > 2*time.Second {
			t.Errorf("kick %d: live again only after %v, want ≤ 2 s", i, d)
		}
	}
	if code, _ := r.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("studio exited %d", code)
	}
	last := lastStats(t, stats)
	if last["reconnects"] != 5.0 {
		t.Errorf("stats count %v reconnects, want 5", last["reconnects"])
	}
	l.Stop(t)
	recs := l.Recordings(t, key)
	if len(recs) != 6 {
		t.Errorf("nginx made %d recordings, want 6 (one per connection)", len(recs))
	}
	for _, path := range recs {
		if errs := testpeer.DecodeErrors(t, path); errs != "" {
			t.Errorf("%s does not decode cleanly:\n%s", path, errs)
		}
	}
	local := testpeer.Probe(t, rec)
	if math.Abs(local.Duration-60) > 1 {
		t.Errorf("local recording lasts %.2f s, want 60±1", local.Duration)
	}
	if g := testpeer.MaxGap(local.VideoPTS); g > 1 {
		t.Errorf("local recording has a %.2f s gap in its video", g)
	}
	if g := testpeer.MaxGap(local.AudioPTS); g > 1 {
		t.Errorf("local recording has a %.2f s gap in its audio", g)
	}
	if errs := testpeer.DecodeErrors(t, rec); errs != "" {
		t.Errorf("local recording does not decode cleanly:\n%s", errs)
	}
}

func TestCongestionAdaptsAndRecovers(t *testing.T) {
	l := testpeer.StartShapedLink(t, 1000)
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.jsonl")
	const key = "congested"
	const run, shaped = 60 * time.Second, 30 * time.Second
	r := startStudio(t, nil, nil, "-headless", "-size", "1280x720", "-fps", "30", "-bitrate", "2500",
		"-duration", run.String(), "-url", l.RTMPURL+"/"+key, "-stats-json", stats)
	r.waitLine(t, r.start, "live on", 15*time.Second)
	player := startPlayer(t, l, l.RTMPURL+"/"+key)
	unshaped := r.after(t, r.start, shaped)
	l.Rate(t, 0)
	code, exited := r.wait(t, run+30*time.Second)
	if code != 0 {
		t.Fatalf("studio exited %d", code)
	}
	if late := exited.Sub(r.start) - run; late > 3*time.Second {
		t.Errorf("studio exited %v after the end of -duration, want ≤ 3 s", late)
	}
	delays := player.wait(t)

	// For comparison: ffmpeg through the same link falls behind real time,
	// so its delay grows without bound.
	l.Rate(t, 1000)
	speed := ffmpegSpeed(t, l.RTMPURL+"/ffmpeg", 20*time.Second)
	t.Logf("ffmpeg through the same 1000 kbit/s link: speed %.2fx", speed)
	l.Stop(t)
	recs := l.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx made %d recordings of studio's stream, want 1", len(recs))
	}
	got := testpeer.Probe(t, recs[0])
	if errs := testpeer.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("recording does not decode cleanly:\n%s", errs)
	}
	covered := got.VideoPTS[len(got.VideoPTS)-1] - got.VideoPTS[0]
	if covered < shaped.Seconds()-2 {
		t.Errorf("recording covers %.1f s of media", covered)
	}
	wantAudio := run.Seconds() * 48000 / 1024
	if math.Abs(float64(len(got.AudioPTS))-wantAudio) > wantAudio/100 {
		t.Errorf("%d audio frames reached the server, want %.0f±1%%", len(got.AudioPTS), wantAudio)
	}
	adapted := got.VideoKbpsBetween(15, shaped.Seconds())
	t.Logf("video bitrate 15–30 s (shaped to 1000 kbit/s): %.0f kbps; 50–60 s (unshaped): %.0f kbps",
		adapted, got.VideoKbpsBetween(50, 60))
	if adapted > 900 {
		t.Errorf("video bitrate %.0f kbps through a 1000 kbit/s link after adaptation, want ≤ 900", adapted)
	}
	// The delay the publisher adds: arrival at the server minus timestamp,
	// above its minimum.
	// It must not grow over the run: at the end of the shaped period and at
	// the end of the run it is back within 1 s of its minimum (ffmpeg's
	// grows by a second every two).
	// Start-up is measured apart: the first second goes out at the user's
	// target, keyframe included, before adaptive bitrate has seen the link,
	// and must squeeze through a link 2.5 times too slow. Our queue (up to
	// its 700 ms limit), the link's own queue (about 650 ms) and, when slow
	// start overflows that queue, TCP's retransmission timeout (over a
	// second at these round-trip times) add up: 1.5 to 2.7 s were measured
	// here, and 3.2 s with both cores busy. It must stay under 4 s.
	// Start-up lasts until that backlog has drained: from 5 s of media on,
	// the first second whose delay stays under 1 s ends it, and that must
	// come by 10 s (on a machine short of CPU the drain ran past 5 s, with
	// 2.0 s left at 5–10 s and a median of 300 ms there).
	// After start-up, transients while adaptive bitrate probes the link stay
	// under 2 s.
	const window = 5 * time.Second
	maxes, medians := delays.profile(window, 1), delays.profile(window, 0.5)
	perSecond := delays.profile(time.Second, 1)
	t.Logf("server-side delay above the minimum, per 5 s of media: max %v, median %v", maxes, medians)
	endShaped := int(shaped/window) - 1
	if len(medians) <= endShaped+1 {
		t.Fatalf("the player saw only %d windows of 5 s", len(medians))
	}
	for _, i := range []int{endShaped, len(medians) - 1} {
		if medians[i] >= time.Second {
			t.Errorf("server-side delay %v above its minimum (median) at %d–%d s: it grew by 1 s or more", medians[i], 5*i, 5*i+5)
		}
	}
	startup := 5
	for startup < len(perSecond) && perSecond[startup] >= time.Second {
		startup++
	}
	t.Logf("start-up backlog drained at %d s of media; maximum delay per second until 15 s: %v", startup, perSecond[:min(15, len(perSecond))])
	if startup > 10 {
		t.Errorf("the start-up backlog took until %d s of media to drain, want by 10 s", startup)
	} else {
		if peak := slices.Max(perSecond[:startup]); peak >= 4*time.Second {
			t.Errorf("server-side delay reached %v above its minimum during start-up, want under 4 s", peak)
		}
		if peak := slices.Max(perSecond[startup:]); peak >= 2*time.Second {
			t.Errorf("server-side delay reached %v above its minimum after start-up, want transients under 2 s", peak)
		}
	}
	// Back to the user's target within 30 s of the link clearing.
	var recovered time.Duration = -1
	var series []string
	for _, s := range readStats(t, stats) {
		series = append(series, fmt.Sprintf("%v/%v/%v+%v/%v", s["target_kbps"], s["video_kbps"], s["queue_ms"], s["link_delay_ms"], s["frames_dropped"]))
	}
	t.Logf("each second, target/sent video kbps/queue+link delay ms/frames dropped: %s", strings.Join(series, " "))
	for _, s := range readStats(t, stats) {
		at, _ := time.Parse(time.RFC3339Nano, s["time"].(string))
		if at.After(unshaped) && s["target_kbps"] == 2500.0 && recovered < 0 {
			recovered = at.Sub(unshaped)
		}
	}
	t.Logf("target back to 2500 kbps %v after the shaping was removed", recovered)
	if recovered < 0 || recovered > 30*time.Second {
		t.Errorf("target back to 2500 kbps after %v, want within 30 s", recovered)
	}

}

// player reads a live stream from the server the way a viewer would and
// records, for each packet, its arrival time minus its timestamp.
type player struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	samples []delaySample
	done    chan struct{}
}

type delaySample struct {
	arrival time.Time
	ts      time.Duration
}

type delays struct{ samples []delaySample }

// profile returns, for each window of media time, the quantile q (0 to 1)
// of the delay above the run's minimum.
func (d delays) profile(window time.Duration, q float64) []time.Duration {
	if len(d.samples) == 0 {
		return nil
	}
	base := time.Duration(math.MaxInt64)
	for _, s := range d.samples {
		base = min(base, s.arrival.Sub(d.samples[0].arrival)-s.ts)
	}
	var buckets [][]time.Duration
	for _, s := range d.samples {
		i := int(s.ts / window)
		for len(buckets) <= i {
			buckets = append(buckets, nil)
		}
		buckets[i] = append(buckets[i], s.arrival.Sub(d.samples[0].arrival)-s.ts-base)
	}
	out := make([]time.Duration, len(buckets))
	for i, b := range buckets {
		if len(b) == 0 {
			continue
		}
		sort.Slice(b, func(x, y int) bool { return b[x] < b[y] })
		out[i] = b[int(q*float64(len(b)-1))].Round(10 * time.Millisecond)
	}
	return out
}

var debugTS = regexp.MustCompile(`demuxer -> ist_index:\d+ type:(video|audio) .*pkt_dts_time:([0-9.]+)`)

// startPlayer starts the player beside the server, so that the link under
// test shapes only the publisher's traffic. It prints each packet as soon as
// the codecs are known, without first guessing the frame rate from the
// packets it reads.
func startPlayer(t *testing.T, l *testpeer.ShapedLink, url string) *player {
	t.Helper()
	bin := testpeer.Require(t, "ffmpeg")[0]
	p := &player{done: make(chan struct{})}
	p.cmd = l.ServerSide(bin, "-hide_banner", "-nostdin", "-fflags", "nobuffer", "-fpsprobesize", "0", "-debug_ts",
		"-i", url, "-map", "0", "-c", "copy", "-f", "null", "-")
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			m := debugTS.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			sec, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				continue
			}
			p.mu.Lock()
			p.samples = append(p.samples, delaySample{time.Now(), time.Duration(sec * float64(time.Second))})
			p.mu.Unlock()
		}
		_ = p.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the player to see the end of the stream.
func (p *player) wait(t *testing.T) delays {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.samples) == 0 {
		t.Fatal("the player received nothing")
	}
	return delays{samples: p.samples}
}

var ffmpegSpeedRE = regexp.MustCompile(`speed=\s*([0-9.]+)x`)

// ffmpegSpeed publishes the reference stream with ffmpeg for d of wall
// time and returns the last speed it reported (1 = real time).
func ffmpegSpeed(t *testing.T, url string, d time.Duration) float64 {
	t.Helper()
	bin := testpeer.Require(t, "ffmpeg")[0]
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "2500k", "-g", "60",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "flv", url)
	out, _ := cmd.CombinedOutput()
	m := ffmpegSpeedRE.FindAllStringSubmatch(string(out), -1)
	if len(m) == 0 {
		t.Logf("ffmpeg reported no speed:\n%s", out)
		return 0
	}
	v, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
	return v
}

func TestDeadLinkIsDetectedAndRecovered(t *testing.T) {
	l := testpeer.StartShapedLink(t, 0)
	const key = "deadlink"
	r := startStudio(t, nil, nil, "-headless", "-size", "640x360", "-fps", "30", "-bitrate", "800",
		"-duration", "40s", "-url", l.RTMPURL+"/"+key)
	r.waitLine(t, r.start, "live on", 15*time.Second)
	cut := r.after(t, r.start, 8*time.Second)
	l.Cut(t)
	lost := r.waitLine(t, cut, "connection lost", 12*time.Second)
	t.Logf("loss detected %v after the cut", lost.at.Sub(cut).Round(time.Millisecond))
	if d := lost.at.Sub(cut); d > 10*time.Second {
		t.Errorf("loss detected %v after the cut, want ≤ 10 s", d)
	}
	restored := r.after(t, cut, 15*time.Second)
	l.Restore(t)
	back := r.waitLine(t, restored, "live on", 10*time.Second)
	t.Logf("live again %v after the link came back", back.at.Sub(restored).Round(time.Millisecond))
	if d := back.at.Sub(restored); d > 3*time.Second {
		t.Errorf("live again %v after the link came back, want ≤ 3 s", d)
	}
	if code, _ := r.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("studio exited %d", code)
	}
}

func readStats(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stats: %v: %s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func lastStats(t *testing.T, path string) map[string]any {
	t.Helper()
	all := readStats(t, path)
	if len(all) == 0 {
		t.Fatal("no stats written")
	}
	return all[len(all)-1]
}
