package screen

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/screen/screentest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	red  = color.RGBA{255, 0, 0, 255}
	blue = color.RGBA{0, 0, 255, 255}
)

// ycc601 is the BT.601 limited-range conversion, computed in floating
// point as the reference the fixed-point code must match.
func ycc601(c color.RGBA) (y, cb, cr float64) {
	r, g, b := float64(c.R), float64(c.G), float64(c.B)
	y = 16 + (65.481*r+128.553*g+24.966*b)/255
	cb = 128 + (-37.797*r-74.203*g+112*b)/255
	cr = 128 + (112*r-93.786*g-18.214*b)/255
	return y, cb, cr
}

// meanYCC averages the luma and chroma of img inside r (luma coordinates).
func meanYCC(img *image.YCbCr, r image.Rectangle) (y, cb, cr float64) {
	var n int
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			y += float64(img.Y[img.YOffset(px, py)])
			ci := img.COffset(px, py)
			cb += float64(img.Cb[ci])
			cr += float64(img.Cr[ci])
			n++
		}
	}
	return y / float64(n), cb / float64(n), cr / float64(n)
}

// checkColour fails unless img's mean colour inside r is want within tol.
func checkColour(t *testing.T, what string, img *image.YCbCr, r image.Rectangle, want color.RGBA, tol float64) {
	t.Helper()
	y, cb, cr := meanYCC(img, r)
	wy, wcb, wcr := ycc601(want)
	if math.Abs(y-wy) > tol || math.Abs(cb-wcb) > tol || math.Abs(cr-wcr) > tol {
		t.Errorf("%s: Y/Cb/Cr %.1f/%.1f/%.1f, want %.1f/%.1f/%.1f ±%.0f", what, y, cb, cr, wy, wcb, wcr, tol)
	}
}

// checkHalves checks a frame of the red|blue screen, leaving out a margin
// around the middle, where scaling mixes the two.
func checkHalves(t *testing.T, img *image.YCbCr) {
	t.Helper()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	m := w / 16
	checkColour(t, "left half", img, image.Rect(0, 0, w/2-m, h), red, 1.5)
	checkColour(t, "right half", img, image.Rect(w/2+m, 0, w, h), blue, 1.5)
}

func TestCapturesWhatIsDrawn(t *testing.T) {
	x := screentest.StartXvfb(t, 1280, 720)
	screentest.Paint(t, x.Display, screentest.Halves(1280, 720, red, blue))
	for _, tc := range []struct {
		name string
		w, h int
		cfg  config
	}{
		{"shm-640x360", 640, 360, config{}},
		{"shm-1280x720", 1280, 720, config{}},
		{"shm-1920x1080", 1920, 1080, config{}},
		{"getimage-640x360", 640, 360, config{noSHM: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.display = x.Display
			tc.cfg.unpaced = true
			s, err := open(capture.NewClock(), capture.VideoProps{Width: tc.w, Height: tc.h, FPS: 30}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, _, _, shm, _ := s.x.info()
			if shm == tc.cfg.noSHM {
				t.Errorf("MIT-SHM in use: %v, want %v", shm, !tc.cfg.noSHM)
			}
			f, err := s.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			if got := f.Image.Rect; got != image.Rect(0, 0, tc.w, tc.h) {
				t.Fatalf("frame is %v, want %dx%d", got, tc.w, tc.h)
			}
			if f.Image.SubsampleRatio != image.YCbCrSubsampleRatio420 || f.Image.YStride != tc.w || f.Image.CStride != tc.w/2 {
				t.Errorf("layout %v, strides %d/%d", f.Image.SubsampleRatio, f.Image.YStride, f.Image.CStride)
			}
			checkHalves(t, f.Image)
		})
	}
}

func TestOpenUsesDISPLAYAndDescribe(t *testing.T) {
	x := screentest.StartXvfb(t, 640, 480)
	t.Setenv("DISPLAY", x.Display)
	d, err := Describe()
	if err != nil {
		t.Fatal(err)
	}
	want := "Screen " + x.Display + " (640x480)"
	if d.ID != "screen" || d.Name != want || d.Kind != capture.Camera {
		t.Errorf("Describe: %+v, want ID screen, Name %q", d, want)
	}
	src, err := Open(capture.NewClock(), capture.VideoProps{Width: 320, Height: 240, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	st := src.(capture.Reporter).Status()
	if st.Device != want || st.State != capture.SourceOK || st.Err != nil {
		t.Errorf("status %+v", st)
	}
	if p := src.Props(); p != (capture.VideoProps{Width: 320, Height: 240, FPS: 10}) {
		t.Errorf("props %+v", p)
	}
}

func TestNoDisplay(t *testing.T) {
	for _, d := range []string{"", ":9999"} {
		t.Setenv("DISPLAY", d)
		if _, err := Describe(); !errors.Is(err, capture.ErrNoDevice) {
			t.Errorf("DISPLAY=%q: Describe: %v, want ErrNoDevice", d, err)
		}
		if _, err := Open(capture.NewClock(), capture.VideoProps{Width: 320, Height: 240, FPS: 10}); !errors.Is(err, capture.ErrNoDevice) {
			t.Errorf("DISPLAY=%q: Open: %v, want ErrNoDevice", d, err)
		}
	}
}

func TestBadProps(t *testing.T) {
	for _, p := range []capture.VideoProps{
		{Width: 0, Height: 360, FPS: 30}, {Width: 641, Height: 360, FPS: 30}, {Width: 640, Height: 8, FPS: 30},
		{Width: 640, Height: 360, FPS: 0}, {Width: 640, Height: 360, FPS: 1001}, {Width: 20000, Height: 360, FPS: 30},
	} {
		if s, err := open(capture.NewClock(), p, config{display: ":9999"}); err == nil || errors.Is(err, capture.ErrNoDevice) {
			t.Errorf("%+v: %v, want a props error before connecting", p, err)
			if s != nil {
				s.Close()
			}
		}
	}
	if _, err := open(nil, capture.VideoProps{Width: 640, Height: 360, FPS: 30}, config{}); err == nil {
		t.Error("nil clock accepted")
	}
}

func TestPacing(t *testing.T) {
	x := screentest.StartXvfb(t, 1280, 720)
	clock := capture.NewClock()
	s, err := open(clock, capture.VideoProps{Width: 640, Height: 360, FPS: 30}, config{display: x.Display})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	first, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start, frames := first.PTS, 1
	first.Release()
	if d := clock.Now() - start; d > 200*time.Millisecond {
		t.Errorf("first frame took %v after its PTS", d)
	}
	prev := start
	frameDur := time.Second / 30
	skippedBefore := s.Status().Skipped
	for {
		f, err := s.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pts, seq := f.PTS, f.Seq
		f.Release()
		if pts-start >= 2*time.Second {
			break
		}
		if now := clock.Now(); now < pts {
			t.Errorf("frame %d returned at %v, before its PTS %v", seq, now, pts)
		}
		if seq != uint64(frames) {
			t.Errorf("frame %d has Seq %d", frames, seq)
		}
		// Slot times are computed from the slot number: one frame
		// apart, or one more for each slot skipped, to within the
		// nanosecond of rounding.
		sk := s.Status().Skipped
		want := time.Duration(1+sk-skippedBefore) * frameDur
		if gap := pts - prev; gap < want-time.Nanosecond || gap > want+time.Nanosecond {
			t.Errorf("frame %d: PTS %v after the previous one, want %v (%d slots skipped)", seq, gap, want, sk-skippedBefore)
		}
		prev, skippedBefore = pts, sk
		frames++
	}
	// Every slot up to the last frame of the 2 s was either delivered or
	// reported skipped. A busy machine may skip a few (a stall of 100 ms
	// is 3 slots); a grab that cannot keep real time skips many.
	lastSlot := int((prev - start) / frameDur)
	if frames+int(skippedBefore) != lastSlot+1 {
		t.Errorf("%d frames and %d skipped slots up to slot %d", frames, skippedBefore, lastSlot)
	}
	if lastSlot < 57 {
		t.Errorf("the last frame before 2 s is slot %d, want 57 to 59", lastSlot)
	}
	if frames < 45 {
		t.Errorf("%d frames in 2 s at 30 fps, want at least 45", frames)
	}
	t.Logf("%d frames, %d slots skipped in 2 s", frames, skippedBefore)
}

func TestLateReaderSkipsToLatestSlot(t *testing.T) {
	x := screentest.StartXvfb(t, 320, 240)
	clock := capture.NewClock()
	s, err := open(clock, capture.VideoProps{Width: 320, Height: 240, FPS: 100}, config{display: x.Display})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := f.PTS
	f.Release()
	// A consumer busy for 20 frame intervals (a deliberate stall, not a
	// wait for an event).
	time.Sleep(200 * time.Millisecond)
	f, err = s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	slot := int64((f.PTS - start) / (10 * time.Millisecond))
	if f.Seq != 1 || slot < 20 || f.PTS > clock.Now() {
		t.Errorf("after the stall: Seq %d, slot %d (PTS %v, now %v); want Seq 1 and the latest due slot, ≥ 20",
			f.Seq, slot, f.PTS-start, clock.Now()-start)
	}
	if sk := s.Status().Skipped; sk != uint64(slot-1) {
		t.Errorf("Skipped %d, want %d", sk, slot-1)
	}
}

func TestCloseAndCancel(t *testing.T) {
	x := screentest.StartXvfb(t, 320, 240)
	s, err := open(capture.NewClock(), capture.VideoProps{Width: 320, Height: 240, FPS: 1}, config{display: x.Display})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// The next frame is a second away: a cancelled ctx ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := s.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled ctx: %v", err)
	}

	// Close from another goroutine ends a waiting Read.
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(context.Background())
		errc <- err
	}()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, capture.ErrClosed) {
			t.Errorf("Read during Close: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still waiting 5 s after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Read(context.Background()); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	// A frame returned before Close stays readable and releasable.
	_ = f.Image.Y[len(f.Image.Y)-1]
	f.Release()
	f.Release()
}

// ourSegments counts the System V shared memory segments this process
// created that still exist.
func ourSegments(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Skipf("no /proc/sysvipc/shm: %v", err)
	}
	pid := strconv.Itoa(os.Getpid())
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 4 && f[4] == pid {
			n++
		}
	}
	return n
}

func TestCloseFreesSharedMemory(t *testing.T) {
	x := screentest.StartXvfb(t, 640, 360)
	before := ourSegments(t)
	s, err := open(capture.NewClock(), capture.VideoProps{Width: 320, Height: 180, FPS: 30}, config{display: x.Display, unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	if n := ourSegments(t); n != before+1 {
		t.Errorf("%d segments while open, want %d (one for the grab image)", n, before+1)
	}
	s.Close()
	if n := ourSegments(t); n != before {
		t.Errorf("%d segments after Close, want %d", n, before)
	}
}

func TestDisplayLost(t *testing.T) {
	x := screentest.StartXvfb(t, 320, 240)
	clock := capture.NewClock()
	s, err := open(clock, capture.VideoProps{Width: 320, Height: 240, FPS: 30}, config{display: x.Display, unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	x.Stop()
	// The process must survive, and Read report the loss.
	_, err = s.Read(context.Background())
	if !errors.Is(err, ErrDisplayLost) {
		t.Fatalf("Read after the X server died: %v, want ErrDisplayLost", err)
	}
	st := s.Status()
	if st.State != capture.SourceLost || !errors.Is(st.Err, ErrDisplayLost) {
		t.Errorf("status after the X server died: %+v", st)
	}
	if !strings.HasPrefix(st.Device, "Screen ") {
		t.Errorf("device %q", st.Device)
	}
	if _, err := s.Read(context.Background()); !errors.Is(err, ErrDisplayLost) {
		t.Errorf("second Read after loss: %v", err)
	}
}

func TestReadDoesNotAllocate(t *testing.T) {
	x := screentest.StartXvfb(t, 640, 360)
	s, err := open(capture.NewClock(), capture.VideoProps{Width: 320, Height: 180, FPS: 30}, config{display: x.Display, unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	read := func() {
		f, err := s.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	read()
	if n := testing.AllocsPerRun(20, read); n != 0 {
		t.Errorf("%v allocations per Read and Release, want 0", n)
	}
}
