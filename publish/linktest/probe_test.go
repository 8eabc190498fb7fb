package linktest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
	"studio/publish"
)

// TestRunLoopback publishes to a real nginx-rtmp on loopback, where the
// link is faster than the ceiling: the test must reach it, and what the
// server recorded must be the clip, decodable. Loopback has no slow start
// worth skipping, so the measure is 2 s long: a scheduling stall of the
// sender on a busy machine (it catches up after one) then moves the
// result by a few percent, not by a third as it would over 0.5 s.
func TestRunLoopback(t *testing.T) {
	n := testpeer.StartNginx(t)
	const kbps = 8000
	res, err := Run(context.Background(), Config{URL: n.RTMPURL + "/probe", Duration: 3 * time.Second, Skip: time.Second, MaxKbps: kbps, Clip: testClip(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Measured < 2*time.Second || res.Measured > 2500*time.Millisecond {
		t.Errorf("measured over %v, want the 2 s after the first second", res.Measured)
	}
	if res.UploadKbps < 0.9*kbps || res.UploadKbps > 1.1*kbps || !res.AtCeiling {
		t.Errorf("upload %.0f kbit/s (at ceiling %v) on loopback, want the ceiling %d ±10%%", res.UploadKbps, res.AtCeiling, kbps)
	}
	if res.MinRTT <= 0 || res.MinRTT > 50*time.Millisecond {
		t.Errorf("min RTT %v on loopback", res.MinRTT)
	}
	n.Stop(t)
	recs := n.Recordings(t, "probe")
	if len(recs) != 1 {
		t.Fatalf("%d recordings, want 1", len(recs))
	}
	rec := testpeer.Probe(t, recs[0])
	if rec.VideoCodec != "h264" || rec.AudioCodec != "aac" || rec.VideoFrames < 85 {
		t.Errorf("recording: %s, %d frames; %s", rec.VideoCodec, rec.VideoFrames, rec.AudioCodec)
	}
	if errs := testpeer.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("the recording does not decode cleanly:\n%s", errs)
	}
}

func TestRunRefused(t *testing.T) {
	n := testpeer.StartNginx(t)
	const secret = "wrongsecret42"
	_, err := Run(context.Background(), Config{URL: n.AuthURL + "/probe?key=" + secret, Duration: 3 * time.Second, Clip: testClip(t)})
	if !errors.Is(err, publish.ErrRejected) {
		t.Fatalf("Run with a wrong key: %v, want publish.ErrRejected", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), secret) {
		t.Errorf("the error quotes the key: %v", err)
	}
}

func TestRunUnreachable(t *testing.T) {
	port := testpeer.FreePort(t) // nothing listens there
	_, err := Run(context.Background(), Config{URL: fmt.Sprintf("rtmp://127.0.0.1:%d/live/probe", port), Duration: 3 * time.Second, Clip: testClip(t)})
	if !errors.Is(err, publish.ErrConnect) {
		t.Fatalf("Run to a closed port: %v, want publish.ErrConnect", err)
	}
}

// TestRunCancelled ends the test from outside, mid-way: Run returns the
// context's error at once and leaves no goroutine (TestMain checks).
func TestRunCancelled(t *testing.T) {
	n := testpeer.StartNginx(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Config{URL: n.RTMPURL + "/cancel", Duration: 10 * time.Second, MaxKbps: 4000, Clip: testClip(t)})
		done <- err
	}()
	time.AfterFunc(time.Second, cancel) // a point mid-test, not a wait for an event
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run cancelled mid-test: %v, want context.Canceled", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("Run did not return within 5 s of its context's end")
	}
}

func TestConfigLimits(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 2900 * time.Millisecond, 11 * time.Second} {
		if _, err := Run(context.Background(), Config{URL: "rtmp://127.0.0.1:1/live/x", Duration: d}); err == nil || errors.Is(err, publish.ErrConnect) {
			t.Errorf("a test of %v: %v, want a duration error before any connection", d, err)
		}
	}
}
