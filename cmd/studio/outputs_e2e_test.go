package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
	"studio/publish/flv"
)

// checkWireOrder reads an FLV file that a server wrote, tag by tag, and
// fails when a tag's timestamp is lower than the one before it (any
// track), or when the first video frame is not a keyframe at ≤ 40 ms.
func checkWireOrder(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := flv.NewReader(bufio.NewReader(f))
	if _, err := r.Header(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var last uint32
	n, back, sawVideo := 0, 0, false
	for {
		tag, err := r.ReadTag()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: tag %d: %v", path, n, err)
		}
		n++
		if tag.Type == flv.TagVideo && len(tag.Data) > 1 && tag.Data[1] == 1 && !sawVideo {
			sawVideo = true
			if key := tag.Data[0]>>4 == 1; !key || tag.Timestamp > 40 {
				t.Errorf("%s: first video frame keyframe=%v at %d ms, want a keyframe at ≤ 40 ms", path, key, tag.Timestamp)
			}
		}
		if tag.Timestamp < last {
			if back++; back <= 3 {
				t.Errorf("%s: tag %d (type %d) at %d ms after one at %d ms", path, n, tag.Type, tag.Timestamp, last)
			}
		}
		last = max(last, tag.Timestamp)
	}
	if back > 3 {
		t.Errorf("%s: %d tags went back in time", path, back)
	}
	if !sawVideo {
		t.Errorf("%s: no video frame", path)
	}
	t.Logf("%s: %d tags, none back in time", filepath.Base(path), n)
}

// statsLines reads a -stats-json file.
func statsLines(t *testing.T, path string) []statsLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []statsLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s statsLine
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("stats: %v: %s", err, sc.Text())
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatal("no stats written")
	}
	return out
}

// Two destinations on nginx-rtmp: both recordings are complete and clean,
// and the stats name both with their keys redacted.
func TestTwoDestinationsToNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	keys := []string{"two-a-k3y9secret", "two-b-k3y7secret"}
	r := studio(t, 60*time.Second, nil, append(full720p, "-url", n.RTMPURL+"/"+keys[0], "-url", n.RTMPURL+"/"+keys[1], "-stats-json", "-")...)
	if r.code != 0 {
		t.Fatalf("studio exited %d", r.code)
	}
	n.Stop(t)
	final := finalStats(t, r.stdout)
	// Frame slots the pattern skipped on a machine short of CPU are
	// counted as such.
	want := want720p
	want.Skipped = final.FramesSkipped
	received := make([]int, len(keys))
	for i, key := range keys {
		recs := n.Recordings(t, key)
		if len(recs) != 1 {
			t.Fatalf("nginx recorded %v for %s, want one file", recs, key)
		}
		got := testpeer.Probe(t, recs[0])
		testpeer.Check(t, got, want)
		received[i] = got.VideoFrames
		checkWireOrder(t, recs[0])
		noSecret(t, r, key)
	}
	if len(final.Destinations) != 2 {
		t.Fatalf("stats have %d destinations, want 2: %+v", len(final.Destinations), final.Destinations)
	}
	for i, d := range final.Destinations {
		// Check has accounted for every frame slot; each destination sent
		// every frame its server received, and dropped none.
		if !strings.HasPrefix(d.URL, n.RTMPURL+"/****") || d.FramesSent != uint64(received[i]) || d.FramesDropped != 0 {
			t.Errorf("destination %d: %+v, want %s/**** with the %d frames its server received sent, none dropped", i, d, n.RTMPURL, received[i])
		}
	}
	if final.FramesSent != final.Destinations[0].FramesSent+final.Destinations[1].FramesSent {
		t.Errorf("frames_sent %d is not the sum of the destinations'", final.FramesSent)
	}
}

// isolation streams to A behind a shaped link and to B on loopback, 360p30
// at isoKbps, and returns studio's stats lines and B's recording. What is
// judged is how the destinations fare against each other, so the size is
// one that a test machine short of CPU still encodes twice in real time.
type isolation struct {
	a     *testpeer.ShapedLink
	b     *testpeer.Nginx
	stats string
	r     *running
}

// isoKbps is the video bitrate of the isolation tests: with AAC at 128,
// nearly twice what the slow destination's link carries.
const isoKbps = 1000

func startIsolation(t *testing.T, kbit int, run time.Duration) *isolation {
	t.Helper()
	iso := &isolation{a: testpeer.StartShapedLink(t, kbit), b: testpeer.StartNginx(t)}
	iso.stats = filepath.Join(t.TempDir(), "stats.jsonl")
	iso.r = startStudio(t, nil, nil, "-headless", "-size", "640x360", "-fps", "30", "-bitrate", strconv.Itoa(isoKbps),
		"-duration", run.String(), "-url", iso.a.RTMPURL+"/slow", "-url", iso.b.RTMPURL+"/fast", "-stats-json", iso.stats)
	iso.r.waitLine(t, iso.r.start, "live on "+iso.a.RTMPURL, 20*time.Second)
	iso.r.waitLine(t, iso.r.start, "live on "+iso.b.RTMPURL, 20*time.Second)
	return iso
}

// checkFast checks that B got the whole stream at the full bitrate.
func (iso *isolation) checkFast(t *testing.T, seconds float64) {
	t.Helper()
	iso.b.Stop(t)
	recs := iso.b.Recordings(t, "fast")
	if len(recs) != 1 {
		t.Fatalf("the fast destination's server recorded %v", recs)
	}
	lines := statsLines(t, iso.stats)
	last := lines[len(lines)-1]
	if len(last.Destinations) != 2 || last.Destinations[1].FramesDropped != 0 {
		t.Fatalf("fast destination: %+v, want 0 frames dropped", last.Destinations)
	}
	// Every frame slot is in the recording or was reported skipped by the
	// source: with two encoders on a machine short of CPU, the pattern
	// skips to the latest due frame, and says so.
	rec := testpeer.Probe(t, recs[0])
	t.Logf("fast destination: %d frames sent, %d skipped at the source", last.Destinations[1].FramesSent, last.FramesSkipped)
	testpeer.Check(t, rec, testpeer.Expect{Width: 640, Height: 360, FPS: 30, Seconds: seconds, SampleRate: 48000, Channels: 2, Skipped: last.FramesSkipped})
	// The full bitrate, for the frame slots that carried a frame.
	want := isoKbps * float64(rec.VideoFrames) / (float64(rec.VideoFrames) + float64(last.FramesSkipped))
	if math.Abs(rec.VideoKbps-want) > want*0.15 {
		t.Errorf("the fast destination got %.0f kbps of video, want %.0f ± 15%%", rec.VideoKbps, want)
	}
}

// A destination behind a 600 kbit/s link that is then cut never hurts the
// other: it loses its connection while the other stays live and complete.
func TestDestinationIsolation(t *testing.T) {
	const run = 30 * time.Second
	iso := startIsolation(t, 600, run)
	cut := iso.r.after(t, iso.r.start, 10*time.Second)
	iso.a.Cut(t)
	if code, _ := iso.r.wait(t, run+30*time.Second); code != 0 {
		t.Fatalf("studio exited %d", code)
	}
	iso.checkFast(t, run.Seconds())
	seen := false
	for _, l := range statsLines(t, iso.stats) {
		at, err := time.Parse(time.RFC3339Nano, l.Time)
		if err != nil || at.Before(cut) || len(l.Destinations) != 2 {
			continue
		}
		if l.Destinations[0].State != "live" && l.Destinations[1].State == "live" {
			seen = true
			t.Logf("%.0f s after the cut: slow %s, fast %s", at.Sub(cut).Seconds(), l.Destinations[0].State, l.Destinations[1].State)
			break
		}
	}
	if !seen {
		t.Error("no stats line showed the cut destination not live while the other stayed live")
	}
}

// A destination behind a 600 kbit/s link keeps continuous video at a rate
// its link carries, while the other keeps the full bitrate.
func TestSlowDestinationKeepsMoving(t *testing.T) {
	const run = 40 * time.Second
	iso := startIsolation(t, 600, run)
	if code, _ := iso.r.wait(t, run+30*time.Second); code != 0 {
		t.Fatalf("studio exited %d", code)
	}
	iso.checkFast(t, run.Seconds())
	iso.a.Stop(t)
	recs := iso.a.Recordings(t, "slow")
	if len(recs) != 1 {
		t.Fatalf("the slow destination's server recorded %v", recs)
	}
	rec := testpeer.Probe(t, recs[0])
	end := rec.VideoPTS[len(rec.VideoPTS)-1]
	var last10 int
	for _, pts := range rec.VideoPTS {
		if pts > end-10 {
			last10++
		}
	}
	var late []float64
	for _, pts := range rec.VideoPTS {
		if pts >= 15 {
			late = append(late, pts)
		}
	}
	gap := testpeer.MaxGap(late)
	t.Logf("slow destination: %d frames, %.1f fps over its last 10 s, largest gap after 15 s %.2f s, %.0f kbps",
		len(rec.VideoPTS), float64(last10)/10, gap, rec.VideoKbps)
	if last10 < 200 {
		t.Errorf("the slow destination got %.1f fps over its last 10 s, want ≥ 20", float64(last10)/10)
	}
	if gap > 2 {
		t.Errorf("the slow destination's video has a %.1f s gap after 15 s, want ≤ 2 s", gap)
	}
	if errs := testpeer.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("the slow destination's recording does not decode cleanly:\n%s", errs)
	}
	checkWireOrder(t, recs[0])
}
