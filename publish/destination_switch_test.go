package publish

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"studio/encode"
)

// startSwitching starts a session of paced fakes whose keyframes come
// only when asked for (and first), streaming to one destination that
// honours reconnect requests.
func startSwitching(t *testing.T, r *redialer, log *eventLog) (*Session, *fakeEncoder) {
	t.Helper()
	v, a := pacedFakes()
	v.keyint = 1 << 20
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Duration: 1200 * time.Millisecond, OnEvent: log.add,
		Destinations: []Destination{{Name: "rtmp://origin/live/****", Redial: r.redial}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// checkTimeline checks what the connections received, in order: each
// kind's DTS goes up, video has every frame once (1/30 s apart), and each
// connection's video starts on a keyframe.
func checkTimeline(t *testing.T, pubs ...*fakePublisher) {
	t.Helper()
	var last [3]time.Duration
	var seen [3]bool
	for i, p := range pubs {
		p.mu.Lock()
		first := true
		for _, pk := range p.packets {
			if pk.Kind == encode.Video && first {
				first = false
				if !pk.Keyframe {
					t.Errorf("connection %d starts with a video frame that is not a keyframe", i)
				}
			}
			if seen[pk.Kind] && pk.DTS <= last[pk.Kind] {
				t.Errorf("connection %d: %v DTS %v after %v", i, pk.Kind, pk.DTS, last[pk.Kind])
			}
			if pk.Kind == encode.Video && seen[pk.Kind] {
				if gap := pk.DTS - last[pk.Kind]; gap > time.Second/30+time.Millisecond {
					t.Errorf("connection %d: a video gap of %v before %v", i, gap, pk.DTS)
				}
			}
			last[pk.Kind], seen[pk.Kind] = pk.DTS, true
		}
		p.mu.Unlock()
	}
}

func findStatus(log *eventLog, code string) []Status {
	log.mu.Lock()
	defer log.mu.Unlock()
	var out []Status
	for _, e := range log.events {
		if e.Status != nil && e.Status.Code == code {
			out = append(out, *e.Status)
		}
	}
	return out
}

func TestReconnectRequestSwitchesOnKeyframe(t *testing.T) {
	old, next := &fakePublisher{}, &fakePublisher{}
	r := newRedialer(old, next)
	gate := make(chan struct{})
	r.gates = []chan struct{}{nil, gate}
	var nextAtClose, oldAtRequest int
	old.onClose = func() { nextAtClose = next.count(encode.Video) }
	var log eventLog
	s, v := startSwitching(t, r, &log)
	waitVideo(t, old, 10, "old")
	v.mu.Lock()
	forcedBefore := v.forced
	v.mu.Unlock()
	oldAtRequest = old.count(encode.Video)
	r.request(t, 0, "rtmp://edge.example:1936/live2/")
	r.waitCalled(t) // the first connection
	r.waitCalled(t) // the new one, held at the gate
	// The server says it again while the new connection is being made:
	// the one switch answers both.
	r.request(t, 0, "rtmp://edge.example:1936/live2/")
	close(gate)
	waitVideo(t, next, 5, "next")
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	if got := r.calls(); len(got) != 2 || got[0] != "" || got[1] != "rtmp://edge.example:1936/live2/" {
		t.Errorf("dialled %q, want the URL, then the request's tcUrl", got)
	}
	checkTimeline(t, old, next)
	if n := old.count(encode.Video); n <= oldAtRequest {
		t.Errorf("the old connection sent no video after the request (%d, then %d)", oldAtRequest, n)
	}
	if next.headers != 1 || old.closed != 1 || next.closed != 1 {
		t.Errorf("headers %d on the new connection, closes %d and %d; want 1, 1 and 1", next.headers, old.closed, next.closed)
	}
	if nextAtClose < 5 {
		t.Errorf("the old connection was closed when the new one had sent %d video frames", nextAtClose)
	}
	v.mu.Lock()
	forced := v.forced - forcedBefore
	v.mu.Unlock()
	if forced < 1 {
		t.Errorf("no keyframe asked for at the switch")
	}
	st := s.Stats()
	if st.ReconnectRequests != 1 || st.Reconnects != 0 || st.ReconnectRequestsFailed != 0 ||
		st.Destinations[0].ReconnectRequests != 1 {
		t.Errorf("requests %d (destination %d), failed %d, reconnects %d; want 1, 1, 0, 0",
			st.ReconnectRequests, st.Destinations[0].ReconnectRequests, st.ReconnectRequestsFailed, st.Reconnects)
	}
	told := findStatus(&log, CodeReconnectRequest)
	if len(told) != 1 || !strings.Contains(told[0].Description, "switched to rtmp://edge.example:1936/live2/****") {
		t.Errorf("events told %+v, want one switch to rtmp://edge.example:1936/live2/****", told)
	}
	if got := log.states(); !equalStates(got, []State{StateConnecting, StateLive, StateStopping, StateStopped}) {
		t.Errorf("states %v: a switch is no reconnect", got)
	}
}

func TestReconnectRequestWhoseConnectionFailsKeepsTheOld(t *testing.T) {
	old := &fakePublisher{}
	r := newRedialer(old)
	r.errs = []error{nil, ErrConnect}
	var log eventLog
	s, _ := startSwitching(t, r, &log)
	waitVideo(t, old, 10, "old")
	r.request(t, 0, "")
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	if got := r.calls(); len(got) != 2 || got[1] != "" {
		t.Errorf("dialled %q, want the same URL twice", got)
	}
	checkTimeline(t, old)
	if n := old.count(encode.Video); n < 30 {
		t.Errorf("the old connection sent %d video frames in 1.2 s", n)
	}
	st := s.Stats()
	if st.ReconnectRequests != 0 || st.ReconnectRequestsFailed != 1 || st.Reconnects != 0 {
		t.Errorf("requests %d, failed %d, reconnects %d; want 0, 1, 0", st.ReconnectRequests, st.ReconnectRequestsFailed, st.Reconnects)
	}
	log.mu.Lock()
	warned := 0
	for _, e := range log.events {
		if e.Err != nil && errors.Is(e.Err, ErrConnect) && strings.Contains(e.Err.Error(), "staying on the old one") {
			warned++
		}
	}
	log.mu.Unlock()
	if warned != 1 {
		t.Errorf("%d warnings about the failed switch, want 1", warned)
	}
}

// The old connection goes while the new one is being made: the new one
// takes over from a keyframe, and that is still no reconnect; or, when
// the new one fails too, the destination reconnects as after any loss.
func TestReconnectRequestOldConnectionLostMeanwhile(t *testing.T) {
	for _, newFails := range []bool{false, true} {
		old, next, third := &fakePublisher{}, &fakePublisher{}, &fakePublisher{}
		r := newRedialer(old, next, third)
		if newFails {
			r.errs = []error{nil, ErrConnect}
		}
		gate := make(chan struct{})
		r.gates = []chan struct{}{nil, gate}
		var log eventLog
		s, _ := startSwitching(t, r, &log)
		waitVideo(t, old, 10, "old")
		r.request(t, 0, "")
		r.waitCalled(t) // the first connection
		r.waitCalled(t) // the new one, held at the gate
		old.mu.Lock()
		old.failAfter = len(old.packets) + 1
		old.mu.Unlock()
		// Let the new connection through once the old one has failed.
		deadline := time.After(5 * time.Second)
		for {
			old.mu.Lock()
			failed := old.refused > 0
			old.mu.Unlock()
			if failed {
				break
			}
			select {
			case <-old.wrote:
			case <-deadline:
				t.Fatal("the old connection did not fail")
			}
		}
		close(gate)
		waitDone(t, s)
		if err := s.Err(); err != nil {
			t.Fatalf("session error: %v", err)
		}
		st := s.Stats()
		if newFails {
			checkTimelineKeyframes(t, old, third)
			if st.ReconnectRequests != 0 || st.ReconnectRequestsFailed != 1 || st.Reconnects != 1 || len(r.calls()) != 3 {
				t.Errorf("new one failing: requests %d, failed %d, reconnects %d, %d dials; want 0, 1, 1, 3",
					st.ReconnectRequests, st.ReconnectRequestsFailed, st.Reconnects, len(r.calls()))
			}
			continue
		}
		checkTimelineKeyframes(t, old, next)
		if told := findStatus(&log, CodeReconnectRequest); len(told) != 1 || !strings.Contains(told[0].Description, "after the old connection went") {
			t.Errorf("events told %+v, want one switch after the old connection went", told)
		}
		if st.ReconnectRequests != 1 || st.Reconnects != 0 || len(r.calls()) != 2 {
			t.Errorf("requests %d, reconnects %d, %d dials; want 1, 0, 2", st.ReconnectRequests, st.Reconnects, len(r.calls()))
		}
		if old.closed != 1 || next.closed != 1 {
			t.Errorf("closes %d and %d, want 1 and 1", old.closed, next.closed)
		}
	}
}

// checkTimelineKeyframes checks that the DTS go up across connections and
// that each starts on a keyframe (frames may be lost in between).
func checkTimelineKeyframes(t *testing.T, pubs ...*fakePublisher) {
	t.Helper()
	var last [3]time.Duration
	for i, p := range pubs {
		p.mu.Lock()
		first := true
		for _, pk := range p.packets {
			if pk.Kind == encode.Video && first {
				first = false
				if !pk.Keyframe {
					t.Errorf("connection %d starts with a video frame that is not a keyframe", i)
				}
			}
			if pk.DTS < last[pk.Kind] {
				t.Errorf("connection %d: %v DTS %v after %v", i, pk.Kind, pk.DTS, last[pk.Kind])
			}
			last[pk.Kind] = pk.DTS
		}
		if first {
			t.Errorf("connection %d got no video", i)
		}
		p.mu.Unlock()
	}
}

// A destination without Redial never hears of reconnect requests, and
// its connections do not declare that they honour them.
func TestDialWithoutRedialIgnoresRequests(t *testing.T) {
	v, a := pacedFakes()
	pub := &fakePublisher{}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Duration: 300 * time.Millisecond,
		Dial: func(ctx context.Context, onStatus func(Status)) (Publisher, error) {
			onStatus(Status{Code: CodeReconnectRequest, Level: LevelStatus})
			return pub, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if st := s.Stats(); st.ReconnectRequests != 0 || st.ReconnectRequestsFailed != 0 || st.Reconnects != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A new connection that cannot send the switch keyframe is given up, and
// the old one sends it and goes on.
func TestReconnectRequestFirstFrameRefused(t *testing.T) {
	old := &fakePublisher{}
	r := newRedialer(old)
	bad := &refusingPub{}
	var log eventLog
	v, a := pacedFakes()
	v.keyint = 1 << 20
	calls := 0
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Duration: 1200 * time.Millisecond, OnEvent: log.add,
		Destinations: []Destination{{Name: "rtmp://origin/live/****", Redial: func(ctx context.Context, tcURL string, st func(Status), req func(string)) (Publisher, error) {
			if calls++; calls == 2 {
				return bad, nil
			}
			return r.redial(ctx, tcURL, st, req)
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitVideo(t, old, 10, "old")
	r.request(t, 0, "")
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	checkTimeline(t, old)
	st := s.Stats()
	if st.ReconnectRequests != 0 || st.ReconnectRequestsFailed != 1 || st.Reconnects != 0 {
		t.Errorf("requests %d, failed %d, reconnects %d; want 0, 1, 0", st.ReconnectRequests, st.ReconnectRequestsFailed, st.Reconnects)
	}
	bad.mu.Lock()
	closed := bad.closed
	bad.mu.Unlock()
	if closed != 1 || old.closed != 1 {
		t.Errorf("closes: %d of the refused connection, %d of the old; want 1 and 1", closed, old.closed)
	}
}
