package publish

import (
	"context"
	"errors"
	"testing"
	"time"

	"studio/encode"
)

// waitCount waits, with a deadline, until p holds at least n packets of kind.
func waitCount(t *testing.T, p *fakePublisher, kind encode.Kind, n int, deadline <-chan time.Time, what string) {
	t.Helper()
	for p.count(kind) < n {
		select {
		case <-p.wrote:
		case <-deadline:
			t.Fatalf("%s: %d of %d packets", what, p.count(kind), n)
		}
	}
}

// eventWaiter hands the session's events to a test as they come.
type eventWaiter chan Event

func (w eventWaiter) add(e Event) {
	select {
	case w <- e:
	default: // a test that stopped listening must not block the session
	}
}

// waitEvent waits for the first event that ok accepts.
func (w eventWaiter) waitEvent(t *testing.T, deadline <-chan time.Time, what string, ok func(Event) bool) Event {
	t.Helper()
	for {
		select {
		case e := <-w:
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no event: %s", what)
		}
	}
}

// Going live while recording, ending the stream, and failing to go live
// again all leave the recording running without a gap.
func TestConnectAndDisconnectWhileRecording(t *testing.T) {
	v, a := pacedFakes()
	v.keyint = 300 // only forced keyframes while the test runs
	rec := &fakePublisher{wrote: make(chan struct{}, 1)}
	events := make(eventWaiter, 256)
	begun := time.Now()
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: rec, OnEvent: events.add})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	deadline := time.After(20 * time.Second)
	waitCount(t, rec, encode.Video, 5, deadline, "recording before Connect")
	connected := time.Now()
	if err := s.Disconnect(context.Background()); !errors.Is(err, ErrNotStreaming) {
		t.Errorf("Disconnect while only recording gave %v, want ErrNotStreaming", err)
	}

	pub := &fakePublisher{wrote: make(chan struct{}, 1)}
	// The connection takes three frames to come up.
	slowDial := func(ctx context.Context, _ func(Status)) (Publisher, error) {
		n := rec.count(encode.Video)
		for rec.count(encode.Video) < n+3 {
			select {
			case <-rec.wrote:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return pub, nil
	}
	if err := s.Connect(Destination{Dial: slowDial}); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := s.Connect(Destination{Dial: func(context.Context, func(Status)) (Publisher, error) { return pub, nil }}); !errors.Is(err, ErrStreaming) {
		t.Errorf("a second Connect gave %v, want ErrStreaming", err)
	}
	events.waitEvent(t, deadline, "connecting", func(e Event) bool { return e.State == StateConnecting })
	events.waitEvent(t, deadline, "live", func(e Event) bool { return e.State == StateLive })
	waitCount(t, pub, encode.Video, 10, deadline, "stream after Connect")
	pub.mu.Lock()
	// The stream starts at zero with a keyframe, and no packet comes from
	// before it.
	if first := pub.packets[0]; first.Kind != encode.Video || !first.Keyframe || first.DTS != 0 {
		t.Errorf("the stream starts with %+v, want a video keyframe at 0", first)
	}
	for _, p := range pub.packets {
		if p.DTS < 0 {
			t.Errorf("packet before the stream's start: %+v", p)
		}
	}
	headers := pub.headers
	pub.mu.Unlock()
	if headers != 1 {
		t.Errorf("stream got %d headers, want 1", headers)
	}
	// Frames from before the stream's first keyframe were never the
	// stream's: none counts as dropped. Uptime counts from going live.
	st := s.Stats()
	if st.FramesDropped != 0 {
		t.Errorf("%d frames dropped in a stream that lost none", st.FramesDropped)
	}
	if up := st.Uptime; up <= 0 || up > time.Since(connected) {
		t.Errorf("uptime %v while live, want (0, %v]", up, time.Since(connected))
	}

	if err := s.Disconnect(context.Background()); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	pub.mu.Lock()
	closed, sent := pub.closed, len(pub.packets)
	pub.mu.Unlock()
	if closed != 1 {
		t.Errorf("the stream's publisher was closed %d times, want 1", closed)
	}
	if got := s.State(); got != StateLive {
		t.Errorf("state after Disconnect = %v, want %v (recording)", got, StateLive)
	}
	// Recording only again: the uptime is the session's.
	if up := s.Stats().Uptime; up < time.Since(connected) || up > time.Since(begun) {
		t.Errorf("uptime %v after Disconnect, want the session's, between %v and %v", up, time.Since(connected), time.Since(begun))
	}
	n := rec.count(encode.Video)
	waitCount(t, rec, encode.Video, n+5, deadline, "recording after Disconnect")
	if got := len(pub.packets); got != sent {
		t.Errorf("the stream got %d packets after Disconnect", got-sent)
	}

	// A destination that refuses: only the stream ends.
	refused := errors.New("refused")
	if err := s.Connect(Destination{Dial: func(context.Context, func(Status)) (Publisher, error) { return nil, refused }}); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	e := events.waitEvent(t, deadline, "stream ended", func(e Event) bool { return e.Err != nil })
	if !errors.Is(e.Err, ErrStreamEnded) || !errors.Is(e.Err, refused) || e.State != StateLive {
		t.Errorf("event after a refused Connect: state %v, err %v; want %v with ErrStreamEnded and the cause", e.State, e.Err, StateLive)
	}
	n = rec.count(encode.Video)
	waitCount(t, rec, encode.Video, n+5, deadline, "recording after a failed Connect")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// The recording has every frame: one header, and video PTS in steps of
	// one frame from the first to the last.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.headers != 1 || rec.closed != 1 {
		t.Errorf("recording: %d headers, closed %d times; want 1 and 1", rec.headers, rec.closed)
	}
	// The fake's video frame n has PTS n×(1 s/30).
	next := -1
	for _, p := range rec.packets {
		if p.Kind != encode.Video {
			continue
		}
		n := int((p.PTS*30 + time.Second/2) / time.Second)
		if next >= 0 && n != next {
			t.Fatalf("recording has a gap: video frame %d after %d", n, next-1)
		}
		next = n + 1
	}
	if err := s.Connect(Destination{Dial: func(context.Context, func(Status)) (Publisher, error) { return pub, nil }}); !errors.Is(err, ErrClosed) {
		t.Errorf("Connect after Stop gave %v, want ErrClosed", err)
	}
}

// Disconnect on a session started with a destination keeps the recording.
func TestDisconnectKeepsRecordingOfStartStream(t *testing.T) {
	v, a := pacedFakes()
	pub := &fakePublisher{wrote: make(chan struct{}, 1)}
	rec := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: rec,
		Dial: func(context.Context, func(Status)) (Publisher, error) { return pub, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	deadline := time.After(20 * time.Second)
	waitCount(t, pub, encode.Video, 5, deadline, "stream")
	if err := s.Disconnect(context.Background()); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	n := rec.count(encode.Video)
	waitCount(t, rec, encode.Video, n+5, deadline, "recording after Disconnect")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if s.Err() != nil {
		t.Errorf("session error %v after Disconnect and Stop", s.Err())
	}
}
