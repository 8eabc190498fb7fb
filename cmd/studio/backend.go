package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"studio/capture"
	"studio/capture/monitor"
	"studio/capture/synth"
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
// goroutines that drain them while no encoder reads them.
type sources struct {
	key       sourceKey
	video     *videoTap
	audio     *audioTap
	stopDrain context.CancelFunc // nil when not draining
	drained   sync.WaitGroup
}

func (b *backend) Cameras() []ui.Source {
	return append([]ui.Source{{ID: ui.TestPatternID, Name: "Test pattern", Synthetic: true}}, cameras()...)
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
		b.src.audio.muted.Store(muted)
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

// applyMonitor points the audio tap at the player, if any. Called with mu
// held.
func (b *backend) applyMonitor() {
	if b.src == nil {
		return
	}
	if b.player != nil {
		b.src.audio.setMonitor(b.player.Write)
	} else {
		b.src.audio.setMonitor(nil)
	}
}

func (b *backend) CPU() float64 { return b.cpu.sample() }

// open opens the sources for s.
func (b *backend) open(s ui.Settings) (*sources, error) {
	clock := capture.NewClock()
	video, err := openVideo(clock, s)
	if err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	audio, err := openAudio(clock, s)
	if err != nil {
		_ = video.Close()
		return nil, fmt.Errorf("microphone: %w", err)
	}
	src := &sources{key: keyOf(s), video: newVideoTap(video), audio: newAudioTap(audio)}
	src.audio.muted.Store(b.muted)
	return src, nil
}

func openVideo(clock *capture.Clock, s ui.Settings) (capture.VideoSource, error) {
	props := capture.VideoProps{Width: s.Width, Height: s.Height, FPS: s.FPS}
	if s.CameraID == ui.TestPatternID || s.CameraID == "" {
		return synth.NewPattern(clock, props)
	}
	return openCamera(clock, s.CameraID, props)
}

func openAudio(clock *capture.Clock, s ui.Settings) (capture.AudioSource, error) {
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	switch s.MicrophoneID {
	case ui.TestToneID, "":
		return synth.NewTone(clock, props, 1000, 1024)
	case ui.SilenceID:
		return synth.NewSilence(clock, props, 1024)
	}
	return openMicrophone(clock, s.MicrophoneID, props)
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
	_ = src.video.Close()
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
	b.src.video.setCallback(onFrame)
	b.src.audio.setCallback(onLevel)
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
		b.src.video.setCallback(nil)
		b.src.audio.setCallback(nil)
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
	return sess, nil
}

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
	cfg := publish.Config{Video: venc, Audio: aenc, OnEvent: onEvent, Logger: b.log}
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
