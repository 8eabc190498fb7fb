package ui

import (
	"context"
	"errors"
	"image"
	"os"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"studio/publish"
)

// fakeBackend records what the window asks for.
type fakeBackend struct {
	mu       sync.Mutex
	settings Settings // of the last GoLive
	onEvent  func(publish.Event)
	live     *fakeLive
	muted    bool
	goLive   chan struct{} // receives once per GoLive call
	startErr error
	onLost   func(DeviceLost)
	// linkURL is what TestLink was asked for; linkResult answers it once
	// the test sends a result.
	linkURL    string
	linkResult chan linkAnswer
}

type linkAnswer struct {
	rep LinkReport
	err error
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{goLive: make(chan struct{}, 4), linkResult: make(chan linkAnswer, 1)}
}

func (f *fakeBackend) TestLink(ctx context.Context, url string) (LinkReport, error) {
	f.mu.Lock()
	f.linkURL = url
	f.mu.Unlock()
	select {
	case a := <-f.linkResult:
		return a.rep, a.err
	case <-ctx.Done():
		return LinkReport{}, ctx.Err()
	}
}

func (f *fakeBackend) Cameras() []Source {
	return []Source{{ID: TestPatternID, Name: "Test pattern", Synthetic: true}}
}

func (f *fakeBackend) Microphones() []Source {
	return []Source{{ID: TestToneID, Name: "Test tone", Synthetic: true}, {ID: SilenceID, Name: "Silence", Synthetic: true}}
}

func (f *fakeBackend) AudioOutput() error { return errors.New("no audio output") }

func (f *fakeBackend) StartPreview(Settings, func(image.Image), func(float64, float64)) (Preview, error) {
	return fakePreview{}, nil
}

func (f *fakeBackend) GoLive(s Settings, onEvent func(publish.Event)) (Live, error) {
	f.mu.Lock()
	defer func() { f.mu.Unlock(); f.goLive <- struct{}{} }()
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.settings, f.onEvent = s, onEvent
	f.live = &fakeLive{done: make(chan struct{}), stopped: make(chan struct{}, 4), startedStream: make(chan struct{}, 4),
		destStopped: make(chan string, 4), reconnected: make(chan string, 4)}
	return f.live, nil
}

func (f *fakeBackend) SetMuted(m bool) {
	f.mu.Lock()
	f.muted = m
	f.mu.Unlock()
}

func (f *fakeBackend) SetMonitor(bool) error { return errors.New("no audio output") }
func (f *fakeBackend) CPU() float64          { return 42 }

func (f *fakeBackend) OnDeviceLost(fn func(DeviceLost)) {
	f.mu.Lock()
	f.onLost = fn
	f.mu.Unlock()
}

// lose reports a lost device, as failover does.
func (f *fakeBackend) lose(d DeviceLost) {
	f.mu.Lock()
	fn := f.onLost
	f.mu.Unlock()
	fn(d)
}

// session returns the last GoLive's settings, event callback and session.
func (f *fakeBackend) session() (Settings, func(publish.Event), *fakeLive) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings, f.onEvent, f.live
}

type fakePreview struct{}

func (fakePreview) Close() error { return nil }

// fakeLive is a session that the test ends by calling end.
type fakeLive struct {
	mu      sync.Mutex
	stats   publish.Stats
	err     error
	done    chan struct{}
	once    sync.Once
	stops   int
	stopped chan struct{} // receives once per Stop call
	// recording is the path StartRecording got, "" when not recording.
	recording string
	// streamURL is what StartStream got, "" when not streaming;
	// streamStops counts StopStream calls.
	streamURL     string
	streamStops   int
	streamed      chan struct{} // receives once per StopStream, when set
	startedStream chan struct{} // receives once per StartStream
	destStops     []string      // the names StopDestination got
	destStopped   chan string   // receives each StopDestination's name
	reconnected   chan string   // receives each ReconnectDestination's name
}

func (l *fakeLive) StartStream(url string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.startedStream <- struct{}{}
	if l.streamURL != "" {
		return publish.ErrStreaming
	}
	l.streamURL = url
	return nil
}

// StopDestination notes name and reports it on destStopped.
func (l *fakeLive) StopDestination(_ context.Context, name string) error {
	l.mu.Lock()
	l.destStops = append(l.destStops, name)
	l.mu.Unlock()
	l.destStopped <- name
	return nil
}

// ReconnectDestination reports name on reconnected.
func (l *fakeLive) ReconnectDestination(name string) error {
	l.reconnected <- name
	return nil
}

func (l *fakeLive) StopStream(context.Context) error {
	l.mu.Lock()
	l.streamURL = ""
	l.streamStops++
	ch := l.streamed
	l.mu.Unlock()
	if ch != nil {
		ch <- struct{}{}
	}
	return nil
}

func (l *fakeLive) stream() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streamURL, l.streamStops
}

func (l *fakeLive) StartRecording(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recording != "" {
		return publish.ErrRecording
	}
	if err := os.WriteFile(path, []byte("FLV"), 0o644); err != nil {
		return err
	}
	l.recording = path
	l.stats.Recording = true
	return nil
}

func (l *fakeLive) StopRecording() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recording = ""
	l.stats.Recording = false
	return nil
}

func (l *fakeLive) recordingPath() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recording
}

func (l *fakeLive) Stop(context.Context) error {
	l.mu.Lock()
	l.stops++
	l.mu.Unlock()
	select {
	case l.stopped <- struct{}{}:
	default: // the test already knows
	}
	return nil
}

// stopCount returns how many times Stop was called.
func (l *fakeLive) stopCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stops
}

func (l *fakeLive) Stats() publish.Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

func (l *fakeLive) setStats(st publish.Stats) {
	l.mu.Lock()
	l.stats = st
	l.mu.Unlock()
}

func (l *fakeLive) Done() <-chan struct{} { return l.done }

func (l *fakeLive) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *fakeLive) SetBitrate(int) error { return nil }

func (l *fakeLive) end(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	l.once.Do(func() { close(l.done) })
}

// memKeys is a KeyStore in memory.
type memKeys struct {
	mu   sync.Mutex
	keys map[string]string
}

func (m *memKeys) LoadKey(dest string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.keys[dest], nil
}

func (m *memKeys) SaveKey(dest, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]string{}
	}
	m.keys[dest] = key
	return nil
}

// harness is a Studio on a fake backend in a test window.
type harness struct {
	t     *testing.T
	s     *Studio
	be    *fakeBackend
	ended chan struct{}
	// recorded receives once a recording has started or stopped, with the
	// window updated.
	recorded chan struct{}
	// started receives once GoLive's result is shown.
	started chan struct{}
	// streamEnded receives once StopStream's result is shown.
	streamEnded chan struct{}
}

func newHarness(t *testing.T, prefs fyne.Preferences, keys KeyStore) *harness {
	t.Helper()
	be := newFakeBackend()
	w := test.NewWindow(nil)
	s := New(Config{Backend: be, Keys: keys, Prefs: prefs, Window: w, Version: "test"})
	h := &harness{t: t, s: s, be: be, ended: make(chan struct{}, 4), recorded: make(chan struct{}, 4),
		started: make(chan struct{}, 4), streamEnded: make(chan struct{}, 4)}
	s.Do(func() {
		s.afterEnd = func() { h.ended <- struct{}{} }
		s.afterRecord = func() { h.recorded <- struct{}{} }
		s.afterStart = func() { h.started <- struct{}{} }
		s.afterStreamEnd = func() {
			select {
			case h.streamEnded <- struct{}{}:
			default:
			}
		}
		w.SetContent(s.Content())
		w.Resize(fyne.NewSize(1024, 640))
	})
	t.Cleanup(func() {
		s.Shutdown(nil, time.Second)
		w.Close()
	})
	return h
}

// do runs fn with the widget lock: the studio's goroutines update widgets
// concurrently under the test driver.
func (h *harness) do(fn func(c Controls)) {
	h.s.Do(func() { fn(h.s.Controls()) })
}

// completeDestination picks Custom with a server and key.
func (h *harness) completeDestination() {
	h.do(func(c Controls) {
		c.Destination.SetSelected(CustomName)
		c.Server.SetText("rtmp://127.0.0.1/live")
		c.Key.SetText("abc-123")
	})
}

// newLiveHarness returns a harness whose window is live on a Custom
// destination, with the session's event callback and the session.
func newLiveHarness(t *testing.T) (*harness, func(publish.Event), *fakeLive) {
	t.Helper()
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.completeDestination()
	onEvent, live := h.goLive()
	onEvent(publish.Event{State: publish.StateLive})
	return h, onEvent, live
}

// goLive taps Go Live and waits until the backend was asked.
func (h *harness) goLive() (func(publish.Event), *fakeLive) {
	h.t.Helper()
	h.do(func(c Controls) { test.Tap(c.GoLive) })
	wait(h.t, h.be.goLive, "GoLive")
	wait(h.t, h.started, "GoLive's result")
	_, onEvent, live := h.be.session()
	return onEvent, live
}

// wait waits for ch with a deadline.
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
