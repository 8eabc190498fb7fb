package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture/monitor"
	"studio/publish"
)

// Engine is the window's Backend on the real capture, encode and publish
// packages: it keeps the chosen sources open for the preview, lends them
// to the encoders of a session, and gets them back when the session ends.
// Its methods are safe for concurrent use. Close releases everything.
type Engine struct {
	log     *slog.Logger // the sessions' diagnostics
	rtmpLog *slog.Logger // the RTMP layer's warnings, as narration lines
	say     func(string)
	cpu     CPUMeter

	mu      sync.Mutex
	src     *sources         // guarded by mu; nil when nothing is open
	session *publish.Session // guarded by mu; the running session
	muted   bool             // guarded by mu
	player  *monitor.Player  // guarded by mu; non-nil while monitoring
	output  error            // why the audio output cannot play, found once
	gen     int              // guarded by mu; counts previews
	wg      sync.WaitGroup   // session watchers
	onLost  atomic.Pointer[func(DeviceLost)]
	// wants says whether the window takes the next preview frame.
	wants atomic.Pointer[func() bool]
}

// SetPreviewWanted sets a check that says whether the window will show
// the next preview frame; a frame it declines is not sampled at all. It
// runs on the encoder's goroutine before each frame, so it must be cheap
// and never block. nil (the default) samples every frame.
func (b *Engine) SetPreviewWanted(fn func() bool) {
	if fn == nil {
		b.wants.Store(nil)
		return
	}
	b.wants.Store(&fn)
}

var _ Backend = (*Engine)(nil)

// EngineOptions configure an Engine. The zero value logs nothing.
type EngineOptions struct {
	// Logger receives the sessions' diagnostics (nil: none).
	Logger *slog.Logger
	// Say receives the Engine's own narration lines, from any goroutine:
	// lost and recovered devices (DeviceLost.Notice) and the RTMP layer's
	// warnings (nil: none).
	Say func(line string)
}

// NewEngine returns an Engine with nothing open.
func NewEngine(o EngineOptions) *Engine {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Say == nil {
		o.Say = func(string) {}
	}
	b := &Engine{log: o.Logger, say: o.Say, rtmpLog: NewLogger(o.Say, slog.LevelWarn)}
	if err := monitor.Available(); err != nil {
		b.output = &shortError{"no audio output", err}
	}
	b.cpu.Sample()
	return b
}

// Cameras lists the video sources (see the package function Cameras).
func (b *Engine) Cameras() []Source { return Cameras() }

// Microphones lists the audio sources (see the package function
// Microphones).
func (b *Engine) Microphones() []Source { return Microphones() }

// AudioOutput returns nil when monitoring can play, else why not.
func (b *Engine) AudioOutput() error { return b.output }

// SetMuted silences the microphone in what is sent and monitored.
func (b *Engine) SetMuted(muted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.muted = muted
	if b.src != nil {
		b.src.audio.SetMuted(muted)
	}
}

// OnDeviceLost sets the function told when an open camera or microphone
// is lost.
func (b *Engine) OnDeviceLost(fn func(DeviceLost)) { b.onLost.Store(&fn) }

// deviceChanged reports a lost device, or one that came back: as a line,
// and to the window.
func (b *Engine) deviceChanged(d DeviceLost) {
	b.say(d.Notice())
	if fn := b.onLost.Load(); fn != nil && *fn != nil {
		(*fn)(d)
	}
}

// SetMonitor turns playing the microphone on the audio output on or off.
func (b *Engine) SetMonitor(on bool) error {
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
		p, err := monitor.New(monitor.Rate, AudioProps.Channels)
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
func (b *Engine) applyMonitor() {
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

// CPU returns the process's CPU use since the previous call.
func (b *Engine) CPU() float64 { return b.cpu.Sample() }

// TestLink runs the link test (TestLink) for DefaultLinkTest.
func (b *Engine) TestLink(ctx context.Context, url string) (LinkReport, error) {
	return TestLink(ctx, url, DefaultLinkTest)
}

var errBusy = errors.New("the sources cannot change while a session runs; stop it first")

// StartPreview opens the sources of s (or keeps those open when they fit)
// and points their taps at the callbacks.
func (b *Engine) StartPreview(s Settings, onFrame func(image.Image), onLevel func(peakDB, rmsDB float64)) (Preview, error) {
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

// preview is a Preview: closing the latest one releases the sources
// unless a session uses them.
type preview struct {
	b    *Engine
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
func (b *Engine) GoLive(s Settings, onEvent func(publish.Event)) (Live, error) {
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
	cfg, err := SessionConfig(s, src.lend(), Hooks{OnEvent: onEvent, Logger: b.log, RTMPLogger: b.rtmpLog})
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
	return liveSession{sess, b.rtmpLog, s.Codec}, nil
}

// Close stops the session (at most timeout), releases the sources and
// waits for the Engine's goroutines.
func (b *Engine) Close(timeout time.Duration) {
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
