package publish

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	added  chan struct{} // signalled on every NewTimer
}

type fakeTimer struct {
	clock   *fakeClock
	ch      chan time.Time
	at      time.Time
	stopped bool // guarded by clock.mu
	fired   bool // guarded by clock.mu
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), added: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1), at: c.now.Add(d)}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}

// advance moves the clock by d and fires the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	live := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped || t.fired:
		case !t.at.After(c.now):
			t.fired = true
			t.ch <- c.now
		default:
			live = append(live, t)
		}
	}
	c.timers = live
}

// waitTimer waits until a timer due in [lo, hi] from now is pending, and
// returns how far off it is.
func (c *fakeClock) waitTimer(t *testing.T, lo, hi time.Duration) time.Duration {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		for _, tm := range c.timers {
			if d := tm.at.Sub(c.now); !tm.stopped && !tm.fired && d >= lo && d <= hi {
				c.mu.Unlock()
				return d
			}
		}
		c.mu.Unlock()
		select {
		case <-c.added:
		case <-deadline:
			t.Fatalf("no timer due in %v to %v was set within 10 s", lo, hi)
		}
	}
}

// A lost connection waits its backoff on the session's clock: no new
// attempt until the clock has moved that far, one as soon as it has.
func TestReconnectWaitsOnTheSessionClock(t *testing.T) {
	v, a := pacedFakes()
	lost := &fakePublisher{failAfter: 20}
	back := &fakePublisher{wrote: make(chan struct{}, 1)}
	d := &dialer{pubs: []*fakePublisher{lost, back}}
	clock := newFakeClock()
	states := make(chan State, 64)
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Dial: d.dial, Clock: clock,
		// 3 s ± 20%: far from the stats tick (250 ms) on the same clock.
		Reconnect: ReconnectPolicy{FirstDelay: 3 * time.Second},
		OnEvent: func(ev Event) {
			select {
			case states <- ev.State:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	wait := clock.waitTimer(t, 2400*time.Millisecond, 3600*time.Millisecond)
	if n := d.count(); n != 1 {
		t.Fatalf("%d connection attempts before the clock moved, want 1", n)
	}
	if got := s.State(); got != StateReconnecting {
		t.Errorf("state %v while waiting to reconnect, want reconnecting", got)
	}
	clock.advance(wait - time.Millisecond)
	if n := d.count(); n != 1 {
		t.Fatalf("%d connection attempts 1 ms before the backoff ended, want 1", n)
	}
	clock.advance(time.Millisecond)
	waitVideo(t, back, 5, "the reconnected stream")
	if n := d.count(); n != 2 {
		t.Errorf("%d connection attempts, want 2", n)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
