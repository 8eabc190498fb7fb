package screen

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"

	"studio/capture"
	"studio/capture/screen/screentest"
)

// pixels returns w×h 32-bit pixels, colour at(x, y), with red, green and
// blue at byte offsets ro, gro, bo and the rows stride bytes apart.
func pixels(w, h, stride, ro, gro, bo int, at func(x, y int) color.RGBA) []byte {
	b := make([]byte, stride*h)
	for y := range h {
		for x := range w {
			c := at(x, y)
			i := y*stride + 4*x
			b[i+ro], b[i+gro], b[i+bo] = c.R, c.G, c.B
			b[i+(6-ro-gro-bo)] = 0xee // the unused byte must not matter
		}
	}
	return b
}

func frame(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

func TestConvertUniformColours(t *testing.T) {
	colours := []color.RGBA{
		{0, 0, 0, 255}, {255, 255, 255, 255}, red, {0, 255, 0, 255}, blue,
		{255, 255, 0, 255}, {0, 255, 255, 255}, {255, 0, 255, 255}, {128, 128, 128, 255}, {30, 200, 90, 255},
	}
	sizes := []struct{ sw, sh, dw, dh int }{
		{64, 48, 64, 48},   // same size
		{128, 96, 64, 48},  // half
		{96, 72, 64, 48},   // 2/3, boxes of 1 and 2
		{200, 150, 16, 16}, // large boxes, aspect changed
		{32, 24, 64, 48},   // enlarged
		{33, 25, 20, 14},   // odd source
	}
	layouts := []struct {
		name        string
		ro, gro, bo int
	}{{"BGRX", 2, 1, 0}, {"XRGB", 1, 2, 3}, {"RGBX", 0, 1, 2}}
	for _, sz := range sizes {
		for _, l := range layouts {
			for _, c := range colours {
				stride := 4*sz.sw + 12
				src := pixels(sz.sw, sz.sh, stride, l.ro, l.gro, l.bo, func(int, int) color.RGBA { return c })
				dst := frame(sz.dw, sz.dh)
				if err := convertRGBX(src, sz.sw, sz.sh, stride, l.ro, l.gro, l.bo, dst); err != nil {
					t.Fatal(err)
				}
				wy, wcb, wcr := ycc601(c)
				for i, v := range dst.Y {
					if math.Abs(float64(v)-wy) > 1 {
						t.Fatalf("%dx%d→%dx%d %s %v: Y[%d] = %d, want %.1f", sz.sw, sz.sh, sz.dw, sz.dh, l.name, c, i, v, wy)
					}
				}
				for i := range dst.Cb {
					if math.Abs(float64(dst.Cb[i])-wcb) > 1 || math.Abs(float64(dst.Cr[i])-wcr) > 1 {
						t.Fatalf("%dx%d→%dx%d %s %v: Cb/Cr[%d] = %d/%d, want %.1f/%.1f",
							sz.sw, sz.sh, sz.dw, sz.dh, l.name, c, i, dst.Cb[i], dst.Cr[i], wcb, wcr)
					}
				}
			}
		}
	}
}

func TestConvertAveragesWhenShrinking(t *testing.T) {
	// One-pixel black and white stripes, halved in both directions: every
	// output pixel averages two of each, a mid grey.
	check := func(name string, at func(x, y int) color.RGBA) {
		src := pixels(64, 64, 256, 2, 1, 0, at)
		dst := frame(32, 32)
		if err := convertRGBX(src, 64, 64, 256, 2, 1, 0, dst); err != nil {
			t.Fatal(err)
		}
		wy, _, _ := ycc601(color.RGBA{128, 128, 128, 255})
		for i, v := range dst.Y {
			if math.Abs(float64(v)-wy) > 1 {
				t.Fatalf("%s: Y[%d] = %d, want %.1f (the average, not one of the stripes)", name, i, v, wy)
			}
		}
	}
	bw := func(on bool) color.RGBA {
		if on {
			return color.RGBA{255, 255, 255, 255}
		}
		return color.RGBA{0, 0, 0, 255}
	}
	check("columns", func(x, _ int) color.RGBA { return bw(x%2 == 0) })
	check("rows", func(_, y int) color.RGBA { return bw(y%2 == 0) })
	check("checks", func(x, y int) color.RGBA { return bw((x+y)%2 == 0) })
}

func TestConvertKeepsPositions(t *testing.T) {
	// A white square on black, scaled by 1.5: it lands where it should.
	src := pixels(96, 96, 384, 2, 1, 0, func(x, y int) color.RGBA {
		if x >= 48 && x < 72 && y >= 24 && y < 48 {
			return color.RGBA{255, 255, 255, 255}
		}
		return color.RGBA{0, 0, 0, 255}
	})
	dst := frame(64, 64)
	if err := convertRGBX(src, 96, 96, 384, 2, 1, 0, dst); err != nil {
		t.Fatal(err)
	}
	for y := range 64 {
		for x := range 64 {
			in := x >= 32 && x < 48 && y >= 16 && y < 32
			v := dst.Y[y*dst.YStride+x]
			if in && v != 235 || !in && v != 16 {
				t.Fatalf("Y at (%d,%d) = %d; the square should cover [32,48)×[16,32) exactly", x, y, v)
			}
		}
	}
}

func BenchmarkConvert(b *testing.B) {
	for _, sz := range []struct{ sw, sh, dw, dh int }{{1280, 720, 1280, 720}, {1920, 1080, 1280, 720}, {1920, 1080, 640, 360}} {
		b.Run(fmt.Sprintf("%dx%d-to-%dx%d", sz.sw, sz.sh, sz.dw, sz.dh), func(b *testing.B) {
			src := pixels(sz.sw, sz.sh, 4*sz.sw, 2, 1, 0, func(x, y int) color.RGBA { return color.RGBA{uint8(x), uint8(y), uint8(x + y), 255} })
			dst := frame(sz.dw, sz.dh)
			for b.Loop() {
				if err := convertRGBX(src, sz.sw, sz.sh, 4*sz.sw, 2, 1, 0, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGrab measures Read unpaced: one XShmGetImage of the whole screen
// and its conversion, per frame.
func BenchmarkGrab(b *testing.B) {
	for _, sz := range []struct{ sw, sh, dw, dh int }{{1280, 720, 1280, 720}, {1920, 1080, 1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d-to-%dx%d", sz.sw, sz.sh, sz.dw, sz.dh), func(b *testing.B) {
			x := screentest.StartXvfb(b, sz.sw, sz.sh)
			screentest.Paint(b, x.Display, screentest.Halves(sz.sw, sz.sh, red, blue))
			s, err := open(capture.NewClock(), capture.VideoProps{Width: sz.dw, Height: sz.dh, FPS: 30}, config{display: x.Display, unpaced: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				f, err := s.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				f.Release()
			}
		})
	}
}
