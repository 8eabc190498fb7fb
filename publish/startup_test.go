package publish

import (
	"context"
	"testing"
	"time"
)

// The link's first estimate replaces a higher target at once, however far
// below it is; the controller then holds as after any cut.
func TestRateControllerTakesTheLinksFirstEstimate(t *testing.T) {
	now := time.Unix(0, 0)
	c := newRateController(AdaptivePolicy{}, 2500)
	c.learnUntil = now.Add(startupWindow)
	if kbps, moved := c.learn(now, 0, 128, 0); moved || kbps != 2500 || !c.learning(now) {
		t.Fatalf("no estimate yet: %d (moved %v), learning %v; want 2500, still learning", kbps, moved, c.learning(now))
	}
	now = now.Add(250 * time.Millisecond)
	kbps, moved := c.learn(now, 1000, 128, 900*time.Millisecond)
	if want := int(1000*0.85 - 128); !moved || kbps != want {
		t.Fatalf("first estimate of 1000 kbit/s: target %d (moved %v), want %d at once", kbps, moved, want)
	}
	if c.learning(now) {
		t.Error("still learning after the first estimate")
	}
	now = now.Add(500 * time.Millisecond)
	if k, moved := c.update(now, 700*time.Millisecond, 1000, 2000, 128); moved {
		t.Errorf("cut again to %d while the start-up backlog drains", k)
	}

	// A link that carries the target leaves it alone; so does an estimate
	// that comes after the start-up window.
	fast := newRateController(AdaptivePolicy{}, 2500)
	fast.learnUntil = now.Add(startupWindow)
	if kbps, moved := fast.learn(now, 8000, 128, 0); moved || kbps != 2500 {
		t.Errorf("fast link: target %d (moved %v), want 2500", kbps, moved)
	}
	late := newRateController(AdaptivePolicy{}, 2500)
	late.learnUntil = now.Add(startupWindow)
	if kbps, moved := late.learn(now.Add(startupWindow), 1000, 128, 0); moved || kbps != 2500 {
		t.Errorf("estimate after the window: target %d (moved %v), want 2500", kbps, moved)
	}
}

// A destination that gives StartKbps starts there: the encoder is set to
// it before the stream's first keyframe, which is asked for after, so that
// it is made at that rate; the video made before for the user's target is
// not sent and not counted as dropped.
func TestStartKbpsStartsTheStreamAtIt(t *testing.T) {
	v, a := pacedFakes()
	v.keyint = 300 // only the first frame and forced ones are keyframes
	pub := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a},
		Destinations: []Destination{{Name: "known", Dial: dialTo(pub), StartKbps: 400}}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop(context.Background()) }()
	waitVideo(t, pub, 5, "known")
	v.mu.Lock()
	bitrate, forced := v.bitrate, v.forced
	v.mu.Unlock()
	if bitrate != 400 || forced < 1 {
		t.Errorf("encoder at %d kbps with %d keyframes asked for, want 400 and at least one", bitrate, forced)
	}
	st := s.Stats()
	if d := st.Destinations[0]; d.TargetKbps != 400 || d.FramesDropped != 0 {
		t.Errorf("destination target %d kbps, %d frames dropped; want 400 and none", d.TargetKbps, d.FramesDropped)
	}
	pub.mu.Lock()
	first := pub.packets[0]
	pub.mu.Unlock()
	checkOrder(t, "known", pub)
	if first.PTS != 0 {
		t.Errorf("first packet at %v after rebasing", first.PTS)
	}
}

// A StartKbps above the user's target starts at the target; one the link
// surely carries needs no new keyframe.
func TestStartKbpsAboveTheTarget(t *testing.T) {
	v, a := pacedFakes()
	pub := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a},
		Destinations: []Destination{{Name: "fast", Dial: dialTo(pub), StartKbps: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop(context.Background()) }()
	waitVideo(t, pub, 5, "fast")
	if d := s.Stats().Destinations[0]; d.TargetKbps != 1000 {
		t.Errorf("target %d kbps, want the user's 1000", d.TargetKbps)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.forced != 0 {
		t.Errorf("%d keyframes asked for, want none", v.forced)
	}
}
