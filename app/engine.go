package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
	"studio/capture/monitor"
	"studio/capture/screen"
	"studio/capture/tap"
	"studio/encode/aac"
	"studio/encode/h264"
	"studio/publish"
	"studio/publish/flv"
	"studio/publish/rtmp"
	"studio/ui"
)

// backend is the window's ui.Backend: it keeps the chosen sources open for
// the preview, lends them to the encoders of a session, and gets them back
// when the session ends. Its methods are safe for concurrent use.
type backend struct {
	log *slog.Logger
	cpu cpuMeter

	mu      sync.Mutex
	src     *sources         // guarded by mu; nil when nothing is open
	session *publish.Session // guarded by mu; the running session
	muted   bool             // guarded by mu
	player  *monitor.Player  // guarded by mu; non-nil while monitoring
	output  error            // why the audio output cannot play, found once
	gen     int              // guarded by mu; counts previews
	wg      sync.WaitGroup   // session watchers
	onLost  atomic.Pointer[func(ui.DeviceLost)]
}

func newBackend(log *slog.Logger) *backend {
	b := &backend{log: log}
	if err := monitor.Available(); err != nil {
		b.output = &shortError{"no audio output", err}
	}
	b.cpu.sample()
	return b
}

// sourceKey is what decides whether open sources fit new settings.
type sourceKey struct {
	camera, mic   string
	width, height int
	fps           int
}

func keyOf(s ui.Settings) sourceKey {
	return sourceKey{s.CameraID, s.MicrophoneID, s.Width, s.Height, s.FPS}
}

// sources are an open camera and microphone with their taps, and the
// goroutines that drain them while no encoder reads them. The backend's mu
// guards the fields that change.
type sources struct {
	key         sourceKey
	video       capture.VideoSource // a tap.Video feeding preview
	videoStatus capture.Reporter    // the camera's health
	audioStatus capture.Reporter    // the microphone's health
	preview     *previewer
	audio       *tap.AudioTap // levels, mute, and the monitor's subscription
	levels      *levels
	stopMonitor func()             // nil when not monitoring
	stopDrain   context.CancelFunc // nil when not draining
	drained     sync.WaitGroup
}

func (b *backend) Cameras() []ui.Source {
	out := append([]ui.Source{{ID: ui.TestPatternID, Name: "Test pattern", Synthetic: true}}, cameras()...)
	if d, err := screen.Describe(); err == nil {
		out = append(out, ui.Source{ID: videoScreen, Name: d.Name})
	}
	return out
}

func (b *backend) Microphones() []ui.Source {
	return append([]ui.Source{
		{ID: ui.TestToneID, Name: "Test tone (1 kHz)", Synthetic: true},
		{ID: ui.SilenceID, Name: "Silence", Synthetic: true},
	}, microphones()...)
}

func (b *backend) AudioOutput() error { return b.output }

func (b *backend) SetMuted(muted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.muted = muted
	if b.src != nil {
		b.src.audio.SetMuted(muted)
	}
}

// OnDeviceLost sets the function told when an open camera or microphone
// is lost.
func (b *backend) OnDeviceLost(fn func(ui.DeviceLost)) { b.onLost.Store(&fn) }

// deviceChanged reports a lost device, or one that came back: on stderr
// (line), and to the window.
func (b *backend) deviceChanged(d ui.DeviceLost, line string) {
	say(line)
	if fn := b.onLost.Load(); fn != nil && *fn != nil {
		(*fn)(d)
	}
}

func (b *backend) SetMonitor(on bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !on {
		if b.player != nil {
			_ = b.player.Close()
			b.player = nil
		}
		b.applyMonitor()
		return nil
	}
	if b.output != nil {
		return b.output
	}
	if b.player == nil {
		p, err := newMonitor()
		if err != nil {
			return fmt.Errorf("monitor: %w", err)
		}
		b.player = p
	}
	b.applyMonitor()
	return nil
}

// applyMonitor subscribes the player, if any, to the audio tap. Called
// with mu held.
func (b *backend) applyMonitor() {
	if b.src == nil {
		return
	}
	if b.src.stopMonitor != nil {
		b.src.stopMonitor()
		b.src.stopMonitor = nil
	}
	if p := b.player; p != nil {
		b.src.stopMonitor = b.src.audio.Subscribe(func(samples []int16, _, _ int) { p.Write(samples) })
	}
}

func (b *backend) CPU() float64 { return b.cpu.sample() }

// open opens the sources for s.
func (b *backend) open(s ui.Settings) (*sources, error) {
	clock := capture.NewClock()
	video, err := b.openVideo(clock, s)
	if err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	audio, err := b.openAudio(clock, s)
	if err != nil {
		_ = video.Close()
		return nil, fmt.Errorf("microphone: %w", err)
	}
	src := &sources{key: keyOf(s), preview: newPreviewer(video.Props()), levels: &levels{}, videoStatus: video, audioStatus: audio}
	src.video = tap.Video(video, previewInterval, src.preview.tap)
	src.audio = tap.Audio(audio, src.levels.add)
	src.audio.SetMuted(b.muted)
	return src, nil
}

// drain reads and drops frames so that the taps keep the preview going
// while no encoder reads the sources.
func (src *sources) drain() {
	ctx, cancel := context.WithCancel(context.Background())
	src.stopDrain = cancel
	src.drained.Add(2)
	go func() {
		defer src.drained.Done()
		for {
			f, err := src.video.Read(ctx)
			if err != nil {
				return
			}
			f.Release()
		}
	}()
	go func() {
		defer src.drained.Done()
		for {
			f, err := src.audio.Read(ctx)
			if err != nil {
				return
			}
			f.Release()
		}
	}()
}

// stop stops draining, if it was, and waits until nothing reads.
func (src *sources) stop() {
	if src.stopDrain != nil {
		src.stopDrain()
		src.drained.Wait()
		src.stopDrain = nil
	}
}

func (src *sources) close() {
	src.stop()
	if src.stopMonitor != nil {
		src.stopMonitor()
		src.stopMonitor = nil
	}
	_ = src.video.Close()
	src.preview.close()
	_ = src.audio.Close()
}

var errBusy = errors.New("the sources cannot change while a session runs; stop it first")

// StartPreview opens the sources of s (or keeps those open when they fit)
// and points their taps at the callbacks.
func (b *backend) StartPreview(s ui.Settings, onFrame func(image.Image), onLevel func(peakDB, rmsDB float64)) (ui.Preview, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src == nil || b.src.key != keyOf(s) {
		if b.session != nil {
			return nil, errBusy
		}
		if b.src != nil {
			b.src.close()
			b.src = nil
		}
		src, err := b.open(s)
		if err != nil {
			return nil, err
		}
		b.src = src
		b.applyMonitor()
		src.drain()
	}
	b.src.preview.setCallback(onFrame)
	b.src.levels.setCallback(onLevel)
	b.gen++
	return &preview{b: b, gen: b.gen}, nil
}

// preview is a ui.Preview: closing the latest one releases the sources
// unless a session uses them.
type preview struct {
	b    *backend
	gen  int
	once sync.Once
}

func (p *preview) Close() error {
	p.once.Do(func() {
		b := p.b
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.gen != p.gen || b.src == nil {
			return
		}
		b.src.preview.setCallback(nil)
		b.src.levels.setCallback(nil)
		if b.session == nil {
			b.src.close()
			b.src = nil
		}
	})
	return nil
}

// GoLive starts a session on the open sources (opening them if the
// preview has not).
func (b *backend) GoLive(s ui.Settings, onEvent func(publish.Event)) (ui.Live, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.session != nil {
		return nil, errors.New("a session is already running")
	}
	if s.URL == "" && s.RecordPath == "" {
		return nil, errors.New("nothing to do: no destination and no recording")
	}
	if b.src == nil || b.src.key != keyOf(s) {
		if b.src != nil {
			b.src.close()
		}
		src, err := b.open(s)
		if err != nil {
			b.src = nil
			return nil, err
		}
		b.src = src
		b.applyMonitor()
	}
	src := b.src
	src.stop()
	cfg, err := b.sessionConfig(s, src, onEvent)
	if err != nil {
		src.drain()
		return nil, err
	}
	sess, err := publish.Start(cfg)
	if err != nil {
		src.drain()
		return nil, err
	}
	b.session = sess
	live := liveSession{sess, b.log}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		<-sess.Done()
		b.mu.Lock()
		defer b.mu.Unlock()
		b.session = nil
		if b.src == src {
			src.drain()
		}
	}()
	return live, nil
}

// liveSession is the window's ui.Live: a session whose recording the
// window starts and stops by path while it streams.
type liveSession struct {
	*publish.Session
	log *slog.Logger
}

// StartRecording writes the stream from its next keyframe on to a new FLV
// file at path.
func (l liveSession) StartRecording(path string) error {
	rec, err := flv.Create(path)
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	return l.Session.StartRecording(rec) // it owns rec, and closes it on error
}

// StartStream starts streaming to url while the recording goes on.
func (l liveSession) StartStream(url string) error {
	if _, err := rtmp.ParseURL(url); err != nil {
		return err
	}
	log := l.log
	return l.Session.Connect(func(ctx context.Context, onStatus func(publish.Status)) (publish.Publisher, error) {
		return rtmp.Publish(ctx, url, rtmp.Options{OnStatus: onStatus, Logger: log})
	})
}

// StopStream ends the stream; the recording goes on.
func (l liveSession) StopStream(ctx context.Context) error { return l.Session.Disconnect(ctx) }

// sessionConfig builds encoders on leases of src, and the recording and
// destination that s asks for. On error, what it opened is closed.
func (b *backend) sessionConfig(s ui.Settings, src *sources, onEvent func(publish.Event)) (publish.Config, error) {
	venc, err := h264.New(&lease[*capture.VideoFrame, capture.VideoProps]{src: src.video}, h264.Config{
		Width: s.Width, Height: s.Height, FPS: s.FPS,
		BitrateKbps: s.VideoKbps, KeyInterval: s.KeyInterval, Preset: s.Preset,
	})
	if err != nil {
		return publish.Config{}, fmt.Errorf("video encoder: %w", err)
	}
	aenc, err := aac.New(&lease[*capture.AudioFrame, capture.AudioProps]{src: src.audio}, aac.Config{BitrateKbps: s.AudioKbps})
	if err != nil {
		_ = venc.Close()
		return publish.Config{}, fmt.Errorf("audio encoder: %w", err)
	}
	cfg := publish.Config{Video: venc, Audio: aenc, OnEvent: onEvent, Logger: b.log,
		VideoSource: src.videoStatus, AudioSource: src.audioStatus}
	if s.RecordPath != "" {
		rec, err := flv.Create(s.RecordPath)
		if err != nil {
			_ = venc.Close()
			_ = aenc.Close()
			return publish.Config{}, fmt.Errorf("recording: %w", err)
		}
		cfg.Record = rec
	}
	if s.URL != "" {
		if _, err := rtmp.ParseURL(s.URL); err != nil {
			_ = venc.Close()
			_ = aenc.Close()
			if cfg.Record != nil {
				_ = cfg.Record.Close(context.Background())
			}
			return publish.Config{}, err
		}
		url, log := s.URL, b.log
		cfg.Dial = func(ctx context.Context, onStatus func(publish.Status)) (publish.Publisher, error) {
			return rtmp.Publish(ctx, url, rtmp.Options{OnStatus: onStatus, Logger: log})
		}
	}
	return cfg, nil
}

// Close stops the session (at most timeout), releases the sources and
// waits for the backend's goroutines.
func (b *backend) Close(timeout time.Duration) {
	b.mu.Lock()
	sess := b.session
	b.mu.Unlock()
	if sess != nil {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_ = sess.Stop(ctx)
		cancel()
	}
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src != nil {
		b.src.close()
		b.src = nil
	}
	if b.player != nil {
		_ = b.player.Close()
		b.player = nil
	}
}

// shortError shows a short message in the window and keeps the full cause
// for errors.Is and logs.
type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }
