package publish

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"studio/encode"
)

// stallPublisher takes its header and then blocks every write until
// unblocked (or aborted, as a stalled disk is).
type stallPublisher struct {
	fakePublisher
	blocked chan struct{} // closed by the first write that blocks
	release chan struct{} // closed to let writes through
	once    sync.Once
	abort   sync.Once
}

func newStall() *stallPublisher {
	return &stallPublisher{blocked: make(chan struct{}), release: make(chan struct{})}
}

func (p *stallPublisher) WritePacket(pk *encode.Packet) error {
	p.once.Do(func() { close(p.blocked) })
	<-p.release
	return p.fakePublisher.WritePacket(pk)
}

func (p *stallPublisher) Abort() { p.abort.Do(func() { close(p.release) }) }

func dialTo(pub Publisher) DialFunc {
	return func(context.Context, func(Status)) (Publisher, error) { return pub, nil }
}

// waitVideo waits until p, whose wrote channel is set, has n video
// packets.
func waitVideo(t *testing.T, p *fakePublisher, n int, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for p.count(encode.Video) < n {
		select {
		case <-p.wrote:
		case <-deadline:
			t.Fatalf("%s: %d of %d video packets", what, p.count(encode.Video), n)
		}
	}
}

// checkOrder fails when a publisher got packets out of DTS order, or a
// first packet that is not a video keyframe at zero.
func checkOrder(t *testing.T, name string, p *fakePublisher) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.packets) == 0 {
		t.Errorf("%s: no packets", name)
		return
	}
	if first := p.packets[0]; first.Kind != encode.Video || !first.Keyframe || first.DTS != 0 {
		t.Errorf("%s: first packet %v key %v at %v, want a video keyframe at 0", name, first.Kind, first.Keyframe, first.DTS)
	}
	for i := 1; i < len(p.packets); i++ {
		if p.packets[i].DTS < p.packets[i-1].DTS {
			t.Errorf("%s: packet %d at %v after one at %v", name, i, p.packets[i].DTS, p.packets[i-1].DTS)
			return
		}
	}
}

// One destination that stops taking data never holds up another: the other
// gets every frame, drops none and stays live.
func TestStalledDestinationLeavesTheOtherAlone(t *testing.T) {
	v, a := pacedFakes()
	stalled, good := newStall(), &fakePublisher{wrote: make(chan struct{}, 1)}
	var log eventLog
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Duration: time.Second, OnEvent: log.add,
		Destinations: []Destination{{Name: "a", Dial: dialTo(stalled)}, {Name: "b", Dial: dialTo(good)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	<-stalled.blocked
	// Both tracks end at 1 s; b must have all of it while a is stuck.
	waitVideo(t, good, 30, "b, while a was stalled")
	st := s.Stats()
	if len(st.Destinations) != 2 {
		t.Fatalf("%d destinations in stats, want 2", len(st.Destinations))
	}
	a0, b0 := st.Destinations[0], st.Destinations[1]
	if b0.Name != "b" || b0.FramesDropped != 0 || b0.FramesSent != 30 {
		t.Errorf("b: %+v, want 30 frames sent and none dropped", b0)
	}
	if a0.Name != "a" || a0.FramesSent != 0 {
		t.Errorf("a: %+v, want nothing sent", a0)
	}
	stalled.Abort()
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	checkOrder(t, "b", good)
	checkOrder(t, "a", &stalled.fakePublisher)
	checkStoppingIsFinal(t, &log)
}

// A recording on a disk that stalls never holds up the stream, and Stop
// with a deadline cuts it short.
func TestStalledRecordingLeavesTheStreamAlone(t *testing.T) {
	v, a := pacedFakes()
	disk, live := newStall(), &fakePublisher{wrote: make(chan struct{}, 1)}
	var log eventLog
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Record: disk, Dial: dialTo(live), OnEvent: log.add,
		RecordQueueLimit: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	<-disk.blocked
	waitVideo(t, live, 30, "the stream, while the disk stalled")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	begun := time.Now()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begun); took > 3*time.Second {
		t.Errorf("Stop took %v with a stalled disk", took)
	}
	if st := s.Stats(); st.FramesDropped != 0 {
		t.Errorf("the stream dropped %d frames", st.FramesDropped)
	}
	slow := false
	log.mu.Lock()
	for _, e := range log.events {
		slow = slow || errors.Is(e.Err, ErrDiskSlow)
	}
	log.mu.Unlock()
	if !slow {
		t.Error("no event said the disk is too slow")
	}
	checkOrder(t, "stream", live)
	checkStoppingIsFinal(t, &log)
}

// A destination added to a running session starts on a keyframe at zero.
func TestJoinedDestinationStartsAtZero(t *testing.T) {
	v, a := pacedFakes()
	rec, joined := &fakePublisher{wrote: make(chan struct{}, 1)}, &fakePublisher{}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	waitVideo(t, rec, 10, "the recording")
	if err := s.AddDestination(Destination{Name: "late", Dial: dialTo(joined)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for joined.count(encode.Video) < 10 {
		select {
		case <-rec.wrote:
		case <-deadline:
			t.Fatal("the joined destination got no video")
		}
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOrder(t, "late", joined)
	checkOrder(t, "recording", rec)
}

// A destination that is refused ends on its own; the other streams on and
// the session ends cleanly.
func TestRefusedDestinationLeavesTheOther(t *testing.T) {
	v, a := pacedFakes()
	good := &fakePublisher{wrote: make(chan struct{}, 1)}
	refused := func(context.Context, func(Status)) (Publisher, error) {
		return nil, &StatusError{Op: "publish", Status: Status{Code: "NetStream.Publish.BadName", Level: LevelError}}
	}
	var log eventLog
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, OnEvent: log.add,
		Destinations: []Destination{{Name: "bad", Dial: refused}, {Name: "good", Dial: dialTo(good)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitVideo(t, good, 10, "the good destination")
	st := s.Stats()
	if st.State != StateLive || st.Destinations[0].State != StateError || st.Destinations[1].State != StateLive {
		t.Errorf("states: session %v, bad %v, good %v; want live, error, live", st.State, st.Destinations[0].State, st.Destinations[1].State)
	}
	if !errors.Is(st.Destinations[0].Err, ErrRejected) {
		t.Errorf("bad destination's error %v, want ErrRejected", st.Destinations[0].Err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v, want a clean end", err)
	}
	checkStoppingIsFinal(t, &log)
}

// checkStoppingIsFinal fails when the session reported live, connecting or
// reconnecting after it reported stopping.
func checkStoppingIsFinal(t *testing.T, l *eventLog) {
	t.Helper()
	stopping := false
	for _, st := range l.states() {
		if st == StateStopping || st == StateStopped {
			stopping = true
		} else if stopping {
			t.Errorf("states %v: %v after stopping", l.states(), st)
			return
		}
	}
}

// A session that ends by itself with its disk stalled ends once the
// recording has had recordDrain to finish, not when the disk comes back.
func TestStalledRecordingDoesNotHoldUpTheEnd(t *testing.T) {
	v, a := pacedFakes()
	disk, live := newStall(), &fakePublisher{}
	begun := time.Now()
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: disk, Dial: dialTo(live), Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if took := time.Since(begun); took > time.Second+recordDrain+2*time.Second {
		t.Errorf("the session took %v to end with a stalled disk, want ≤ %v", took, time.Second+recordDrain+2*time.Second)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if n := live.count(encode.Video); n < 28 {
		t.Errorf("the stream got %d of 30 frames", n)
	}
}
