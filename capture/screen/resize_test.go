package screen

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/screen/screentest"
)

// readUntil reads paced frames until ok accepts one or the deadline
// passes, and returns that frame's image (a copy) or nil.
func readUntil(t *testing.T, s *Source, deadline time.Duration, ok func(*image.YCbCr) bool) *image.YCbCr {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	for {
		f, err := s.Read(ctx)
		if err != nil {
			t.Logf("read: %v", err)
			return nil
		}
		if ok(f.Image) {
			img := *f.Image
			img.Y, img.Cb, img.Cr = append([]byte(nil), img.Y...), append([]byte(nil), img.Cb...), append([]byte(nil), img.Cr...)
			f.Release()
			return &img
		}
		f.Release()
	}
}

// near reports whether the mean colour of img inside r is c within 3.
func near(img *image.YCbCr, r image.Rectangle, c color.RGBA) bool {
	y, cb, cr := meanYCC(img, r)
	wy, wcb, wcr := ycc601(c)
	return math.Abs(y-wy) <= 3 && math.Abs(cb-wcb) <= 3 && math.Abs(cr-wcr) <= 3
}

func TestFollowsScreenSizeChanges(t *testing.T) {
	green, yellow := color.RGBA{0, 255, 0, 255}, color.RGBA{255, 255, 0, 255}
	x := screentest.StartXvfb(t, 1280, 720)
	screentest.Paint(t, x.Display, screentest.Halves(1280, 720, red, blue))
	s, err := open(capture.NewClock(), capture.VideoProps{Width: 640, Height: 360, FPS: 30}, config{display: x.Display})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkHalves(t, f.Image)
	f.Release()

	// Smaller: the grab image no longer fits the screen, and the source
	// must notice at once rather than fail.
	screentest.Resize(t, x.Display, 640, 480)
	screentest.Paint(t, x.Display, screentest.Halves(640, 480, green, yellow))
	left, right := image.Rect(0, 0, 280, 360), image.Rect(360, 0, 640, 360)
	img := readUntil(t, s, 5*time.Second, func(img *image.YCbCr) bool {
		return near(img, left, green) && near(img, right, yellow)
	})
	if img == nil {
		t.Fatal("the frames never showed the new, smaller screen")
	}
	if st := s.Status(); st.Device != "Screen "+x.Display+" (640x480)" || st.State != capture.SourceOK {
		t.Errorf("status after shrinking: %+v", st)
	}

	// Larger again: the whole new screen is scaled into the frame once
	// the periodic size check sees it.
	screentest.Resize(t, x.Display, 1280, 720)
	screentest.Paint(t, x.Display, screentest.Halves(1280, 720, blue, green))
	img = readUntil(t, s, 5*time.Second, func(img *image.YCbCr) bool {
		return near(img, left, blue) && near(img, right, green)
	})
	if img == nil {
		t.Fatal("the frames never showed the whole screen after it grew")
	}
	if st := s.Status(); st.Device != "Screen "+x.Display+" (1280x720)" || st.State != capture.SourceOK {
		t.Errorf("status after growing: %+v", st)
	}
}
