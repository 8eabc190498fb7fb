package device

import (
	"fmt"
	"image"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"studio/capture/mjpeg"
)

// fakeDriver is a cameraDriver over fake cameras.
type fakeDriver struct {
	cams []*fakeCamera
}

func (d *fakeDriver) List() []cameraInfo {
	var out []cameraInfo
	for _, c := range d.cams {
		if !c.isUnplugged() {
			out = append(out, c.info)
		}
	}
	return out
}

func (d *fakeDriver) Open(info cameraInfo) (cameraDevice, error) {
	for _, c := range d.cams {
		if c.info == info && !c.isUnplugged() {
			c.mu.Lock()
			c.open++
			c.mu.Unlock()
			return &fakeDevice{cam: c, closed: make(chan struct{})}, nil
		}
	}
	return nil, fmt.Errorf("open %s: %w", info.Path, syscall.ENOENT)
}

// fakeCamera serves frames (real JPEGs made by ffmpeg, or raw bytes) in
// turn at its mode's rate, like a camera paced by its sensor. It can hold
// back frames, stall (stop sending while still plugged in) and be
// unplugged, after which reads fail the way V4L2's DQBUF does (ENODEV).
type fakeCamera struct {
	info   cameraInfo
	modes  []cameraMode
	frames [][]byte

	unplugged chan struct{}
	once      sync.Once

	mu      sync.Mutex
	hold    int  // ticks that bring no frame, guarded by mu
	stalled bool // guarded by mu
	open    int  // open devices, guarded by mu
}

func newFakeCamera(id string, modes []cameraMode, frames [][]byte) *fakeCamera {
	return &fakeCamera{
		info:      cameraInfo{ID: id, Name: "Fake Cam " + id, Path: "/dev/" + id},
		modes:     modes,
		frames:    frames,
		unplugged: make(chan struct{}),
	}
}

func (c *fakeCamera) unplug() { c.once.Do(func() { close(c.unplugged) }) }

func (c *fakeCamera) isUnplugged() bool {
	select {
	case <-c.unplugged:
		return true
	default:
		return false
	}
}

// holdBack makes the next n frame intervals pass without a frame.
func (c *fakeCamera) holdBack(n int) {
	c.mu.Lock()
	c.hold += n
	c.mu.Unlock()
}

func (c *fakeCamera) stall() {
	c.mu.Lock()
	c.stalled = true
	c.mu.Unlock()
}

func (c *fakeCamera) openDevices() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// takeTick reports whether this frame interval brings a frame.
func (c *fakeCamera) takeTick() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stalled {
		return false
	}
	if c.hold > 0 {
		c.hold--
		return false
	}
	return true
}

type fakeDevice struct {
	cam    *fakeCamera
	ticker *time.Ticker // set by Start
	n      int
	closed chan struct{}
	once   sync.Once
}

func (d *fakeDevice) Modes() []cameraMode { return d.cam.modes }

func (d *fakeDevice) Start(m cameraMode) (cameraMode, error) {
	for _, have := range d.cam.modes {
		if have.Format == m.Format && have.Width == m.Width && have.Height == m.Height {
			if have.FPS > 0 {
				m.FPS = have.FPS
			}
			d.ticker = time.NewTicker(time.Duration(float64(time.Second) / m.FPS))
			return m, nil
		}
	}
	return m, fmt.Errorf("mode %v: %w", m, syscall.EINVAL)
}

func (d *fakeDevice) ReadFrame(timeout time.Duration, use func([]byte)) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-d.closed:
			return errDeviceClosed
		case <-d.cam.unplugged:
			return fmt.Errorf("VIDIOC_DQBUF: %w", syscall.ENODEV)
		case <-t.C:
			return errFrameTimeout
		case <-d.ticker.C:
			if !d.cam.takeTick() {
				continue
			}
			use(d.cam.frames[d.n%len(d.cam.frames)])
			d.n++
			return nil
		}
	}
}

func (d *fakeDevice) Close() error {
	d.once.Do(func() {
		close(d.closed)
		if d.ticker != nil {
			d.ticker.Stop()
		}
		d.cam.mu.Lock()
		d.cam.open--
		d.cam.mu.Unlock()
	})
	return nil
}

// camFrames reads the committed camera frames: 160x90 4:2:2 JPEGs made by
// ffmpeg (testsrc2, -q:v 5), four successive pictures.
func camFrames(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 1; i <= 4; i++ {
		b, err := os.ReadFile(fmt.Sprintf("testdata/cam-160x90-%d.jpg", i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// decodeAll decodes JPEG frames to I420 with capture/mjpeg.
func decodeAll(t *testing.T, frames [][]byte) []*image.YCbCr {
	t.Helper()
	d, err := mjpeg.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out []*image.YCbCr
	for _, f := range frames {
		img := new(image.YCbCr)
		if err := d.DecodeI420(img, f); err != nil {
			t.Fatal(err)
		}
		out = append(out, img)
	}
	return out
}
