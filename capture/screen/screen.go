// Package screen captures the X11 screen (the root window of $DISPLAY) as a
// capture.VideoSource, through MIT-SHM shared memory when the server offers
// it and plain XGetImage otherwise (a remote display).
//
// Each frame is the whole screen scaled to the requested size: area average
// when shrinking, nearest neighbour when enlarging, converted to I420 with
// BT.601 coefficients in limited range (what decoders assume for an H.264
// stream that does not say otherwise). The screen's size is looked up about
// once a second, and a change is followed without reopening.
//
// Frames are paced by the media clock like the synthetic sources: the
// timeline starts at the first Read, frame n is due at start + n/FPS and
// carries that time as its PTS, and a reader that falls behind skips to the
// latest due slot (Status().Skipped counts the slots skipped).
//
// When the X connection breaks, Read returns ErrDisplayLost and Status
// reports capture.SourceLost; the process goes on. Xlib's defaults would
// end it (exit(1) from both the I/O error handler and the display's exit
// handler), so the package installs, once per process, an X error handler
// and an I/O error handler that answer for its own connections and pass
// every other connection's errors (a window toolkit's) to the handlers
// they replaced, and on each of its connections an I/O error exit handler
// that returns (XSetIOErrorExitHandler, libX11 1.8 and later). After it
// returns, Xlib treats the connection as dead. A toolkit that later sets
// its own process-wide handlers without chaining to the previous ones
// takes this protection away: a broken connection then ends the process
// as Xlib's default does.
package screen

import (
	"context"
	"fmt"
	"image"
	"sync"
	"time"

	"studio/capture"
	"studio/internal/freelist"
)

// DeviceID is the ID of the screen as a listable device.
const DeviceID = "screen"

// sizeCheckEvery is how often Read asks the server for the screen size.
const sizeCheckEvery = time.Second

// Describe returns the screen of $DISPLAY as a device: ID "screen", Name
// like "Screen :99 (1280x720)". With no X display it returns an error
// wrapping capture.ErrNoDevice.
func Describe() (capture.Device, error) {
	name, w, h, err := describe("")
	if err != nil {
		return capture.Device{}, err
	}
	return capture.Device{ID: DeviceID, Name: deviceName(name, w, h), Kind: capture.Camera}, nil
}

func deviceName(display string, w, h int) string {
	return fmt.Sprintf("Screen %s (%dx%d)", display, w, h)
}

// Source is the screen as a capture.VideoSource and capture.Reporter.
//
// Read must not be called concurrently with itself; Close and Status may
// be called from any goroutine, Close any number of times. Frames are
// I420 with YStride = Width and CStride = Width/2, reused after Release;
// Read does not allocate once enough frames are in circulation. Frames
// stay valid after Close until released.
type Source struct {
	clock   *capture.Clock
	props   capture.VideoProps
	unpaced bool
	pace    *capture.Pacer

	mu      sync.Mutex // serialises Read; guards the fields below
	started bool
	start   time.Duration // clock time of slot 0
	slot    int64         // slot of the last frame returned
	seq     uint64        // Seq of the next frame

	xmu       sync.Mutex    // guards x and lastCheck; held for every X call
	x         *xconn        // nil after Close
	lastCheck time.Duration // clock time of the last size check

	st   status
	free freelist.List[frameBuf]
}

type frameBuf struct {
	img   image.YCbCr
	frame capture.VideoFrame
	rel   func()
}

// config holds what tests may change.
type config struct {
	display string // "" for $DISPLAY
	noSHM   bool   // use XGetImage
	unpaced bool   // return frames at once, PTS still slot times
}

// Open connects to the X server of $DISPLAY and returns a source of
// props.Width × props.Height frames at props.FPS. Width and Height must be
// even, from 16 to 16384; FPS from 1 to 1000. With no X display it returns
// an error wrapping capture.ErrNoDevice.
func Open(clock *capture.Clock, props capture.VideoProps) (capture.VideoSource, error) {
	s, err := open(clock, props, config{})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func open(clock *capture.Clock, props capture.VideoProps, cfg config) (*Source, error) {
	if clock == nil {
		return nil, fmt.Errorf("screen: nil clock")
	}
	w, h := props.Width, props.Height
	if w < 16 || h < 16 || w%2 != 0 || h%2 != 0 || w > 16384 || h > 16384 {
		return nil, fmt.Errorf("screen: size %dx%d: width and height must be even, from 16 to 16384", w, h)
	}
	if props.FPS < 1 || props.FPS > 1000 {
		return nil, fmt.Errorf("screen: frame rate %d: must be between 1 and 1000", props.FPS)
	}
	x, err := openX(cfg.display, w, h, !cfg.noSHM)
	if err != nil {
		return nil, err
	}
	s := &Source{clock: clock, props: props, unpaced: cfg.unpaced, pace: capture.NewPacer(clock), x: x}
	name, sw, sh, _, _ := x.info()
	now := clock.Now()
	s.lastCheck = now
	s.st.init(deviceName(name, sw, sh), now)
	return s, nil
}

// Props returns the properties the source was opened with.
func (s *Source) Props() capture.VideoProps { return s.props }

// Status reports the screen's name, whether the X connection works, and
// the frame slots skipped because the reader fell behind.
func (s *Source) Status() capture.SourceStatus { return s.st.get() }

// Close makes pending and future Reads return capture.ErrClosed, frees the
// shared memory and closes the display. It waits for a grab in progress
// (a few milliseconds) and always returns nil.
func (s *Source) Close() error {
	s.pace.Close()
	s.xmu.Lock()
	defer s.xmu.Unlock()
	if s.x != nil {
		s.x.close()
		s.x = nil
	}
	return nil
}

// Read waits until the next frame is due, grabs the screen and returns
// the frame (see Source for the timing rules). It returns ctx.Err() if ctx
// ends first, capture.ErrClosed after Close and ErrDisplayLost once the X
// connection has broken. The caller must Release the frame.
func (s *Source) Read(ctx context.Context) (*capture.VideoFrame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.pace.Gate(ctx); err != nil {
		return nil, err
	}
	slot, err := s.nextSlot(ctx)
	if err != nil {
		return nil, err
	}
	b := s.get()
	if err := s.grab(&b.img); err != nil {
		s.free.Put(b)
		return nil, err
	}
	pts := s.start + s.slotTime(slot)
	b.frame = *capture.NewVideoFrame(&b.img, pts, s.seq, b.rel)
	s.slot = slot
	s.seq++
	return &b.frame, nil
}

// grab fills img from the screen, first following a size change when a
// check is due.
func (s *Source) grab(img *image.YCbCr) error {
	s.xmu.Lock()
	defer s.xmu.Unlock()
	if s.x == nil {
		return capture.ErrClosed
	}
	var err error
	var changed bool
	if now := s.clock.Now(); now-s.lastCheck >= sizeCheckEvery {
		s.lastCheck = now
		changed, err = s.x.checkSize()
	}
	if err == nil {
		var resized bool
		resized, err = s.x.grab(img)
		changed = changed || resized
	}
	if changed {
		name, w, h, _, _ := s.x.info()
		s.st.rename(deviceName(name, w, h))
	}
	if err != nil {
		s.st.lose(err, s.clock.Now())
	}
	return err
}

// slotTime is the offset of slot n from the start of the timeline.
func (s *Source) slotTime(n int64) time.Duration {
	return time.Duration(capture.ScaleDiv(n, int64(time.Second), int64(s.props.FPS)))
}

// nextSlot picks the slot of the next frame, waiting for it when paced.
// The caller holds s.mu.
func (s *Source) nextSlot(ctx context.Context) (int64, error) {
	if !s.started {
		s.started = true
		s.start = s.clock.Now()
		return 0, nil
	}
	slot := s.slot + 1
	if s.unpaced {
		return slot, nil
	}
	elapsed := s.clock.Now() - s.start
	if due := s.slotTime(slot); elapsed < due {
		if err := s.pace.WaitUntil(ctx, s.start+due); err != nil {
			return 0, err
		}
		return slot, nil
	}
	// Late: skip to the latest slot that is already due.
	latest := capture.ScaleDiv(int64(elapsed), int64(s.props.FPS), int64(time.Second))
	if latest > slot {
		s.st.skip(uint64(latest - slot))
		slot = latest
	}
	return slot, nil
}

// get takes a frame buffer from the free list or makes a new one.
func (s *Source) get() *frameBuf {
	if b := s.free.Get(); b != nil {
		return b
	}
	img := image.NewYCbCr(image.Rect(0, 0, s.props.Width, s.props.Height), image.YCbCrSubsampleRatio420)
	b := &frameBuf{img: *img}
	b.rel = func() { s.free.Put(b) }
	return b
}
