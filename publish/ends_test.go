package publish

import (
	"context"
	"testing"
	"time"

	"studio/encode"
)

// TestStopEndsBothTracksTogether: audio that started before the video and
// runs 80 ms behind it (capture and encoder delay) loses what precedes the
// first keyframe, and a Stop lets it catch up to the last video frame.
func TestStopEndsBothTracksTogether(t *testing.T) {
	v, a := newFakes()
	v.paced, a.paced = true, true
	a.offset, a.delay = -40*time.Millisecond, 80*time.Millisecond
	rec := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: rec, QueueLimit: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for rec.count(encode.Video) < 15 {
		select {
		case <-rec.wrote:
		case <-deadline:
			t.Fatal("the recording got no video")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	first := rec.packets[0]
	if first.Kind != encode.Video || !first.Keyframe {
		t.Fatalf("the recording starts with %v (keyframe %v)", first.Kind, first.Keyframe)
	}
	var lastA, lastV time.Duration
	for _, p := range rec.packets {
		if p.DTS < first.DTS {
			t.Errorf("%v packet at %v, before the first keyframe at %v", p.Kind, p.DTS, first.DTS)
		}
		if p.Kind == encode.Audio {
			lastA = p.PTS
		} else {
			lastV = p.PTS
		}
	}
	frame := 1024 * time.Second / 48000
	if d := lastV - lastA; d < 0 || d > frame {
		t.Errorf("audio ends at %v, video at %v: want them within one AAC frame (%v)", lastA, lastV, frame)
	}
}
