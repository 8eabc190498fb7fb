//go:build linux

package device

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"
)

// v4l2Driver is the cameraDriver of the program: the /dev/video* nodes,
// through github.com/blackjack/webcam, which hands over the raw frames
// (MJPEG bytes, YUYV, NV12) the camera sends. It cannot run here (no
// camera, no v4l2loopback), so it stays thin: everything above it is tested
// with the fake driver.
type v4l2Driver struct{}

// v4l2Buffers is how many frames the camera may fill while one is decoded.
const v4l2Buffers = 4

// List opens every /dev/video* node that captures video in a format this
// package converts (leaving out uvcvideo's metadata nodes), video0 first.
func (v4l2Driver) List() []cameraInfo {
	paths, _ := filepath.Glob("/dev/video*")
	var out []cameraInfo
	for _, p := range paths {
		cam, err := webcam.Open(p)
		if err != nil {
			continue
		}
		name, _ := cam.GetName()
		usable := false
		for f := range cam.GetSupportedFormats() {
			usable = usable || formatRank(pixelFormat(f)) >= 0
		}
		_ = cam.Close()
		if !usable {
			continue
		}
		id := filepath.Base(p)
		if name = strings.TrimSpace(name); name == "" {
			name = id
		}
		out = append(out, cameraInfo{ID: id, Name: name, Path: p})
	}
	num := func(id string) int { n, _ := strconv.Atoi(strings.TrimPrefix(id, "video")); return n }
	sort.Slice(out, func(i, j int) bool { return num(out[i].ID) < num(out[j].ID) })
	return out
}

// Open opens the node and makes the eventfd that interrupts ReadFrame.
func (v4l2Driver) Open(info cameraInfo) (cameraDevice, error) {
	cam, err := webcam.Open(info.Path)
	if err != nil {
		return nil, err
	}
	// webcam.Webcam does not export its descriptor, which ReadFrame polls
	// together with the eventfd so that Close can interrupt it.
	f := reflect.ValueOf(cam).Elem().FieldByName("fd")
	if !f.IsValid() || f.Kind() != reflect.Uintptr {
		_ = cam.Close()
		return nil, errors.New("github.com/blackjack/webcam: no fd field (version changed?)")
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = cam.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := cam.SetBufferCount(v4l2Buffers); err != nil {
		_ = cam.Close()
		_ = unix.Close(wake)
		return nil, err
	}
	return &v4l2Device{cam: cam, fd: int32(f.Uint()), wake: int32(wake)}, nil
}

// v4l2Device is an open V4L2 camera.
type v4l2Device struct {
	mu     sync.Mutex // held by ReadFrame and Start; Close takes it to free
	cam    *webcam.Webcam
	fd     int32 // cam's descriptor
	wake   int32 // eventfd written by Close
	closed atomic.Bool
	once   sync.Once
	err    error // from cam.Close
}

func (d *v4l2Device) Modes() []cameraMode {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []cameraMode
	for f := range d.cam.GetSupportedFormats() {
		pf := pixelFormat(f)
		if formatRank(pf) < 0 {
			continue
		}
		for _, s := range d.cam.GetSupportedFrameSizes(f) {
			for _, wh := range frameSizes(s) {
				rates := d.cam.GetSupportedFramerates(f, uint32(wh[0]), uint32(wh[1]))
				if len(rates) == 0 {
					out = append(out, cameraMode{Format: pf, Width: wh[0], Height: wh[1]})
				}
				for _, r := range rates {
					for _, fps := range frameRates(r) {
						out = append(out, cameraMode{Format: pf, Width: wh[0], Height: wh[1], FPS: fps})
					}
				}
			}
		}
	}
	return out
}

// frameSizes lists a discrete size, or for a range the common sizes in it
// and its largest.
func frameSizes(s webcam.FrameSize) [][2]int {
	if s.StepWidth == 0 && s.StepHeight == 0 {
		return [][2]int{{int(s.MaxWidth), int(s.MaxHeight)}}
	}
	out := [][2]int{{int(s.MaxWidth), int(s.MaxHeight)}}
	for _, c := range [][2]int{{640, 360}, {640, 480}, {1280, 720}, {1920, 1080}} {
		w, h := uint32(c[0]), uint32(c[1])
		if w >= s.MinWidth && w < s.MaxWidth && h >= s.MinHeight && h < s.MaxHeight &&
			(s.StepWidth == 0 || (w-s.MinWidth)%s.StepWidth == 0) && (s.StepHeight == 0 || (h-s.MinHeight)%s.StepHeight == 0) {
			out = append(out, c)
		}
	}
	return out
}

// frameRates turns a frame interval (discrete, or the ends of a range) into
// frames per second.
func frameRates(r webcam.FrameRate) []float64 {
	var out []float64
	add := func(num, den uint32) {
		if num > 0 && den > 0 {
			out = append(out, float64(den)/float64(num))
		}
	}
	add(r.MinNumerator, r.MinDenominator)
	if r.StepNumerator != 0 || r.StepDenominator != 0 {
		add(r.MaxNumerator, r.MaxDenominator)
	}
	return out
}

func (d *v4l2Device) Start(m cameraMode) (cameraMode, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Load() {
		return m, errDeviceClosed
	}
	// webcam v0.6.1 returns the format the driver took but the size asked
	// for; the converters check each frame's length (and MJPEG carries its
	// own size).
	f, _, _, err := d.cam.SetImageFormat(webcam.PixelFormat(m.Format), uint32(m.Width), uint32(m.Height))
	if err != nil {
		return m, fmt.Errorf("VIDIOC_S_FMT %v: %w", m, err)
	}
	m.Format = pixelFormat(f)
	if m.FPS > 0 {
		// Not every camera lets the rate be set; it then runs at its own.
		_ = d.cam.SetFramerate(float32(m.FPS))
	}
	if fps, err := d.cam.GetFramerate(); err == nil && fps > 0 {
		m.FPS = float64(fps)
	}
	if err := d.cam.StartStreaming(); err != nil {
		return m, err
	}
	return m, nil
}

// maxEmptyFrames is how many empty buffers in a row count as a failure.
const maxEmptyFrames = 5

func (d *v4l2Device) ReadFrame(timeout time.Duration, use func(raw []byte)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	deadline := time.Now().Add(timeout)
	empty := 0
	for {
		if d.closed.Load() {
			return errDeviceClosed
		}
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return errFrameTimeout
		}
		fds := []unix.PollFd{{Fd: d.fd, Events: unix.POLLIN}, {Fd: d.wake, Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) || n == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		if fds[1].Revents != 0 {
			return errDeviceClosed
		}
		// POLLIN, or POLLERR once the camera is gone: DQBUF says which
		// (ENODEV when unplugged).
		buf, index, err := d.cam.GetFrame()
		if errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return fmt.Errorf("VIDIOC_DQBUF: %w", err)
		}
		if len(buf) > 0 {
			use(buf)
		}
		if err := d.cam.ReleaseFrame(index); err != nil {
			return fmt.Errorf("VIDIOC_QBUF: %w", err)
		}
		if len(buf) > 0 {
			return nil
		}
		if empty++; empty >= maxEmptyFrames {
			return fmt.Errorf("%d empty frames in a row", empty)
		}
	}
}

func (d *v4l2Device) Close() error {
	d.once.Do(func() {
		d.closed.Store(true)
		one := binary.NativeEndian.AppendUint64(nil, 1) // eventfd counter += 1
		_, _ = unix.Write(int(d.wake), one)
		d.mu.Lock() // a ReadFrame in progress has returned
		defer d.mu.Unlock()
		d.err = d.cam.Close()
		_ = unix.Close(int(d.wake))
	})
	return d.err
}
