package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"studio/encode"
)

func pacedFakes() (*fakeEncoder, *fakeEncoder) {
	v, a := newFakes()
	v.paced, a.paced = true, true
	return v, a
}

// dialer hands out publishers in order and records when it was called.
type dialer struct {
	mu    sync.Mutex
	pubs  []*fakePublisher
	errs  []error // errs[i] is returned by call i when pubs[i] is nil
	calls []time.Time
}

func (d *dialer) dial(ctx context.Context, _ func(Status)) (Publisher, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := len(d.calls)
	d.calls = append(d.calls, time.Now())
	if i < len(d.pubs) && d.pubs[i] != nil {
		return d.pubs[i], nil
	}
	if i < len(d.errs) && d.errs[i] != nil {
		return nil, d.errs[i]
	}
	return nil, errors.New("no more publishers")
}

func (d *dialer) count() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.calls) }

func TestSessionReconnectsAndResumesOnKeyframe(t *testing.T) {
	v, a := pacedFakes()
	first, second := &fakePublisher{failAfter: 20}, &fakePublisher{}
	d := &dialer{pubs: []*fakePublisher{first, second}}
	var log eventLog
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Dial: d.dial, Duration: 2500 * time.Millisecond, OnEvent: log.add})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	if got := s.Stats().Reconnects; got != 1 {
		t.Errorf("%d reconnects, want 1", got)
	}
	if second.headers != 1 {
		t.Fatalf("second connection got %d headers, want 1", second.headers)
	}
	var firstVideo *encode.Packet
	var last [3]time.Duration
	for i, p := range second.packets {
		if p.Kind == encode.Video && firstVideo == nil {
			firstVideo = &second.packets[i]
		}
		if p.DTS < last[p.Kind] {
			t.Errorf("%v DTS went back from %v to %v", p.Kind, last[p.Kind], p.DTS)
		}
		last[p.Kind] = p.DTS
	}
	if firstVideo == nil || !firstVideo.Keyframe {
		t.Errorf("second connection's first video packet %+v, want a keyframe", firstVideo)
	}
	if second.count(encode.Video) < 20 {
		t.Errorf("second connection got %d video packets", second.count(encode.Video))
	}
	if gap := d.calls[1].Sub(d.calls[0]); gap > 2*time.Second {
		t.Errorf("reconnected %v after the first connection", gap)
	}
	want := []State{StateConnecting, StateLive, StateReconnecting, StateLive, StateStopping, StateStopped}
	if got := log.states(); !equalStates(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
}

func TestSessionRefusalsAreRetriedSlowlyThenGivenUp(t *testing.T) {
	v, a := pacedFakes()
	refused := &StatusError{Op: "publish", Status: Status{Code: "NetStream.Publish.BadName", Level: LevelError}}
	d := &dialer{
		pubs: []*fakePublisher{{failAfter: 5}},
		errs: []error{nil, refused, refused, refused},
	}
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Dial: d.dial,
		Reconnect: ReconnectPolicy{FirstDelay: time.Millisecond, RefusedDelay: 50 * time.Millisecond, MaxRefusals: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if !errors.Is(s.Err(), ErrRejected) {
		t.Fatalf("Err() = %v, want ErrRejected", s.Err())
	}
	if got := d.count(); got != 4 {
		t.Errorf("%d dial attempts, want 1 + 3", got)
	}
	for i := 2; i < len(d.calls); i++ {
		if gap := d.calls[i].Sub(d.calls[i-1]); gap < 40*time.Millisecond {
			t.Errorf("retry %d came %v after a refusal, want ≥ 40ms", i, gap)
		}
	}
}

func TestSessionReconnectNowSkipsTheWait(t *testing.T) {
	v, a := pacedFakes()
	d := &dialer{pubs: []*fakePublisher{{failAfter: 5}, {}}}
	reconnecting := make(chan struct{}, 1)
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a}, Dial: d.dial,
		Reconnect: ReconnectPolicy{FirstDelay: time.Hour, MaxDelay: time.Hour},
		OnEvent: func(e Event) {
			if e.State == StateReconnecting && e.Status == nil {
				select {
				case reconnecting <- struct{}{}:
				default:
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	select {
	case <-reconnecting:
	case <-time.After(10 * time.Second):
		t.Fatal("the session never started reconnecting")
	}
	s.ReconnectNow()
	deadline := time.After(10 * time.Second)
	for d.count() < 2 || s.State() != StateLive {
		select {
		case <-deadline:
			t.Fatalf("ReconnectNow did not reconnect: %d dials, state %v", d.count(), s.State())
		case <-time.After(5 * time.Millisecond): // polls the state the event already reported
		}
	}
}

// deadPublisher reports a dead connection through Done without any write
// failing.
type deadPublisher struct {
	fakePublisher
	done chan struct{}
}

func (p *deadPublisher) Done() <-chan struct{} { return p.done }
func (p *deadPublisher) Err() error            { return errors.New("server stopped answering") }

func TestSessionNoticesDeadConnectionWithoutWriting(t *testing.T) {
	v, a := newFakes()
	v.gate, a.gate = make(chan struct{}), make(chan struct{})
	dead := &deadPublisher{done: make(chan struct{})}
	var mu sync.Mutex
	calls := 0
	lost := make(chan error, 1)
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a},
		Dial: func(context.Context, func(Status)) (Publisher, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 1 {
				return dead, nil
			}
			return &fakePublisher{}, nil
		},
		OnEvent: func(e Event) {
			if e.State == StateReconnecting && e.Err != nil {
				select {
				case lost <- e.Err:
				default:
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	v.gate <- struct{}{} // one frame, so that the stream goes live
	deadline := time.After(10 * time.Second)
	for s.State() != StateLive {
		select {
		case <-deadline:
			t.Fatal("never live")
		case <-time.After(5 * time.Millisecond):
		}
	}
	close(dead.done)
	select {
	case err := <-lost:
		if err == nil || !contains(err.Error(), "server stopped answering") {
			t.Errorf("loss reported as %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not notice the dead connection")
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestBackoff(t *testing.T) {
	b := newBackoff(ReconnectPolicy{}.withDefaults())
	b.jitter = func() float64 { return 0.5 } // no jitter
	want := []time.Duration{250 * time.Millisecond, 375 * time.Millisecond, 562500 * time.Microsecond}
	for i, w := range want {
		if d, ok := b.delay(errors.New("lost")); !ok || d != w {
			t.Errorf("delay %d = %v, want %v", i, d, w)
		}
	}
	for i := 0; i < 20; i++ {
		b.delay(errors.New("lost"))
	}
	if d, _ := b.delay(errors.New("lost")); d != 30*time.Second {
		t.Errorf("capped delay %v, want 30s", d)
	}
	b.reset()
	refused := &StatusError{Op: "publish"}
	if d, _ := b.delay(refused); d != 5*time.Second {
		t.Errorf("delay after a refusal %v, want 5s", d)
	}
	b.jitter = func() float64 { return 0.999 }
	b.reset()
	if d, _ := b.delay(errors.New("lost")); d > 300*time.Millisecond {
		t.Errorf("first retry after %v with the most jitter, want ≤ 300ms", d)
	}
	if retryable(ErrTLS) || retryable(ErrBadURL) || !retryable(ErrTimeout) || !retryable(refused) {
		t.Error("retryable misjudges the sentinels")
	}
}

func TestRateControllerAdaptsAndRecovers(t *testing.T) {
	c := newRateController(AdaptivePolicy{}, 2500)
	now := time.Unix(0, 0)
	tick := func(d time.Duration) { now = now.Add(d) }
	// A 1000 kbit/s link: the queue grows while 1000 kbit/s gets through.
	kbps, changed := c.update(now, 400*time.Millisecond, 1000, 2600, 100)
	if !changed || kbps != 1250 {
		t.Fatalf("first cut to %d (changed %v), want 1250: never more than halving at once", kbps, changed)
	}
	tick(500 * time.Millisecond)
	if k, changed := c.update(now, 450*time.Millisecond, 1000, 1300, 100); changed {
		t.Errorf("cut again to %d within a second", k)
	}
	tick(time.Second)
	if k, changed := c.update(now, 350*time.Millisecond, 1000, 1300, 100); changed {
		t.Errorf("cut again to %d while the last cut was draining the queue", k)
	}
	tick(time.Second)
	if kbps, changed = c.update(now, 500*time.Millisecond, 1000, 1300, 100); !changed || kbps > 1000*85/100-100 {
		t.Fatalf("second cut to %d (changed %v), want ≤ %d", kbps, changed, 1000*85/100-100)
	}
	for i := 0; i < 20; i++ { // a link that keeps shrinking: never below the floor
		tick(time.Second)
		kbps, _ = c.update(now, 600*time.Millisecond, 50, 150, 100)
	}
	if kbps != 200 {
		t.Errorf("bitrate %d on a dead-slow link, want the 200 kbit/s floor", kbps)
	}
	// The link clears: back to the user's target within 30 s, step by step.
	var steps int
	start := now
	for now.Sub(start) < 30*time.Second && kbps < 2500 {
		tick(250 * time.Millisecond)
		var changed bool
		prev := kbps
		kbps, changed = c.update(now, 10*time.Millisecond, 0, float64(kbps)+100, 100)
		if changed {
			steps++
			if kbps > max(prev*12/10, prev+250) {
				t.Errorf("stepped from %d to %d at once", prev, kbps)
			}
		}
	}
	if kbps != 2500 {
		t.Errorf("bitrate %d after 30 s of a clear link, want 2500", kbps)
	}
	if steps < 5 {
		t.Errorf("recovered in %d steps, want gradual", steps)
	}
	tick(time.Minute)
	if kbps, _ = c.update(now, 0, 0, 3000, 100); kbps != 2500 {
		t.Errorf("bitrate %d above the user's target", kbps)
	}
}

func TestRateControllerHoldsBelowTheLinkAfterCongestion(t *testing.T) {
	c := newRateController(AdaptivePolicy{}, 2500)
	now := time.Unix(0, 0)
	c.update(now, 400*time.Millisecond, 1000, 1500, 100) // halves to 1250
	now = now.Add(1500 * time.Millisecond)
	c.update(now, 500*time.Millisecond, 1000, 1300, 100) // the link carried 900 kbit/s of video
	var kbps int
	for i := 0; i < 24; i++ { // 6 s of a clear link: within the hold
		now = now.Add(250 * time.Millisecond)
		kbps, _ = c.update(now, 0, 0, float64(kbps)+100, 100)
	}
	if kbps > 900*85/100 {
		t.Errorf("stepped up to %d within the hold, want ≤ %d", kbps, 900*85/100)
	}
	for i := 0; i < 40; i++ { // 10 s more: probing resumes
		now = now.Add(250 * time.Millisecond)
		kbps, _ = c.update(now, 0, 0, float64(kbps)+100, 100)
	}
	if kbps <= 900 {
		t.Errorf("still at %d after the hold, want probing above the old ceiling", kbps)
	}
}

// Every failed reconnect attempt is an event with its number and the wait
// before the next; the count starts again after each loss.
func TestFailedReconnectAttemptsAreEvents(t *testing.T) {
	v, a := pacedFakes()
	down := fmt.Errorf("dial: %w", ErrConnect)
	d := &dialer{
		pubs: []*fakePublisher{{failAfter: 5}, nil, nil, {failAfter: 5}, nil, {}},
		errs: []error{nil, down, down, nil, down},
	}
	var log eventLog
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Dial: d.dial, Duration: 1500 * time.Millisecond, OnEvent: log.add,
		Reconnect: ReconnectPolicy{FirstDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	if err := s.Err(); err != nil {
		t.Fatalf("session error: %v", err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	var attempts []int
	for _, e := range log.events {
		if e.Attempt == 0 {
			continue
		}
		attempts = append(attempts, e.Attempt)
		if e.State != StateReconnecting || !errors.Is(e.Err, ErrConnect) || e.RetryIn <= 0 {
			t.Errorf("attempt event %+v, want Reconnecting with the cause and a wait", e)
		}
	}
	if fmt.Sprint(attempts) != "[1 2 1]" {
		t.Errorf("failed attempts numbered %v, want [1 2 1]", attempts)
	}
}
