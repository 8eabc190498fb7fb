package device

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"studio/capture"
)

// cameraFormats are the camera pixel formats this package converts, in order
// of preference when several modes fit equally well (cheapest first).
var cameraFormats = []frame.Format{
	frame.FormatI420, frame.FormatNV12, frame.FormatNV21,
	frame.FormatYUYV, frame.FormatYUY2, frame.FormatUYVY, frame.FormatMJPEG,
}

// OpenCamera opens the camera id ("" for the first one Cameras lists; an
// ID, a /dev path or a name otherwise) and returns a source of
// props.Width × props.Height I420 frames.
//
// It picks the camera mode closest to props (a frame rate of at least
// props.FPS first, then the size, then the cheapest pixel format), converts
// whatever the camera sends (YUYV, NV12, MJPEG, …) to I420 and scales it to
// the requested size when the camera cannot deliver it. Each frame's PTS is
// the clock's time when the frame came out of the driver; Seq counts the
// frames Read returned. The camera paces the source: Props().FPS is what
// was asked for, not a promise.
//
// A missing camera gives an error wrapping capture.ErrNoDevice.
func OpenCamera(clock *capture.Clock, id string, props capture.VideoProps) (capture.VideoSource, error) {
	if clock == nil {
		return nil, errors.New("device: camera: nil clock")
	}
	if props.Width < 16 || props.Height < 16 || props.Width%2 != 0 || props.Height%2 != 0 {
		return nil, fmt.Errorf("device: camera: size %dx%d: width and height must be even and at least 16", props.Width, props.Height)
	}
	if props.FPS < 1 || props.FPS > 240 {
		return nil, fmt.Errorf("device: camera: frame rate %d: must be between 1 and 240", props.FPS)
	}
	e, err := find(driver.Camera, capture.Camera, id)
	if err != nil {
		return nil, err
	}
	rec, ok := e.d.(driver.VideoRecorder)
	if !ok {
		return nil, fmt.Errorf("device: camera %s is not a video recorder: %w", e.dev.Name, capture.ErrNoDevice)
	}
	if err := e.d.Open(); err != nil {
		return nil, fmt.Errorf("device: open camera %s: %w", e.dev.Name, err)
	}
	mode, ok := chooseMode(e.d.Properties(), props)
	if !ok {
		_ = e.d.Close()
		return nil, fmt.Errorf("device: camera %s offers no mode in a format studio can read", e.dev.Name)
	}
	r, err := rec.VideoRecord(mode)
	if err != nil {
		_ = e.d.Close() // VideoRecord closes on failure too; Close is harmless twice.
		return nil, fmt.Errorf("device: start camera %s (%dx%d %s): %w", e.dev.Name, mode.Width, mode.Height, mode.FrameFormat, err)
	}
	return newCameraSource(clock, props, e.dev.Name, e.d, r), nil
}

// newCameraSource starts reading r, the running reader of drv.
func newCameraSource(clock *capture.Clock, props capture.VideoProps, name string, drv driver.Driver, r video.Reader) *cameraSource {
	c := &cameraSource{
		clock:  clock,
		props:  props,
		name:   name,
		drv:    drv,
		frames: make(chan *capture.VideoFrame, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go c.pump(r)
	return c
}

// chooseMode picks the mode closest to want among those in a known format.
func chooseMode(modes []prop.Media, want capture.VideoProps) (prop.Media, bool) {
	rank := func(f frame.Format) int {
		for i, g := range cameraFormats {
			if f == g {
				return i
			}
		}
		return -1
	}
	abs := func(v int) int {
		if v < 0 {
			return -v
		}
		return v
	}
	var best prop.Media
	var bestKey [3]int
	found := false
	for _, m := range modes {
		r := rank(m.FrameFormat)
		if r < 0 || m.Width <= 0 || m.Height <= 0 {
			continue
		}
		slow := 0
		if m.FrameRate > 0 && m.FrameRate+0.5 < float32(want.FPS) {
			slow = 1
		}
		key := [3]int{slow, abs(m.Width*m.Height - want.Width*want.Height), r}
		if !found || key[0] < bestKey[0] || key[0] == bestKey[0] && (key[1] < bestKey[1] || key[1] == bestKey[1] && key[2] < bestKey[2]) {
			best, bestKey, found = m, key, true
		}
	}
	if found && (best.FrameRate == 0 || best.FrameRate > float32(want.FPS)) {
		best.FrameRate = float32(want.FPS)
	}
	return best, found
}

// cameraSource is a capture.VideoSource reading a camera driver on its own
// goroutine (started by OpenCamera, stopped by Close), so that Read can
// honour ctx and Close even though the driver's Read cannot. It keeps only
// the latest frame: a slow reader gets fresh pictures, never a backlog.
type cameraSource struct {
	clock *capture.Clock
	props capture.VideoProps
	name  string
	drv   driver.Driver

	frames chan *capture.VideoFrame // the latest frame, if not yet read
	done   chan struct{}            // closed by Close
	exited chan struct{}            // closed when pump returns
	err    error                    // why pump stopped; written before exited is closed

	seq       uint64 // Seq of the next frame Read returns; Read is not concurrent
	closeOnce sync.Once

	poolMu sync.Mutex
	free   []*camBuf
}

type camBuf struct {
	img   *image.YCbCr
	frame capture.VideoFrame
	rel   func()
}

func (c *cameraSource) Props() capture.VideoProps { return c.props }

// pump reads the driver until it fails or the source is closed.
func (c *cameraSource) pump(r video.Reader) {
	defer close(c.exited)
	for {
		img, release, err := r.Read()
		if err != nil {
			c.err = err
			return
		}
		pts := c.clock.Now()
		b := c.get()
		err = toI420(b.img, img)
		if release != nil {
			release()
		}
		if err != nil {
			c.put(b)
			c.err = err
			return
		}
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
		select {
		case <-c.done:
			return
		default:
		}
	}
}

// Read returns the next frame from the camera. It returns ctx.Err() when ctx
// ends, capture.ErrClosed after Close, and an error wrapping the driver's
// when the camera stops delivering (unplugged, or no frame for 5 s).
func (c *cameraSource) Read(ctx context.Context) (*capture.VideoFrame, error) {
	select {
	case <-c.done:
		return nil, capture.ErrClosed
	default:
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
		select {
		case <-c.done: // closed while reading: that is not a failure
			return nil, capture.ErrClosed
		default:
		}
		select {
		case f := <-c.frames:
			return c.stamp(f), nil
		default:
		}
		return nil, fmt.Errorf("device: camera %s stopped: %w", c.name, c.err)
	}
}

func (c *cameraSource) stamp(f *capture.VideoFrame) *capture.VideoFrame {
	f.Seq = c.seq
	c.seq++
	return f
}

// Close stops the camera and waits for its goroutine. Frames already
// returned stay valid until released. Safe to call more than once.
func (c *cameraSource) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.done)
		// The V4L2 driver's Close makes a pending driver Read return.
		err = c.drv.Close()
		<-c.exited
		select {
		case f := <-c.frames:
			f.Release()
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("device: close camera %s: %w", c.name, err)
	}
	return nil
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
