package device

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"studio/capture"
)

// cameraSource is a capture.VideoSource reading a camera device on its own
// goroutine (started by newCameraSource, stopped by Close or by the loss of
// the camera), so that Read can honour ctx and Close. It keeps only the
// latest frame: a slow reader gets fresh pictures, never a backlog.
type cameraSource struct {
	clock    *capture.Clock
	props    capture.VideoProps
	name     string
	dev      cameraDevice
	mode     cameraMode
	stall    time.Duration
	interval time.Duration // of props.FPS

	frames chan *capture.VideoFrame // the latest frame, if not yet read
	done   chan struct{}            // closed by Close
	exited chan struct{}            // closed when pump returns
	err    error                    // why pump stopped; written before exited is closed

	seq       uint64 // Seq of the next frame Read returns; Read is not concurrent
	closeOnce sync.Once
	closeErr  error

	stMu sync.Mutex
	st   capture.SourceStatus // guarded by stMu

	poolMu sync.Mutex
	free   []*camBuf // guarded by poolMu
}

var _ capture.Reporter = (*cameraSource)(nil)

// camBuf is one frame buffer of the pool: the picture and the frame that
// hands it out, whose Release puts it back.
type camBuf struct {
	img   *image.YCbCr
	frame capture.VideoFrame
	rel   func()
}

func newCameraSource(clock *capture.Clock, props capture.VideoProps, name string, dev cameraDevice, mode cameraMode, stall time.Duration) *cameraSource {
	c := &cameraSource{
		clock:    clock,
		props:    props,
		name:     name,
		dev:      dev,
		mode:     mode,
		stall:    stall,
		interval: time.Second / time.Duration(props.FPS),
		frames:   make(chan *capture.VideoFrame, 1),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
	}
	c.st = capture.SourceStatus{State: capture.SourceOK, Device: name, Since: clock.Now()}
	go c.pump()
	return c
}

func (c *cameraSource) Props() capture.VideoProps { return c.props }

// Status reports whether the camera delivers and the frames it skipped.
func (c *cameraSource) Status() capture.SourceStatus {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	return c.st
}

// pump reads the camera until it is lost or the source is closed.
func (c *cameraSource) pump() {
	defer close(c.exited)
	var conv frameConverter
	defer conv.close()
	timeout := max(c.stall, firstFrame)
	lastGood := time.Now()
	var last time.Duration // PTS of the previous frame
	started := false
	for {
		var b *camBuf
		var pts time.Duration
		var convErr error
		err := c.dev.ReadFrame(timeout, func(raw []byte) {
			pts = c.clock.Now()
			b = c.get()
			convErr = conv.convert(b.img, c.mode, raw)
		})
		if c.closing() {
			if b != nil {
				c.put(b)
			}
			return
		}
		if err != nil {
			if errors.Is(err, errFrameTimeout) {
				err = fmt.Errorf("no frame for %v", timeout)
			}
			c.lose(err)
			return
		}
		if convErr != nil {
			// A frame that does not decode is dropped; only a camera
			// that sends nothing usable for the stall bound is lost.
			c.put(b)
			if time.Since(lastGood) > c.stall {
				c.lose(fmt.Errorf("no usable frame for %v: %w", c.stall, convErr))
				return
			}
			continue
		}
		lastGood, timeout = time.Now(), c.stall
		if started {
			// Each frame interval that passed without a frame.
			if gap := pts - last; gap > c.interval*3/2 {
				c.stMu.Lock()
				c.st.Skipped += uint64((gap+c.interval/2)/c.interval - 1)
				c.stMu.Unlock()
			}
		}
		started, last = true, pts
		b.frame = *capture.NewVideoFrame(b.img, pts, 0, b.rel)
		select {
		case c.frames <- &b.frame:
		default:
			// The reader is behind: replace the waiting frame. pump is
			// the only sender, so the send after the drain cannot block.
			select {
			case old := <-c.frames:
				old.Release()
			default:
			}
			c.frames <- &b.frame
		}
	}
}

func (c *cameraSource) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// lose records why the camera is lost and releases it, so that it can be
// opened again while the source waits for Close.
func (c *cameraSource) lose(cause error) {
	c.err = fmt.Errorf("device: camera %s: %w: %w", c.name, ErrCameraLost, cause)
	c.stMu.Lock()
	c.st.State, c.st.Err, c.st.Since = capture.SourceLost, c.err, c.clock.Now()
	c.stMu.Unlock()
	_ = c.dev.Close()
}

// Read returns the next frame from the camera. It returns ctx.Err() when ctx
// ends, capture.ErrClosed after Close, and an error wrapping ErrCameraLost
// (and the cause) once the camera is lost; frames that came before are
// returned first.
func (c *cameraSource) Read(ctx context.Context) (*capture.VideoFrame, error) {
	if c.closing() {
		return nil, capture.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case f := <-c.frames:
		return c.stamp(f), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, capture.ErrClosed
	case <-c.exited:
		if c.closing() { // closed while reading: that is not a loss
			return nil, capture.ErrClosed
		}
		select {
		case f := <-c.frames:
			return c.stamp(f), nil
		default:
		}
		return nil, c.err
	}
}

func (c *cameraSource) stamp(f *capture.VideoFrame) *capture.VideoFrame {
	f.Seq = c.seq
	c.seq++
	return f
}

// Close stops the camera and waits for its goroutine; a Read in progress
// returns capture.ErrClosed. Frames already returned stay valid until
// released. Safe to call more than once, from any goroutine.
func (c *cameraSource) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		err := c.dev.Close() // makes a pending ReadFrame return
		<-c.exited
		select {
		case f := <-c.frames:
			f.Release()
		default:
		}
		if err != nil && c.err == nil { // a lost camera may not close cleanly
			c.closeErr = fmt.Errorf("device: close camera %s: %w", c.name, err)
		}
	})
	return c.closeErr
}

func (c *cameraSource) get() *camBuf {
	c.poolMu.Lock()
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		c.poolMu.Unlock()
		return b
	}
	c.poolMu.Unlock()
	b := &camBuf{img: newI420(c.props.Width, c.props.Height)}
	b.rel = func() { c.put(b) }
	return b
}

func (c *cameraSource) put(b *camBuf) {
	c.poolMu.Lock()
	c.free = append(c.free, b)
	c.poolMu.Unlock()
}
