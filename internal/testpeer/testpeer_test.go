package testpeer

import (
	"os/exec"
	"testing"
	"time"
)

// TestReferencePublisher checks the harness itself: a stream published by
// ffmpeg (the reference publisher) to nginx-rtmp and to ffmpeg's listener
// passes Check, and a truncated expectation fails it.
func TestReferencePublisher(t *testing.T) {
	ff := Require(t, "ffmpeg")[0]
	n := StartNginx(t)
	srv := StartFFmpegServer(t)
	publish := func(url string) {
		t.Helper()
		out, err := exec.Command(ff, "-nostdin", "-v", "error", "-re",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
			"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
			"-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "60",
			"-b:v", "500k", "-c:a", "aac", "-ac", "2", "-b:a", "128k", "-f", "flv", url).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg publish to %s: %v\n%s", url, err, out)
		}
	}
	publish(n.RTMPURL + "/ref")
	publish(srv.URL)
	if out, err := srv.Wait(10 * time.Second); err != nil {
		t.Fatalf("ffmpeg server: %v\n%s", err, out)
	}
	n.Stop(t)
	recs := n.Recordings(t, "ref")
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v, want one file", recs)
	}
	want := Expect{Width: 320, Height: 180, FPS: 30, Seconds: 2, SampleRate: 48000, Channels: 2}
	for _, path := range []string{recs[0], srv.Out} {
		r := Probe(t, path)
		Check(t, r, want)
		wrong := want
		wrong.Seconds = 4
		ft := &failRecorder{TB: t}
		Check(ft, r, wrong)
		if !ft.failed {
			t.Errorf("Check accepted %s as a 4 s recording", path)
		}
	}
}

// failRecorder records failures instead of failing the test.
type failRecorder struct {
	testing.TB
	failed bool
}

func (f *failRecorder) Errorf(string, ...any) { f.failed = true }
func (f *failRecorder) Logf(string, ...any)   {}
