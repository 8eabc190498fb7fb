package publish

import (
	"context"
	"errors"
	"testing"
	"time"

	"studio/encode"
)

func TestRecordingStartsAndStopsWhileLive(t *testing.T) {
	v, a := pacedFakes()
	v.keyint = 15 // a keyframe every half second
	pub := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a},
		Dial: func(context.Context, func(Status)) (Publisher, error) { return pub, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	deadline := time.After(10 * time.Second)
	for pub.count(encode.Video) < 10 {
		select {
		case <-pub.wrote:
		case <-deadline:
			t.Fatal("the stream did not start")
		}
	}
	rec := &fakePublisher{wrote: make(chan struct{}, 1)}
	if err := s.StartRecording(rec); err != nil {
		t.Fatalf("StartRecording: %v", err)
	}
	if !s.Stats().Recording {
		t.Error("stats do not show the recording")
	}
	if err := s.StartRecording(&fakePublisher{}); !errors.Is(err, ErrRecording) {
		t.Errorf("a second StartRecording gave %v, want ErrRecording", err)
	}
	for rec.count(encode.Video) < 10 {
		select {
		case <-rec.wrote:
		case <-deadline:
			t.Fatal("the recording got no video")
		}
	}
	if err := s.StopRecording(); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	first := rec.packets[0]
	headers, closed := rec.headers, rec.closed
	rec.mu.Unlock()
	if headers != 1 || closed != 1 {
		t.Errorf("recording: %d headers, closed %d times; want 1 and 1", headers, closed)
	}
	if first.Kind != encode.Video || !first.Keyframe {
		t.Errorf("recording starts with %+v, want a video keyframe", first)
	}
	if s.Stats().Recording {
		t.Error("stats still show a recording")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRecording(&fakePublisher{}); !errors.Is(err, ErrClosed) {
		t.Errorf("StartRecording after the end gave %v, want ErrClosed", err)
	}
}

// While the session only records, its rates are the recording's: a
// streamer watching a local recording sees its frame rate and bitrate, not
// zeros.
func TestStatsWhileOnlyRecording(t *testing.T) {
	v, a := pacedFakes()
	rec := &fakePublisher{wrote: make(chan struct{}, 1)}
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	// 45 frames: one and a half seconds, so that the rates span a second.
	waitCount(t, rec, encode.Video, 45, time.After(20*time.Second), "recording")
	st := s.Stats()
	if !st.Recording || st.FramesSent != 0 {
		t.Fatalf("recording %v, %d frames sent; want only a recording", st.Recording, st.FramesSent)
	}
	if st.FPS <= 0 || st.FPS > 45 || st.VideoKbps <= 0 || st.AudioKbps <= 0 {
		t.Errorf("while only recording 30 fps: %.1f fps, video %.1f kbps, audio %.1f kbps", st.FPS, st.VideoKbps, st.AudioKbps)
	}
}
