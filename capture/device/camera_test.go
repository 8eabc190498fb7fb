package device

import (
	"bytes"
	"context"
	"errors"
	"image"
	"syscall"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/mjpeg"
)

const testStall = 300 * time.Millisecond

func mjpegCam(t *testing.T, fps float64) (*fakeDriver, *fakeCamera, []*image.YCbCr) {
	t.Helper()
	frames := camFrames(t)
	cam := newFakeCamera("video0", []cameraMode{
		{Format: fmtYUYV, Width: 160, Height: 90, FPS: 5}, // too slow
		{Format: fmtMJPEG, Width: 160, Height: 90, FPS: fps},
	}, frames)
	return &fakeDriver{cams: []*fakeCamera{cam}}, cam, decodeAll(t, frames)
}

// samePicture reports whether two I420 pictures of the same size hold the
// same samples.
func samePicture(a, b *image.YCbCr) bool {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	if b.Rect.Dx() != w || b.Rect.Dy() != h {
		return false
	}
	for y := range h {
		if !bytes.Equal(a.Y[a.YOffset(a.Rect.Min.X, a.Rect.Min.Y+y):][:w], b.Y[b.YOffset(b.Rect.Min.X, b.Rect.Min.Y+y):][:w]) {
			return false
		}
	}
	for y := range h / 2 {
		ao, bo := a.COffset(a.Rect.Min.X, a.Rect.Min.Y+2*y), b.COffset(b.Rect.Min.X, b.Rect.Min.Y+2*y)
		if !bytes.Equal(a.Cb[ao:][:w/2], b.Cb[bo:][:w/2]) || !bytes.Equal(a.Cr[ao:][:w/2], b.Cr[bo:][:w/2]) {
			return false
		}
	}
	return true
}

// which returns the index of the picture in want that img is, or -1.
func which(img *image.YCbCr, want []*image.YCbCr) int {
	for i, w := range want {
		if samePicture(img, w) {
			return i
		}
	}
	return -1
}

// readUntilErr reads until Read fails, releasing frames, and returns the
// error and how long it took.
func readUntilErr(t *testing.T, src capture.VideoSource, limit time.Duration) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	for {
		f, err := src.Read(ctx)
		if err != nil {
			return time.Since(start), err
		}
		f.Release()
		if time.Since(start) > limit {
			t.Fatalf("still reading frames after %v", limit)
		}
	}
}

// TestCameraLifecycle runs an MJPEG camera through OpenCamera's path: open,
// frames of the requested size decoded from the camera's JPEGs with PTS
// from the clock, unplug, a loss within a second, and a prompt Close.
func TestCameraLifecycle(t *testing.T) {
	drv, cam, want := mjpegCam(t, 50)
	clock := capture.NewClock()
	src, err := openCamera(drv, clock, "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, testStall)
	if err != nil {
		t.Fatal(err)
	}
	if src.mode.Format != fmtMJPEG {
		t.Fatalf("chose %v", src.mode)
	}
	if st := src.Status(); st.State != capture.SourceOK || st.Device != "Fake Cam video0" || st.Err != nil {
		t.Errorf("status %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last time.Duration
	seen := map[int]bool{}
	for i := range 10 {
		before := clock.Now()
		f, err := src.Read(ctx)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if f.Seq != uint64(i) || f.Image.Rect != image.Rect(0, 0, 160, 90) {
			t.Fatalf("frame %d: seq %d, %v", i, f.Seq, f.Image.Rect)
		}
		if f.PTS > clock.Now() || f.PTS < last || (i > 0 && f.PTS <= last) {
			t.Fatalf("frame %d: PTS %v (previous %v, read from %v)", i, f.PTS, last, before)
		}
		k := which(f.Image, want)
		if k < 0 {
			t.Fatalf("frame %d is none of the camera's pictures", i)
		}
		seen[k], last = true, f.PTS
		f.Release()
	}
	if len(seen) < 2 {
		t.Errorf("10 frames showed %d distinct pictures; the camera sends 4 in turn", len(seen))
	}
	cam.unplug()
	took, err := readUntilErr(t, src, time.Second)
	if !errors.Is(err, ErrCameraLost) || !errors.Is(err, syscall.ENODEV) {
		t.Errorf("read after unplug: %v; want ErrCameraLost and ENODEV", err)
	}
	if took > time.Second {
		t.Errorf("loss reported after %v; want within 1 s", took)
	}
	if st := src.Status(); st.State != capture.SourceLost || !errors.Is(st.Err, ErrCameraLost) || st.Since < last {
		t.Errorf("status after unplug %+v", st)
	}
	if n := cam.openDevices(); n != 0 {
		t.Errorf("lost camera still open (%d)", n)
	}
	if _, err := src.Read(ctx); !errors.Is(err, ErrCameraLost) {
		t.Errorf("second read after loss: %v", err)
	}
	start := time.Now()
	if err := src.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := src.Read(ctx); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("read after close: %v, want ErrClosed", err)
	}
	// The camera is gone from the list and cannot be opened.
	if _, err := openCamera(drv, clock, "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, testStall); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("open after unplug: %v, want ErrNoDevice", err)
	}
}

// TestCameraScales asks for sizes the camera does not have.
func TestCameraScales(t *testing.T) {
	drv, cam, want := mjpegCam(t, 50)
	for _, size := range [][2]int{{320, 180}, {64, 36}} {
		src, err := openCamera(drv, capture.NewClock(), "Fake Cam video0", capture.VideoProps{Width: size[0], Height: size[1], FPS: 30}, testStall)
		if err != nil {
			t.Fatal(err)
		}
		scaled := make([]*image.YCbCr, len(want))
		for i, w := range want {
			scaled[i] = newI420(size[0], size[1])
			toI420(scaled[i], w)
		}
		for i := range 3 {
			f, err := src.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if f.Image.Rect != image.Rect(0, 0, size[0], size[1]) || which(f.Image, scaled) < 0 {
				t.Errorf("%v: frame %d is %v and not a scaled camera frame", size, i, f.Image.Rect)
			}
			f.Release()
		}
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	}
	if n := cam.openDevices(); n != 0 {
		t.Errorf("%d devices left open", n)
	}
}

// TestCameraSkipped holds back frames: Skipped counts the intervals that
// passed without one.
func TestCameraSkipped(t *testing.T) {
	drv, cam, _ := mjpegCam(t, 50)
	src, err := openCamera(drv, capture.NewClock(), "", capture.VideoProps{Width: 160, Height: 90, FPS: 50}, testStall)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	read := func() time.Duration {
		f, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Release()
		return f.PTS
	}
	last := read()
	base := src.Status().Skipped
	cam.holdBack(10)
	var maxGap time.Duration
	for range 15 {
		pts := read()
		maxGap, last = max(maxGap, pts-last), pts
	}
	got := src.Status().Skipped - base
	// Ten intervals held back make a gap of eleven; a loaded machine may
	// skip more, never fewer.
	if got < 9 || got > 9+15 {
		t.Errorf("Skipped rose by %d after 10 frames were held back (largest gap %v); want about 10", got, maxGap)
	}
	t.Logf("skipped %d, largest gap %v", got, maxGap)
}

// TestCameraStall: a camera that stops sending while plugged in is lost
// after the stall bound.
func TestCameraStall(t *testing.T) {
	drv, cam, _ := mjpegCam(t, 50)
	src, err := openCamera(drv, capture.NewClock(), "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, testStall)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	cam.stall()
	took, err := readUntilErr(t, src, time.Second)
	if !errors.Is(err, ErrCameraLost) || took > time.Second {
		t.Errorf("stalled camera: %v after %v; want ErrCameraLost within 1 s", err, took)
	}
}

// TestCameraCorruptFrames: frames cut short (a camera unplugged mid-frame,
// a USB hiccup) are dropped; a camera that sends only those is lost.
func TestCameraCorruptFrames(t *testing.T) {
	frames := camFrames(t)
	want := decodeAll(t, frames)
	mixed := [][]byte{frames[0], frames[1][:len(frames[1])/2], frames[2], frames[3][:100]}
	cam := newFakeCamera("video0", []cameraMode{{Format: fmtMJPEG, Width: 160, Height: 90, FPS: 50}}, mixed)
	drv := &fakeDriver{cams: []*fakeCamera{cam}}
	src, err := openCamera(drv, capture.NewClock(), "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, testStall)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		f, err := src.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if k := which(f.Image, want); k != 0 && k != 2 {
			t.Fatalf("frame %d is picture %d; only the whole frames (0, 2) may come through", i, k)
		}
		f.Release()
	}
	_ = src.Close()

	bad := newFakeCamera("video1", []cameraMode{{Format: fmtMJPEG, Width: 160, Height: 90, FPS: 50}}, [][]byte{frames[0][:200]})
	src, err = openCamera(&fakeDriver{cams: []*fakeCamera{bad}}, capture.NewClock(), "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, testStall)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	took, err := readUntilErr(t, src, time.Second)
	if !errors.Is(err, ErrCameraLost) || !errors.Is(err, mjpeg.ErrCorrupt) || took > time.Second {
		t.Errorf("camera sending only broken frames: %v after %v; want ErrCameraLost wrapping mjpeg.ErrCorrupt", err, took)
	}
}

// TestCameraCloseUnblocksRead closes a source while Read waits for a frame
// that will never come.
func TestCameraCloseUnblocksRead(t *testing.T) {
	drv, cam, _ := mjpegCam(t, 50)
	cam.stall()
	src, err := openCamera(drv, capture.NewClock(), "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := src.Read(context.Background())
		errc <- err
	}()
	start := time.Now()
	_ = src.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, capture.ErrClosed) {
			t.Errorf("pending read: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	// ctx ends while no frame comes.
	src, err = openCamera(drv, capture.NewClock(), "", capture.VideoProps{Width: 160, Height: 90, FPS: 30}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := src.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("read with ending ctx: %v", err)
	}
}

func TestOpenCameraErrors(t *testing.T) {
	clock := capture.NewClock()
	props := capture.VideoProps{Width: 160, Height: 90, FPS: 30}
	if _, err := openCamera(&fakeDriver{}, clock, "", props, testStall); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("no camera: %v, want ErrNoDevice", err)
	}
	drv, cam, _ := mjpegCam(t, 30)
	if _, err := openCamera(drv, clock, "video7", props, testStall); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("unknown camera: %v, want ErrNoDevice", err)
	}
	for _, p := range []capture.VideoProps{{Width: 15, Height: 10, FPS: 30}, {Width: 160, Height: 90}, {Width: 161, Height: 90, FPS: 30}} {
		if _, err := openCamera(drv, clock, "", p, testStall); err == nil {
			t.Errorf("accepted %+v", p)
		}
	}
	if _, err := openCamera(drv, nil, "", props, testStall); err == nil {
		t.Error("accepted a nil clock")
	}
	depth := newFakeCamera("video2", []cameraMode{{Format: fourcc('Z', '1', '6', ' '), Width: 160, Height: 90, FPS: 30}}, nil)
	if _, err := openCamera(&fakeDriver{cams: []*fakeCamera{depth}}, clock, "", props, testStall); err == nil {
		t.Error("opened a camera with no usable format")
	}
	if depth.openDevices() != 0 || cam.openDevices() != 0 {
		t.Error("a failed open left the camera open")
	}
}

func TestFindCamera(t *testing.T) {
	a := newFakeCamera("video0", nil, nil)
	b := newFakeCamera("video2", nil, nil)
	drv := &fakeDriver{cams: []*fakeCamera{a, b}}
	for id, want := range map[string]string{"": "video0", "video2": "video2", "/dev/video2": "video2", "fake cam VIDEO2": "video2"} {
		got, err := findCamera(drv, id)
		if err != nil || got.ID != want {
			t.Errorf("findCamera(%q) = %v, %v; want %s", id, got.ID, err, want)
		}
	}
	if got := listCameras(drv); len(got) != 2 || got[1] != (capture.Device{ID: "video2", Name: "Fake Cam video2", Kind: capture.Camera}) {
		t.Errorf("listCameras: %+v", got)
	}
}

func TestChooseMode(t *testing.T) {
	modes := []cameraMode{
		{fmtYUYV, 1280, 720, 10}, // right size, too slow
		{fmtMJPEG, 1280, 720, 30},
		{fmtYUYV, 640, 480, 30},
		{fourcc('Z', '1', '6', ' '), 1280, 720, 30}, // depth: unusable
	}
	got, ok := chooseMode(modes, capture.VideoProps{Width: 1280, Height: 720, FPS: 30})
	if !ok || got != (cameraMode{fmtMJPEG, 1280, 720, 30}) {
		t.Errorf("720p30: chose %v", got)
	}
	got, _ = chooseMode(modes, capture.VideoProps{Width: 640, Height: 480, FPS: 25})
	if got != (cameraMode{fmtYUYV, 640, 480, 25}) {
		t.Errorf("480p25: chose %v; want YUYV asked for 25 fps", got)
	}
	if _, ok := chooseMode(modes[3:], capture.VideoProps{Width: 640, Height: 480, FPS: 30}); ok {
		t.Error("chose a depth mode")
	}
}
