package publish

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"studio/capture"
	"studio/publish/health"
)

// switchable is a capture.Reporter whose status a test sets.
type switchable struct {
	st atomic.Pointer[capture.SourceStatus]
}

func (r *switchable) Status() capture.SourceStatus { return *r.st.Load() }

// The session diagnoses its health once a second of its clock, and Stats
// carries the verdict, the session's and each destination's.
func TestStatsCarryHealth(t *testing.T) {
	v, a := pacedFakes()
	mic := &switchable{}
	mic.st.Store(&capture.SourceStatus{Device: "desk mic"})
	clock := newFakeClock()
	pub := &fakePublisher{}
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, AudioSource: mic, Clock: clock,
		Destinations: []Destination{{Name: "rtmp://a/live/****", Dial: (&dialer{pubs: []*fakePublisher{pub}}).dial}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	// tick moves the clock one stats tick at a time.
	tick := func(n int) {
		for range n {
			clock.advance(clock.waitTimer(t, time.Nanosecond, time.Second))
		}
	}
	tick(4)
	if st := s.Stats(); st.Health != health.OK || len(st.Destinations) != 1 || st.Destinations[0].Health != health.OK {
		t.Fatalf("a clean start: %+v, destinations %+v", st.Health, st.Destinations)
	}
	mic.st.Store(&capture.SourceStatus{Device: "desk mic", State: capture.SourceLost})
	tick(4)
	// The fourth tick's diagnosis runs on the stats goroutine.
	deadline := time.Now().Add(10 * time.Second)
	st := s.Stats()
	for st.Health.Cause != health.Audio && time.Now().Before(deadline) {
		runtime.Gosched()
		st = s.Stats()
	}
	if st.Health.Status != health.Bad || st.Health.Cause != health.Audio {
		t.Fatalf("microphone lost: %+v", st.Health)
	}
	if st.Destinations[0].Health != health.OK {
		t.Errorf("the destination's own health: %+v, want good", st.Destinations[0].Health)
	}
}
