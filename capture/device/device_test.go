package device

import (
	"context"
	"errors"
	"image"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/prop"
	"go.uber.org/goleak"

	"studio/capture"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestListingNeverFails(t *testing.T) {
	cams, err := Cameras()
	if err != nil || cams == nil {
		t.Fatalf("Cameras() = %v, %v; want a (possibly empty) list and no error", cams, err)
	}
	mics, err := Microphones()
	if err != nil || mics == nil {
		t.Fatalf("Microphones() = %v, %v; want a (possibly empty) list and no error", mics, err)
	}
	for _, d := range append(cams, mics...) {
		if d.ID == "" || d.Name == "" {
			t.Errorf("device without ID or name: %+v", d)
		}
		if d.ID == nullID {
			t.Errorf("the null backend is listed as a microphone: %+v", d)
		}
	}
	t.Logf("cameras %v, microphones %v", cams, mics)
}

func TestOpenMissingCamera(t *testing.T) {
	clock := capture.NewClock()
	props := capture.VideoProps{Width: 640, Height: 360, FPS: 30}
	if cams, _ := Cameras(); len(cams) == 0 {
		src, err := OpenCamera(clock, "", props)
		if !errors.Is(err, capture.ErrNoDevice) || src != nil {
			t.Errorf("OpenCamera(\"\") with no camera = %v, %v; want ErrNoDevice", src, err)
		}
	}
	src, err := OpenCamera(clock, "no-such-camera", props)
	if !errors.Is(err, capture.ErrNoDevice) || src != nil {
		t.Errorf("OpenCamera(no-such-camera) = %v, %v; want ErrNoDevice", src, err)
	}
	if _, err := OpenCamera(clock, "", capture.VideoProps{Width: 15, Height: 10, FPS: 30}); err == nil {
		t.Error("OpenCamera accepted 15x10")
	}
}

func TestOpenMissingMicrophone(t *testing.T) {
	clock := capture.NewClock()
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	if mics, _ := Microphones(); len(mics) == 0 {
		src, err := OpenMicrophone(clock, "", props)
		if !errors.Is(err, capture.ErrNoDevice) || src != nil {
			t.Errorf("OpenMicrophone(\"\") with no microphone = %v, %v; want ErrNoDevice", src, err)
		}
	}
	if _, err := OpenMicrophone(clock, "no-such-mic", props); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("OpenMicrophone(no-such-mic): %v, want ErrNoDevice", err)
	}
	if _, err := OpenMicrophone(clock, "", capture.AudioProps{SampleRate: 44100, Channels: 2}); err == nil {
		t.Error("OpenMicrophone accepted 44.1 kHz")
	}
}

// TestNullMicrophone opens miniaudio's null capture device, which exists on
// machines with no sound card, through the real driver with explicit
// constraints: it must read frames of the right shape without panicking.
func TestNullMicrophone(t *testing.T) {
	if len(drivers(driver.Microphone, capture.Microphone, true)) == 0 {
		t.Skip("no null microphone backend here")
	}
	for _, ch := range []int{1, 2} {
		src, err := OpenMicrophone(capture.NewClock(), nullID, capture.AudioProps{SampleRate: 48000, Channels: ch})
		if err != nil {
			// A clean error is acceptable; a panic is not.
			t.Logf("null microphone: %v", err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var next time.Duration
		for i := range 20 {
			f, err := src.Read(ctx)
			if err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
			if f.SampleRate != 48000 || f.Channels != ch || len(f.Samples) == 0 || len(f.Samples)%ch != 0 {
				t.Fatalf("frame %d: %d samples at %d Hz, %d channels", i, len(f.Samples), f.SampleRate, f.Channels)
			}
			if i > 0 && f.PTS < next {
				t.Fatalf("frame %d: PTS %v before the end of the previous frame %v", i, f.PTS, next)
			}
			next = f.PTS + time.Duration(len(f.Samples)/ch)*time.Second/48000
			f.Release()
		}
		cancel()
		if err := src.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
		if _, err := src.Read(context.Background()); !errors.Is(err, capture.ErrClosed) {
			t.Errorf("read after close: %v, want ErrClosed", err)
		}
	}
}

func TestChooseMode(t *testing.T) {
	mk := func(w, h int, fps float32, f frame.Format) prop.Media {
		return prop.Media{Video: prop.Video{Width: w, Height: h, FrameRate: fps, FrameFormat: f}}
	}
	modes := []prop.Media{
		mk(1280, 720, 10, frame.FormatYUYV), // right size, too slow
		mk(1280, 720, 30, frame.FormatMJPEG),
		mk(640, 480, 30, frame.FormatYUYV),
		mk(1280, 720, 30, frame.FormatZ16), // depth: unusable
	}
	got, ok := chooseMode(modes, capture.VideoProps{Width: 1280, Height: 720, FPS: 30})
	if !ok || got.FrameFormat != frame.FormatMJPEG || got.Width != 1280 {
		t.Errorf("720p30: chose %+v", got.Video)
	}
	got, _ = chooseMode(modes, capture.VideoProps{Width: 640, Height: 480, FPS: 30})
	if got.FrameFormat != frame.FormatYUYV || got.Width != 640 {
		t.Errorf("480p30: chose %+v", got.Video)
	}
	if _, ok := chooseMode([]prop.Media{mk(640, 480, 30, frame.FormatZ16)}, capture.VideoProps{Width: 640, Height: 480, FPS: 30}); ok {
		t.Error("chose a depth mode")
	}
}

// fakeCam is a driver whose reader yields raw YUYV frames until told to fail
// or until the driver is closed, like the V4L2 driver.
type fakeCam struct {
	w, h    int
	mu      sync.Mutex
	closed  chan struct{}
	once    sync.Once
	failAt  int // the reader fails on this read (0: never)
	reads   int
	release chan struct{} // each read waits for a token
}

func (c *fakeCam) Open() error              { return nil }
func (c *fakeCam) Close() error             { c.once.Do(func() { close(c.closed) }); return nil }
func (c *fakeCam) Properties() []prop.Media { return nil }
func (c *fakeCam) ID() string               { return "fake" }
func (c *fakeCam) Info() driver.Info        { return driver.Info{Label: "fake", DeviceType: driver.Camera} }
func (c *fakeCam) Status() driver.State     { return driver.StateRunning }

var errUnplugged = errors.New("no such device")

func (c *fakeCam) Read() (image.Image, func(), error) {
	select {
	case <-c.release:
	case <-c.closed:
		return nil, func() {}, io.EOF
	}
	c.mu.Lock()
	c.reads++
	n := c.reads
	c.mu.Unlock()
	if n == c.failAt {
		return nil, func() {}, errUnplugged
	}
	raw := make([]byte, c.w*c.h*2)
	for i := range raw {
		raw[i] = byte(n)
	}
	dec, _ := frame.NewDecoder(frame.FormatYUYV)
	return dec.Decode(raw, c.w, c.h)
}

func TestCameraSourceDeliversAndFails(t *testing.T) {
	cam := &fakeCam{w: 32, h: 16, closed: make(chan struct{}), failAt: 4, release: make(chan struct{})}
	src := newCameraSource(capture.NewClock(), capture.VideoProps{Width: 64, Height: 32, FPS: 30}, "fake", cam, cam)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last time.Duration
	for i := range 3 {
		cam.release <- struct{}{}
		f, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != uint64(i) || f.Image.Rect.Dx() != 64 || f.Image.Rect.Dy() != 32 || f.Image.Y[0] != byte(i+1) {
			t.Fatalf("frame %d: seq %d size %v Y %d", i, f.Seq, f.Image.Rect, f.Image.Y[0])
		}
		if f.PTS < last {
			t.Fatalf("PTS went back")
		}
		last = f.PTS
		f.Release()
	}
	// ctx ends while no frame comes.
	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if _, err := src.Read(short); !errors.Is(err, context.Canceled) {
		t.Errorf("read with ended ctx: %v", err)
	}
	cam.release <- struct{}{} // the 4th read fails: the camera is gone
	if _, err := src.Read(ctx); !errors.Is(err, errUnplugged) {
		t.Errorf("read after unplug: %v, want the driver's error", err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if _, err := src.Read(ctx); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

func TestCameraSourceCloseUnblocksRead(t *testing.T) {
	cam := &fakeCam{w: 32, h: 16, closed: make(chan struct{}), release: make(chan struct{})}
	src := newCameraSource(capture.NewClock(), capture.VideoProps{Width: 32, Height: 16, FPS: 30}, "fake", cam, cam)
	errc := make(chan error, 1)
	go func() {
		_, err := src.Read(context.Background())
		errc <- err
	}()
	_ = src.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, capture.ErrClosed) {
			t.Errorf("pending read: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}
