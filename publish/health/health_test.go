package health

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"studio/capture"
	"studio/publish/rtmp/wire"
)

// run feeds samples made by at(i) for i in [0, n) and returns the session's
// reports.
func run(d *Diagnosis, n int, at func(i int) Sample) []Report {
	var out []Report
	for i := range n {
		r, _ := d.Observe(at(i))
		out = append(out, r)
	}
	return out
}

// clean is second i of a healthy 720p30 stream at 2500 kbps to one
// destination: encoding takes 12 ms of each 33 ms frame.
func clean(i int) Sample {
	return Sample{
		At: time.Duration(i) * time.Second, FPS: 30,
		Encoded: uint64(30 * i), EncodeBusy: time.Duration(30*i) * 12 * time.Millisecond,
		Video:        capture.SourceStatus{Device: "test pattern"},
		Audio:        capture.SourceStatus{Device: "pulse-mic", DriftPPM: 4800},
		Destinations: []Destination{live("rtmp://a/live/****")},
	}
}

func live(name string) Destination {
	return Destination{Name: name, State: Live, UserKbps: 2500, TargetKbps: 2500, EstimateKbps: 2700, AudioKbps: 128, Queue: 30 * time.Millisecond}
}

func TestCleanRunStaysGood(t *testing.T) {
	for i, r := range run(New(), 30, clean) {
		if r != OK {
			t.Fatalf("second %d: %+v, want good", i, r)
		}
	}
}

func TestNetwork(t *testing.T) {
	d := New()
	run(d, 5, clean)
	s := clean(5)
	s.Destinations[0].TargetKbps, s.Destinations[0].EstimateKbps = 800, 930
	r, per := d.Observe(s)
	if r.Status != Warning || r.Cause != Network || per[0] != r {
		t.Fatalf("lowered bitrate: %+v, destination %+v", r, per[0])
	}
	for _, want := range []string{"~930 kbps", "2500 kbps target", "lowered the bitrate to 800 kbps", "set 600 kbps"} {
		if !strings.Contains(r.Message, want) {
			t.Errorf("message %q lacks %q", r.Message, want)
		}
	}
	s = clean(6)
	s.Destinations[0].Dropped, s.Destinations[0].Queue = 12, 900*time.Millisecond
	if r, _ = d.Observe(s); r.Status != Bad || r.Cause != Network || !strings.Contains(r.Message, "12 video frames were dropped") {
		t.Fatalf("drops: %+v", r)
	}
	// The link clears: bad until the drops are out of memory, then good
	// once that has settled.
	var got []Status
	for i := 7; i < 20; i++ {
		s := clean(i)
		s.Destinations[0].Dropped = 12
		r, _ := d.Observe(s)
		got = append(got, r.Status)
	}
	want := "bad bad bad bad bad bad good good good good good good good"
	if fmt.Sprint(got) != "["+want+"]" {
		t.Errorf("after the link cleared: %v, want [%s]", got, want)
	}
}

func TestEncoderTooSlowExplainsAFullQueue(t *testing.T) {
	// 1080p60 at a slow preset: 70 ms per frame, so only ~14 frames a
	// second come out and the rest are skipped at the source.
	at := func(i int) Sample {
		s := clean(i)
		s.FPS, s.Encoded, s.EncodeBusy = 60, uint64(14*i), time.Duration(14*i)*70*time.Millisecond
		s.Video.Skipped = uint64(46 * i)
		// Its late frames fill the send queue as a slow link would.
		s.Destinations[0].Queue = 900 * time.Millisecond
		return s
	}
	rs := run(New(), 6, at)
	for i, r := range rs {
		if time.Duration(i)*time.Second < WarmUp && r != OK {
			t.Errorf("second %d, warming up: %+v", i, r)
		}
	}
	r := rs[len(rs)-1]
	if r.Status != Bad || r.Cause != Encoder || !strings.Contains(r.Message, "70 ms per frame") || !strings.Contains(r.Message, "16 ms a frame lasts at 60 fps") {
		t.Errorf("%+v, want bad encoder", r)
	}
}

func TestCameraSlow(t *testing.T) {
	at := func(i int) Sample {
		s := clean(i)
		s.Video.Skipped = uint64(15 * i) // 15 of 30 fps
		s.Encoded, s.EncodeBusy = uint64(15*i), time.Duration(15*i)*12*time.Millisecond
		return s
	}
	rs := run(New(), 5, at)
	if r := rs[4]; r.Status != Bad || r.Cause != Capture || !strings.Contains(r.Message, "~15 fps of the 30 fps") {
		t.Errorf("%+v, want bad capture", r)
	}
	s := clean(5)
	s.Video.State, s.Video.Err = capture.SourceLost, errors.New("no frame for 1s")
	d := New()
	if r, _ := d.Observe(s); r.Status != Bad || r.Cause != Capture || !strings.Contains(r.Message, `Camera "test pattern" stopped delivering (no frame for 1s)`) {
		t.Errorf("lost camera: %+v", r)
	}
}

func TestMicrophone(t *testing.T) {
	s := clean(0)
	s.Audio.State, s.Audio.Err = capture.SourceLost, errors.New("device removed")
	r, per := New().Observe(s)
	if r.Status != Bad || r.Cause != Audio || !strings.Contains(r.Message, `Microphone "pulse-mic" is lost (device removed)`) {
		t.Errorf("lost microphone: %+v", r)
	}
	if per[0] != OK {
		t.Errorf("the destination's own report is %+v, want good", per[0])
	}
	// A drift out of bounds for a moment (a microphone going away upsets
	// the estimate) is no alarm; one that lasts is.
	d := New()
	for i := range driftSamples {
		s = clean(i)
		s.Audio.DriftPPM = -7000
		r, _ = d.Observe(s)
		if i < driftSamples-1 && r != OK {
			t.Errorf("drift for %d samples: %+v", i+1, r)
		}
	}
	if r.Status != Warning || r.Cause != Audio || !strings.Contains(r.Message, "0.7% slow") {
		t.Errorf("lasting drift: %+v", r)
	}
}

// Video dropped around a reconnection is the connection's loss, not a
// slow link's.
func TestDropsAroundAReconnectionAreNotTheLink(t *testing.T) {
	d := New()
	run(d, 4, clean)
	s := clean(4)
	s.Destinations[0].State, s.Destinations[0].Reconnects, s.Destinations[0].Err = Live, 1, io.EOF
	s.Destinations[0].Dropped = 9
	for i := 4; i < 8; i++ {
		s.At = time.Duration(i) * time.Second
		r, _ := d.Observe(s)
		if r.Cause != Server {
			t.Errorf("second %d after a kick: %+v, want the server", i, r)
		}
	}
	// Later drops are the link's again.
	s.At, s.Destinations[0].Dropped = 8*time.Second, 12
	if r, _ := d.Observe(s); r.Cause != Network || r.Status != Bad {
		t.Errorf("drops 4 s after the reconnection: %+v", r)
	}
}

func TestServer(t *testing.T) {
	kicked := fmt.Errorf("sending: %w", io.EOF)
	for _, c := range []struct {
		name  string
		state LinkState
		err   error
		want  Report
		words string
	}{
		{"kicked, reconnecting", Reconnecting, kicked, Report{Status: Bad, Cause: Server}, "closed the connection"},
		{"closed: restarting or taken over", Reconnecting, kicked, Report{Status: Bad, Cause: Server}, "may be restarting, or another encoder took over"},
		{"refused the connection", Reconnecting, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), Report{Status: Bad, Cause: Server}, "the server is down or the address is wrong"},
		{"publish refused while reconnecting", Reconnecting, &wire.StatusError{Op: "publish", Status: wire.Status{Code: "NetStream.Publish.BadName"}}, Report{Status: Bad, Cause: Server}, "no other encoder streams with this key"},
		{"refused", Failed, &wire.StatusError{Op: "publish", Status: wire.Status{Code: "NetStream.Publish.BadName"}}, Report{Status: Bad, Cause: Server}, "NetStream.Publish.BadName"},
		{"no acknowledgements", Reconnecting, fmt.Errorf("%w: %w: 5 bytes", wire.ErrTimeout, wire.ErrNotAcknowledged), Report{Status: Bad, Cause: Server}, "stopped acknowledging"},
		{"timed out", Reconnecting, fmt.Errorf("write: %w", wire.ErrTimeout), Report{Status: Bad, Cause: Network}, "timed out"},
	} {
		s := clean(4)
		s.Destinations[0].State, s.Destinations[0].Err = c.state, c.err
		r, _ := New().Observe(s)
		if r.Status != c.want.Status || r.Cause != c.want.Cause || !strings.Contains(r.Message, c.words) {
			t.Errorf("%s: %+v, want %s/%s saying %q", c.name, r, c.want.Status, c.want.Cause, c.words)
		}
	}

	// Kicked and back within a second: live again, but the report says
	// what happened for a while.
	d := New()
	run(d, 3, clean)
	s := clean(3)
	s.Destinations[0].Reconnects, s.Destinations[0].Err = 1, kicked
	r, _ := d.Observe(s)
	if r.Status != Warning || r.Cause != Server || !strings.Contains(r.Message, "The server closed the connection 1 s ago; studio reconnected") {
		t.Errorf("after a kick: %+v", r)
	}
	s = clean(3 + int(lossMemory/time.Second) + Settle)
	s.Destinations[0].Reconnects, s.Destinations[0].Err = 1, kicked
	for range Settle {
		r, _ = d.Observe(s)
	}
	if r != OK {
		t.Errorf("%v after the kick: %+v, want good", lossMemory+Settle*time.Second, r)
	}
}

func TestWorstDestinationNamed(t *testing.T) {
	s := clean(4)
	slow := live("rtmp://b/live/****")
	slow.TargetKbps, slow.EstimateKbps = 700, 800
	s.Destinations = append(s.Destinations, slow)
	r, per := New().Observe(s)
	if per[0] != OK || per[1].Cause != Network || strings.HasPrefix(per[1].Message, "rtmp://") {
		t.Errorf("destinations: %+v", per)
	}
	if r.Cause != Network || !strings.HasPrefix(r.Message, "rtmp://b/live/****: The link carries ~800 kbps") {
		t.Errorf("session: %+v", r)
	}
}

func TestCausesInOrder(t *testing.T) {
	// The network and the microphone both bad: the network comes first.
	d := New()
	run(d, 4, clean)
	s := clean(4)
	s.Audio.State = capture.SourceLost
	s.Destinations[0].Dropped = 5
	if r, _ := d.Observe(s); r.Cause != Network {
		t.Errorf("%+v, want the network first", r)
	}
	// A warning never hides a bad.
	s = clean(4)
	s.Audio.State = capture.SourceLost
	s.Destinations[0].TargetKbps = 800
	if r, _ := New().Observe(s); r.Cause != Audio || r.Status != Bad {
		t.Errorf("%+v, want the lost microphone", r)
	}
}
