package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
)

func TestPixelRect(t *testing.T) {
	for _, c := range []struct {
		pos   fyne.Position
		size  fyne.Size
		scale float32
		want  image.Rectangle
	}{
		{fyne.NewPos(10, 20), fyne.NewSize(300, 200), 1, image.Rect(10, 20, 310, 220)},
		{fyne.NewPos(10, 20), fyne.NewSize(300, 200), 2, image.Rect(20, 40, 620, 440)},
		// Fractional positions: both corners round, so neighbours share edges.
		{fyne.NewPos(10.4, 20.6), fyne.NewSize(100.2, 50), 1.5, image.Rect(16, 31, 166, 106)},
		{fyne.NewPos(0, 0), fyne.NewSize(0, 200), 1, image.Rectangle{}},
		{fyne.NewPos(0, 0), fyne.NewSize(100, 100), 0, image.Rectangle{}},
		{fyne.NewPos(5, 5), fyne.NewSize(0.2, 0.2), 1, image.Rectangle{}},
	} {
		if got := pixelRect(c.pos, c.size, c.scale); got != c.want {
			t.Errorf("pixelRect(%v, %v, %v) = %v, want %v", c.pos, c.size, c.scale, got, c.want)
		}
	}
}

func TestLetterbox(t *testing.T) {
	for _, c := range []struct {
		box, frame image.Point
		want       image.Rectangle
	}{
		{image.Pt(640, 360), image.Pt(1280, 720), image.Rect(0, 0, 640, 360)},
		{image.Pt(640, 480), image.Pt(1280, 720), image.Rect(0, 60, 640, 420)}, // bars above and below
		{image.Pt(800, 360), image.Pt(1280, 720), image.Rect(80, 0, 720, 360)}, // bars left and right
		{image.Pt(881, 495), image.Pt(640, 360), image.Rect(0, 0, 881, 495)},   // upscaled
		{image.Pt(100, 1), image.Pt(16, 9), image.Rect(49, 0, 50, 1)},          // never no pixel
		{image.Pt(0, 360), image.Pt(16, 9), image.Rectangle{}},
		{image.Pt(640, 360), image.Pt(0, 9), image.Rectangle{}},
	} {
		got := letterbox(c.box, c.frame)
		if got != c.want {
			t.Errorf("letterbox(%v, %v) = %v, want %v", c.box, c.frame, got, c.want)
		}
		if !got.Empty() && !got.In(image.Rectangle{Max: c.box}) {
			t.Errorf("letterbox(%v, %v) = %v: outside the box", c.box, c.frame, got)
		}
	}
}

// TestScaleBGRAMatchesRGBA checks the X byte order against the RGBA path
// (itself checked against image/draw), for 4:2:0 frames and others, and
// that a stride wider than the row leaves the bytes beyond it alone.
func TestScaleBGRAMatchesRGBA(t *testing.T) {
	src := testFrame(64, 36, 5)
	full := image.NewRGBA(src.Rect)
	var sc rgbScaler
	sc.scale(full, src)
	for _, in := range []image.Image{src, full} {
		for _, size := range []image.Point{{64, 36}, {50, 28}, {128, 72}} {
			var a, b rgbScaler
			want := image.NewRGBA(image.Rectangle{Max: size})
			a.scale(want, in)
			stride := 4*size.X + 8
			pix := make([]byte, stride*size.Y)
			for i := range pix {
				pix[i] = 0x5a
			}
			b.scaleBGRA(pix, stride, size, in)
			for y := range size.Y {
				for x := range size.X {
					w := want.RGBAAt(x, y)
					p := pix[y*stride+4*x:]
					if p[0] != w.B || p[1] != w.G || p[2] != w.R || p[3] != 0xff {
						t.Fatalf("%T %v: pixel (%d,%d) = % x, want B G R A of %v", in, size, x, y, p[:4], w)
					}
				}
				for _, v := range pix[y*stride+4*size.X : (y+1)*stride] {
					if v != 0x5a {
						t.Fatalf("%T %v: row %d written beyond its pixels", in, size, y)
					}
				}
			}
		}
	}
}
