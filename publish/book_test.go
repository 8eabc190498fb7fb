package publish

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// OnEvent may read the session and call its methods that do not wait (here
// AddDestination, whose own events then follow in order) without a
// deadlock.
func TestOnEventMayCallTheSession(t *testing.T) {
	v, a := pacedFakes()
	var s atomic.Pointer[Session]
	var log eventLog
	added := make(chan error, 1)
	moreLive := make(chan struct{})
	var once sync.Once
	gate := make(chan struct{})
	cfg := Config{
		Video: v, Audio: fakeAudio{a},
		// Live only once the test holds the session.
		Dial: func(ctx context.Context, _ func(Status)) (Publisher, error) {
			select {
			case <-gate:
				return &fakePublisher{}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		OnEvent: func(ev Event) {
			ss := s.Load()
			if ss == nil { // the first event comes from Start itself
				log.add(ev)
				return
			}
			_ = ss.Stats()
			_ = ss.State()
			log.add(ev)
			if ev.Destination == "more" && ev.DestinationState == StateLive {
				once.Do(func() { close(moreLive) })
			}
			if ev.State == StateLive && ev.Destination == "stream" {
				select {
				case added <- ss.AddDestination(Destination{Name: "more", Dial: dialTo(&fakePublisher{})}):
				default:
				}
			}
		},
	}
	ss, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Store(ss)
	close(gate)
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	select {
	case <-moreLive:
	case <-time.After(10 * time.Second):
		t.Fatal("the destination added from OnEvent did not go live")
	}
	if err := ss.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := log.states()
	if len(got) == 0 || got[len(got)-1] != StateStopped {
		t.Errorf("states %v, want them to end with stopped", got)
	}
	checkStoppingIsFinal(t, &log)
}
