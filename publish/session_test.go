package publish

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/encode"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func waitDone(t *testing.T, s *Session) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end within 10 s")
	}
}

type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(e Event) { l.mu.Lock(); l.events = append(l.events, e); l.mu.Unlock() }
func (l *eventLog) states() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []State
	for _, e := range l.events {
		if e.Status == nil && (len(out) == 0 || out[len(out)-1] != e.State) {
			out = append(out, e.State)
		}
	}
	return out
}

func TestSessionDurationSendsEverythingOnce(t *testing.T) {
	v, a := newFakes()
	pub, rec := &fakePublisher{}, &fakePublisher{}
	var log eventLog
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Record: rec, Duration: 2 * time.Second,
		QueueLimit: time.Hour, // the fakes produce media faster than real time
		Dial:       func(ctx context.Context, _ func(Status)) (Publisher, error) { return pub, nil },
		OnEvent:    log.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	// 2 s at 30 fps, and ceil(2 s / 21.33 ms) AAC frames.
	for name, p := range map[string]*fakePublisher{"server": pub, "recording": rec} {
		if got := p.count(encode.Video); got != 60 {
			t.Errorf("%s: %d video packets, want 60", name, got)
		}
		if got := p.count(encode.Audio); got != 94 {
			t.Errorf("%s: %d audio packets, want 94", name, got)
		}
		if p.headers != 1 || p.closed != 1 {
			t.Errorf("%s: %d headers, closed %d times; want 1 and 1", name, p.headers, p.closed)
		}
	}
	if v.closed != 1 || a.closed != 1 {
		t.Errorf("encoders closed %d and %d times, want once each", v.closed, a.closed)
	}
	// Reaching the duration makes the session stopping while it drains.
	// The fakes may get there before the destination is live.
	got := log.states()
	if !equalStates(got, []State{StateConnecting, StateLive, StateStopping, StateStopped}) &&
		!equalStates(got, []State{StateConnecting, StateStopping, StateStopped}) {
		t.Errorf("states %v, want connecting, (live,) stopping, stopped", got)
	}
}

func equalStates(a, b []State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSessionDialFailureEndsWithError(t *testing.T) {
	v, a := newFakes()
	v.gate, a.gate = make(chan struct{}), make(chan struct{})
	refused := &StatusError{Op: "publish", Status: Status{Code: "NetStream.Publish.BadName", Level: LevelError}}
	var log eventLog
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a},
		Dial:    func(context.Context, func(Status)) (Publisher, error) { return nil, refused },
		OnEvent: log.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if !errors.Is(s.Err(), ErrRejected) {
		t.Fatalf("Err() = %v, want ErrRejected", s.Err())
	}
	if s.State() != StateError {
		t.Errorf("state %v, want error", s.State())
	}
	if got, want := log.states(), []State{StateConnecting, StateError}; !equalStates(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
}

func TestSessionStopWhileConnectingReturnsAtOnce(t *testing.T) {
	v, a := newFakes()
	v.gate, a.gate = make(chan struct{}), make(chan struct{})
	dialing := make(chan struct{})
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a},
		Dial: func(ctx context.Context, _ func(Status)) (Publisher, error) {
			close(dialing)
			<-ctx.Done()
			return nil, ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	<-dialing
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Stop waited for the connection attempt to time out")
	}
	if s.State() != StateStopped {
		t.Errorf("state %v, want stopped", s.State())
	}
}

func TestSessionSendFailureKeepsRecording(t *testing.T) {
	v, a := newFakes()
	// Paced: unpaced packets would all be queued at once, and the queue
	// would drop the video before the first send.
	v.paced, a.paced = true, true
	pub, rec := &fakePublisher{failAfter: 10}, &fakePublisher{}
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Record: rec, Duration: time.Second,
		Reconnect: ReconnectPolicy{Disabled: true},
		Dial:      func(context.Context, func(Status)) (Publisher, error) { return pub, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if s.Err() == nil {
		t.Fatal("a failed send did not end the session with an error")
	}
	if rec.closed != 1 || rec.headers != 1 {
		t.Errorf("recording: headers %d, closed %d; want 1, 1", rec.headers, rec.closed)
	}
	if rec.count(encode.Video) == 0 {
		t.Error("recording is empty")
	}
}

func TestSessionRecordFailureWarnsAndStreamGoesOn(t *testing.T) {
	v, a := newFakes()
	pub, rec := &fakePublisher{}, &fakePublisher{failAfter: 5}
	var log eventLog
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Record: rec, Duration: time.Second, OnEvent: log.add,
		QueueLimit: time.Hour,
		Dial:       func(context.Context, func(Status)) (Publisher, error) { return pub, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	if pub.count(encode.Video) != 30 {
		t.Errorf("server got %d video packets, want 30", pub.count(encode.Video))
	}
	if rec.closed != 1 {
		t.Errorf("recording closed %d times, want 1", rec.closed)
	}
	warned := false
	for _, e := range log.events {
		if e.Err != nil && e.State != StateError {
			warned = true
		}
	}
	if !warned {
		t.Error("no warning event for the failed recording")
	}
}

func TestSessionStatsAndBitrate(t *testing.T) {
	v, a := newFakes()
	v.gate = make(chan struct{})
	a.gate = make(chan struct{})
	pub := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a},
		Dial: func(context.Context, func(Status)) (Publisher, error) { return pub, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	// Audio up to past the third frame lets the interleaver send it.
	for i := 0; i < 3; i++ {
		v.gate <- struct{}{}
	}
	for i := 0; i < 5; i++ {
		a.gate <- struct{}{}
	}
	deadline := time.After(5 * time.Second)
	for s.Stats().FramesSent < 3 {
		select {
		case <-pub.wrote:
		case <-deadline:
			t.Fatalf("stats show %d frames sent, want 3", s.Stats().FramesSent)
		}
	}
	st := s.Stats()
	if want := uint64(100 * (pub.count(encode.Video) + pub.count(encode.Audio))); st.State != StateLive || st.TargetKbps != 1000 || st.BytesSent != want {
		t.Errorf("stats %+v: want live, target 1000, %d bytes", st, want)
	}
	if err := s.SetBitrate(800); err != nil || v.bitrate != 800 || s.Stats().TargetKbps != 800 {
		t.Errorf("SetBitrate: err %v, encoder %d, stats %d", err, v.bitrate, s.Stats().TargetKbps)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pub.closed != 1 {
		t.Errorf("publisher closed %d times, want 1", pub.closed)
	}
}

func TestSessionEncoderFailure(t *testing.T) {
	v, a := newFakes()
	v.failAt = 5
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: &fakePublisher{}})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if s.Err() == nil || s.State() != StateError {
		t.Fatalf("err %v state %v, want an error", s.Err(), s.State())
	}
}
