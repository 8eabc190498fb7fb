package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"studio/internal/testpeer"
	"studio/publish"
	"studio/ui"
)

// TestWindowGoLiveToNginx drives the window with the real backend and the
// Fyne test driver (no display): Custom destination on nginx-rtmp, test
// pattern and tone, Go Live, 5 s live, Stop. nginx's recording must hold
// those 5 s at the chosen size and rate, and decode without errors.
func TestWindowGoLiveToNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	a := test.NewTempApp(t)
	real := newBackend(slog.New(slog.DiscardHandler))
	defer real.Close(5 * time.Second)
	be := &timedBackend{backend: real}
	w := test.NewWindow(nil)
	defer w.Close()
	s := ui.New(ui.Config{Backend: be, Keys: newKeyStore(t.TempDir()), Prefs: a.Preferences(), Window: w, Version: "e2e"})
	defer s.Shutdown(nil, 5*time.Second)

	states := make(chan publish.State, 32)
	s.Watch(func(ev publish.Event) {
		select {
		case states <- ev.State:
		default:
		}
	})
	const key = "window-e2e-4b1c"
	s.Do(func() {
		w.SetContent(s.Content())
		w.Resize(fyne.NewSize(1024, 640))
		c := s.Controls()
		c.Camera.SetSelected("Test pattern")
		c.Microphone.SetSelected("Test tone (1 kHz)")
		c.Size.SetSelected("640x360")
		c.FPS.SetSelected("30")
		c.VideoKbps.SetText("1000")
		c.Preset.SetSelected("veryfast")
		c.Destination.SetSelected(ui.CustomName)
		c.Server.SetText(n.RTMPURL)
		test.Type(c.Key, key)
		if c.GoLive.Disabled() {
			t.Fatal("Go Live is disabled with a complete destination")
		}
		test.Tap(c.GoLive)
	})
	waitState(t, states, publish.StateLive, 20*time.Second)
	time.Sleep(5 * time.Second) // 5 s of media: a duration, not an event
	s.Do(func() {
		c := s.Controls()
		if c.GoLive.Text != "Stop" {
			t.Errorf("while live the button says %q", c.GoLive.Text)
		}
		if s.PreviewFrames() < 5*15 {
			t.Errorf("%d preview frames in 5 s, want at least 15 fps", s.PreviewFrames())
		}
		test.Tap(c.GoLive)
	})
	waitState(t, states, publish.StateStopped, 15*time.Second)

	n.Stop(t)
	recs := n.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v, want one file\n%s", recs, n.ErrorLog())
	}
	// The window streamed from GoLive to Stop: about 5 s plus connecting.
	span := be.span().Seconds()
	t.Logf("the session ran %.2f s", span)
	if span < 5 || span > 7 {
		t.Errorf("the session ran %.2f s, want 5 s of live plus a connect", span)
	}
	testpeer.Check(t, testpeer.Probe(t, recs[0]), testpeer.Expect{Width: 640, Height: 360, FPS: 30, Seconds: span,
		VideoKbps: 1000, SampleRate: 48000, Channels: 2})
	if errs := testpeer.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("decoding the recording: %s", errs)
	}
}

// timedBackend notes when the session starts and when Stop is called, so
// that the test knows how much media the window sent.
type timedBackend struct {
	*backend
	mu             sync.Mutex
	started, stops time.Time
}

func (b *timedBackend) GoLive(s ui.Settings, onEvent func(publish.Event)) (ui.Live, error) {
	live, err := b.backend.GoLive(s, onEvent)
	b.mu.Lock()
	b.started = time.Now()
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return timedLive{live, b}, nil
}

func (b *timedBackend) span() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stops.Sub(b.started)
}

type timedLive struct {
	ui.Live
	b *timedBackend
}

func (l timedLive) Stop(ctx context.Context) error {
	l.b.mu.Lock()
	if l.b.stops.IsZero() {
		l.b.stops = time.Now()
	}
	l.b.mu.Unlock()
	return l.Live.Stop(ctx)
}

// waitState waits for the window to show want, failing on Error.
func waitState(t *testing.T, states <-chan publish.State, want publish.State, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case st := <-states:
			if st == want {
				return
			}
			if st == publish.StateError {
				t.Fatalf("the session failed while waiting for %v", want)
			}
		case <-deadline:
			t.Fatalf("the window did not reach %v within %v", want, timeout)
		}
	}
}
