// Package ui is the studio window. It sees the streaming pipeline only
// through an app.Backend, and a session only through the publish session
// API types (State, Stats, Event, Status); package app also gives it the
// error hints, the narration of events and the redaction of keys.
//
// Threading: widgets change only on the UI goroutine. Work that may wait
// (starting a preview, going live, stopping) runs on goroutines that the
// Studio owns, and they hand results back through Studio.do, which wraps
// fyne.Do.
package ui

import (
	"image"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/widget"

	"studio/app"
	"studio/publish"
)

// Config is what a Studio needs.
type Config struct {
	Backend Backend
	Keys    KeyStore
	Prefs   fyne.Preferences
	Window  fyne.Window // parent of dialogs
	Version string
	// Log, when set, receives one line per state change and server status,
	// with the stream key replaced by ****.
	Log func(string)
	// AutoLive, when set, is a full publish URL (key included): the studio
	// uses it as a Custom destination, without saving it, and goes live at
	// once.
	AutoLive string
	// Visible, when set, says whether the window can be seen (it is not
	// minimised or hidden). The studio asks once a second, on the UI
	// goroutine, and does no preview work while it cannot.
	Visible func() bool
}

// Studio is the window's content: pickers, preview, meter, Go Live, stats.
// Create it with New, put Content in a window, and call Shutdown before
// quitting.
type Studio struct {
	cfg     Config
	be      Backend
	prefs   Prefs
	content fyne.CanvasObject

	// mu is held while widgets change. With the GLFW driver every change
	// runs on the main goroutine and mu never contends; the test driver
	// runs fyne.Do on the caller's goroutine, and mu keeps changes one at
	// a time there too.
	mu sync.Mutex

	c          Controls
	preview    *previewView
	meter      *LevelMeter
	graph      *BitrateGraph
	stats      statBindings
	congestion *CongestionBar
	warnings   struct{ source, dest, bitrate, monitor *widget.Label }
	health     *healthView
	link       linkTest
	refusal    codecRefusal
	advice     *widget.Label
	rows       []*destRow                          // the destination list, in order
	destBox    *fyne.Container                     // shows rows
	addDest    *widget.Button                      // adds a row
	lost       struct{ camera, microphone string } // device-lost notices shown

	// Session state; UI goroutine only.
	state          publish.State
	live           Live
	liveStreaming  bool           // the session streams (else it only records); set through setStreaming
	narration      *app.Narration // the running session's
	streamStopping bool           // StopStream is running
	liveRecording  string         // the session's recording path, if any
	recBusy        bool           // StartRecording or StopRecording is running
	losses         int            // times this session lost its connection
	attempts       int            // reconnect attempts that failed since the last loss
	lostAt         time.Time
	starting       bool // GoLive is running
	stopWanted     bool // Stop was tapped while GoLive was running
	stopping       bool // Stop was requested for the running session
	muted          bool
	ephemeral      bool // settings come from AutoLive: do not save them
	lastDialog     string
	watchers       []func(publish.Event)
	afterEnd       func() // test hook: called after a session has ended
	afterRecord    func() // test hook: called once a recording has started or stopped
	afterStart     func() // test hook: called once GoLive's result is shown
	afterLinkTest  func() // test hook: called once a link test's result is shown
	afterStreamEnd func() // test hook: called once StopStream's result is shown
	updating       bool   // a control is being set programmatically

	// redactor hides the key of the key field; set on the UI goroutine
	// (keyChanged), read anywhere (scrub).
	redactor atomic.Pointer[app.Redactor]

	level        atomic.Pointer[[2]float64]
	levelFresh   atomic.Bool // a level waits to be shown
	levelPending atomic.Bool // a function showing the level is queued
	detached     atomic.Bool // the event loop has ended

	previewReq chan Settings
	quit       chan struct{}
	shutdown   sync.Once
	wg         sync.WaitGroup
}

// Controls are the Studio's interactive widgets, for tests and automation.
type Controls struct {
	Camera, Size, FPS, Microphone *widget.Select
	VideoKbps                     *widget.SelectEntry
	AudioKbps, Preset             *widget.Select
	// Codec is the video codec (CodecChoices). When a server refuses it,
	// CodecNotice says so and UseH264 switches to H.264.
	Codec *widget.Select
	// PreviewRate is the preview's frames a second (PreviewRates).
	PreviewRate *widget.Select
	CodecNotice *widget.Label
	UseH264     *widget.Button
	// Destination, Server, Key and ShowKey are the first destination's
	// (Destinations[0]).
	Destination    *widget.Select
	Server         *widget.Entry
	Key            *widget.Entry
	ShowKey        *widget.Button
	Destinations   []DestinationControls // the destination list, in order
	AddDestination *widget.Button
	Mute           *widget.Button
	Monitor        *widget.Check
	GoLive         *widget.Button
	Record         *widget.Button
	State          *widget.Label // Idle, Connecting…, Live, …
	Status         *widget.Label // the last server status or problem
	Recording      *widget.Label // the recording's file and size
	DeviceLost     *widget.Label // a lost camera or microphone
	// Health is the stream's health next to Go Live ("Good", "Warning ·
	// network", …), HealthMessage what to do about it, HealthHistory the
	// last changes, newest first.
	Health, HealthMessage, HealthHistory *widget.Label
	// TestLink runs the pre-flight link test to the first enabled
	// destination; LinkResult shows what it found, and ApplyLink takes
	// its suggestion.
	TestLink   *widget.Button
	LinkResult *widget.Label
	ApplyLink  *widget.Button
	Version    *widget.Label
}

// statBindings hold the live stats as text.
type statBindings struct {
	uptime, video, audio, fps, dropped, queue, cpu, target, reconnects, congestion binding.String
	// skipped counts frames the camera did not deliver in time; drift is
	// how fast the microphone's clock runs against the media clock.
	skipped, drift binding.String
	// latency is the estimated time from capture until the server has a
	// frame (glass to server).
	latency binding.String
}

// previewWanter is a Backend that samples preview frames only when the
// window will show them (app.Engine).
type previewWanter interface{ SetPreviewWanted(func() bool) }

// New builds the studio from cfg, loads the saved settings, and starts the
// preview.
func New(cfg Config) *Studio {
	s := &Studio{
		cfg:        cfg,
		be:         cfg.Backend,
		prefs:      LoadPrefs(cfg.Prefs),
		previewReq: make(chan Settings, 1),
		quit:       make(chan struct{}),
	}
	s.build()
	s.load()
	cfg.Backend.OnDeviceLost(func(d DeviceLost) { s.do(func() { s.deviceLost(d) }) })
	if w, ok := cfg.Backend.(previewWanter); ok {
		w.SetPreviewWanted(s.preview.wants)
	}
	s.wg.Add(2)
	go s.previewLoop()
	go s.tickLoop()
	s.requestPreview()
	if cfg.AutoLive != "" {
		s.applyAutoLive(cfg.AutoLive)
	}
	return s
}

// Content is the studio's root object.
func (s *Studio) Content() fyne.CanvasObject { return s.content }

// Controls returns the interactive widgets. UI goroutine only (or in Do):
// the destination list changes when rows are added or removed.
func (s *Studio) Controls() Controls {
	c := s.c
	for _, r := range s.rows {
		c.Destinations = append(c.Destinations, r.controls())
	}
	return c
}

// Do runs fn with the widget lock held, on the calling goroutine. Tests
// that drive widgets while the studio's goroutines update them use it;
// fn must not wait for those goroutines.
func (s *Studio) Do(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// do runs fn on the UI goroutine. It must not be called from there. Once
// the window's event loop has ended (Detach), fn is dropped.
func (s *Studio) do(fn func()) {
	if s.detached.Load() {
		return
	}
	fyne.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.detached.Load() {
			fn()
		}
	})
}

// Detach stops all widget updates; Run calls it once the event loop has
// ended, when fyne.Do would run functions off the UI goroutine.
func (s *Studio) Detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.detached.Store(true)
}

// Watch registers fn to be called on the UI goroutine after each session
// event has been shown.
func (s *Studio) Watch(fn func(publish.Event)) {
	s.watchers = append(s.watchers, fn)
}

// State returns the session state shown (StateIdle before any session).
func (s *Studio) State() publish.State { return s.state }

// PreviewFrames returns how many preview frames have been shown.
func (s *Studio) PreviewFrames() uint64 { return s.preview.shown.Load() }

// LastDialog returns the text of the last error dialog shown.
func (s *Studio) LastDialog() string { return s.lastDialog }

// Live returns whether a session is running (or starting).
func (s *Studio) Live() bool { return s.live != nil || s.starting }

// Shutdown stops the session (cleanly, or abruptly once timeout passes),
// the preview and the studio's goroutines, and saves the settings. It
// waits, so it must not run on the UI goroutine; live is the session that
// was running, read on the UI goroutine (nil for none).
func (s *Studio) Shutdown(live Live, timeout time.Duration) {
	s.shutdown.Do(func() {
		if live != nil {
			ctx, cancel := contextWithTimeout(timeout)
			_ = live.Stop(ctx)
			cancel()
		}
		close(s.quit)
		s.wg.Wait()
		if w, ok := s.be.(previewWanter); ok {
			w.SetPreviewWanted(nil)
		}
		s.preview.close()
	})
}

// CurrentLive returns the running session, or nil. UI goroutine only.
func (s *Studio) CurrentLive() Live { return s.live }

// tickLoop refreshes the stats once a second (labels change only when
// their text does), and places the native preview's window every
// nativeStale while no frames come to do it.
func (s *Studio) tickLoop() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	place := time.NewTicker(nativeStale)
	defer place.Stop()
	for {
		select {
		case <-t.C:
			s.do(s.tick)
		case <-place.C:
			if s.preview.stale() {
				s.do(s.preview.recheck)
			}
		case <-s.quit:
			return
		}
	}
}

// previewLoop starts and replaces the preview, one request at a time.
func (s *Studio) previewLoop() {
	defer s.wg.Done()
	var cur Preview
	defer func() {
		if cur != nil {
			_ = cur.Close()
		}
	}()
	for {
		select {
		case <-s.quit:
			return
		case set := <-s.previewReq:
			if cur != nil {
				_ = cur.Close()
				cur = nil
			}
			p, err := s.be.StartPreview(set, s.onFrame, s.onLevel)
			if err != nil {
				s.do(func() { s.setStatus("Preview: " + err.Error()) })
				continue
			}
			cur = p
		}
	}
}

// requestPreview asks previewLoop to (re)start the preview with the
// current settings; a request not yet taken is replaced.
func (s *Studio) requestPreview() {
	set, err := s.settings()
	if err != nil {
		s.setStatus(err.Error())
		return
	}
	select {
	case <-s.previewReq:
	default:
	}
	s.previewReq <- set
}

// onFrame takes a preview frame from the backend's goroutine. Only the
// frames the window will show are converted (see previewView); the rest
// cost a check.
func (s *Studio) onFrame(img image.Image) {
	if s.preview.take(img) {
		s.do(s.showFrame)
	}
}

// showFrame shows the latest preview frame, and the latest level with it:
// the window redraws once for both.
func (s *Studio) showFrame() {
	s.preview.show()
	s.showLevel()
}

// levelAlone is how long after the last preview frame a level is shown on
// its own rather than with the next frame.
const levelAlone = 200 * time.Millisecond

// onLevel takes an audio level from any goroutine. While preview frames
// come, the next one shows it; otherwise it is shown on its own.
func (s *Studio) onLevel(peakDB, rmsDB float64) {
	s.level.Store(&[2]float64{peakDB, rmsDB})
	s.levelFresh.Store(true)
	if time.Since(time.Unix(0, s.preview.last.Load())) < levelAlone || s.preview.hidden.Load() {
		return
	}
	if s.levelPending.CompareAndSwap(false, true) {
		s.do(func() {
			s.levelPending.Store(false)
			s.showLevel()
		})
	}
}

// showLevel shows the latest level, unless the window is hidden (then it
// waits); the meter redraws only when what it draws changes.
func (s *Studio) showLevel() {
	if !s.preview.hidden.Load() && s.levelFresh.Swap(false) {
		l := s.level.Load()
		s.meter.SetLevel(l[0], l[1])
	}
}
