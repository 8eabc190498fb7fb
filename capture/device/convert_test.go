package device

import (
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pion/mediadevices/pkg/frame"
)

// Hand-made frames: luma varies per pixel, chroma per 2×2 block.
func lumaAt(x, y int) byte { return byte(16 + (x*7+y*13)%200) }
func cbAt(cx, cy int) byte { return byte(40 + (cx*11+cy*5)%150) }
func crAt(cx, cy int) byte { return byte(60 + (cx*3+cy*17)%150) }

func checkI420(t *testing.T, name string, img *image.YCbCr, w, h int) {
	t.Helper()
	bad := 0
	for y := range h {
		for x := range w {
			if got := img.Y[y*img.YStride+x]; got != lumaAt(x, y) {
				if bad++; bad < 5 {
					t.Errorf("%s: Y(%d,%d) = %d, want %d", name, x, y, got, lumaAt(x, y))
				}
			}
		}
	}
	for cy := range h / 2 {
		for cx := range w / 2 {
			if got := img.Cb[cy*img.CStride+cx]; got != cbAt(cx, cy) {
				if bad++; bad < 5 {
					t.Errorf("%s: Cb(%d,%d) = %d, want %d", name, cx, cy, got, cbAt(cx, cy))
				}
			}
			if got := img.Cr[cy*img.CStride+cx]; got != crAt(cx, cy) {
				if bad++; bad < 5 {
					t.Errorf("%s: Cr(%d,%d) = %d, want %d", name, cx, cy, got, crAt(cx, cy))
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d samples wrong", name, bad)
	}
}

const tw, th = 32, 16

func handMade(w, h int) *image.YCbCr {
	img := newI420(w, h)
	for y := range h {
		for x := range w {
			img.Y[y*w+x] = lumaAt(x, y)
		}
	}
	for cy := range h / 2 {
		for cx := range w / 2 {
			img.Cb[cy*w/2+cx], img.Cr[cy*w/2+cx] = cbAt(cx, cy), crAt(cx, cy)
		}
	}
	return img
}

// rawFrames makes the hand-made picture in each raw camera format. In the
// 4:2:2 formats both rows of a 2×2 block carry the block's chroma, so the
// conversion must give it back exactly.
func rawFrames(w, h int) map[pixelFormat][]byte {
	out := map[pixelFormat][]byte{}
	var yuyv, uyvy []byte
	for y := range h {
		for x := 0; x < w; x += 2 {
			l0, l1, u, v := lumaAt(x, y), lumaAt(x+1, y), cbAt(x/2, y/2), crAt(x/2, y/2)
			yuyv = append(yuyv, l0, u, l1, v)
			uyvy = append(uyvy, u, l0, v, l1)
		}
	}
	out[fmtYUYV], out[fmtUYVY] = yuyv, uyvy
	src := handMade(w, h)
	var nv12, nv21 []byte
	for i := range src.Cb {
		nv12 = append(nv12, src.Cb[i], src.Cr[i])
		nv21 = append(nv21, src.Cr[i], src.Cb[i])
	}
	out[fmtNV12] = append(append([]byte{}, src.Y...), nv12...)
	out[fmtNV21] = append(append([]byte{}, src.Y...), nv21...)
	out[fmtI420] = append(append(append([]byte{}, src.Y...), src.Cb...), src.Cr...)
	return out
}

func TestRawFormatsToI420(t *testing.T) {
	var c frameConverter
	defer c.close()
	for f, raw := range rawFrames(tw, th) {
		dst := newI420(tw, th)
		if err := c.convert(dst, cameraMode{Format: f, Width: tw, Height: th}, raw); err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		checkI420(t, f.String(), dst, tw, th)
		// A frame cut short is refused, not read past its end.
		if err := c.convert(dst, cameraMode{Format: f, Width: tw, Height: th}, raw[:len(raw)-1]); !errors.Is(err, errShortFrame) {
			t.Errorf("%v: short frame: %v", f, err)
		}
	}
	if err := c.convert(newI420(tw, th), cameraMode{Format: fmtYUYV, Width: tw + 1, Height: th}, make([]byte, 4096)); err == nil {
		t.Error("odd width accepted")
	}
}

// TestRawFormatsScaled: a camera that cannot give the requested size; the
// frame is scaled 2× to nearest neighbour.
func TestRawFormatsScaled(t *testing.T) {
	var c frameConverter
	defer c.close()
	for f, raw := range rawFrames(tw, th) {
		dst := newI420(2*tw, 2*th)
		if err := c.convert(dst, cameraMode{Format: f, Width: tw, Height: th}, raw); err != nil {
			t.Fatal(err)
		}
		for y := range 2 * th {
			for x := range 2 * tw {
				if got, want := dst.Y[y*dst.YStride+x], lumaAt(x/2, y/2); got != want {
					t.Fatalf("%v: Y(%d,%d) = %d, want %d", f, x, y, got, want)
				}
			}
		}
		for cy := range th {
			for cx := range tw {
				if got, want := dst.Cr[cy*dst.CStride+cx], crAt(cx/2, cy/2); got != want {
					t.Fatalf("%v: Cr(%d,%d) = %d, want %d", f, cx, cy, got, want)
				}
			}
		}
	}
}

// TestMJPEGConverter decodes the camera's JPEGs with capture/mjpeg, also
// when the JPEG's size is not the mode's (cameras do that) and when the
// requested size differs.
func TestMJPEGConverter(t *testing.T) {
	frames := camFrames(t)
	want := decodeAll(t, frames)
	var c frameConverter
	defer c.close()
	for _, mode := range []cameraMode{
		{Format: fmtMJPEG, Width: 160, Height: 90},
		{Format: fmtJPEG, Width: 640, Height: 480}, // the camera lies
	} {
		for i, f := range frames {
			dst := newI420(160, 90)
			y0 := &dst.Y[0]
			if err := c.convert(dst, mode, f); err != nil {
				t.Fatal(err)
			}
			if &dst.Y[0] != y0 || !samePicture(dst, want[i]) {
				t.Errorf("%v frame %d: reallocated %v, same picture %v", mode, i, &dst.Y[0] != y0, samePicture(dst, want[i]))
			}
		}
	}
	small := newI420(80, 46)
	if err := c.convert(small, cameraMode{Format: fmtMJPEG, Width: 160, Height: 90}, frames[0]); err != nil {
		t.Fatal(err)
	}
	scaled := newI420(80, 46)
	toI420(scaled, want[0])
	if !samePicture(small, scaled) {
		t.Error("scaled MJPEG frame differs from the scaled decode")
	}
	if err := c.convert(small, cameraMode{Format: fmtMJPEG, Width: 160, Height: 90}, frames[0][:50]); err == nil {
		t.Error("truncated JPEG accepted")
	}
}

// ffmpeg1080p makes a 1920x1080 4:2:2 JPEG like a webcam's (testsrc2,
// -q:v 5), or skips the benchmark without ffmpeg.
func ffmpeg1080p(b *testing.B) []byte {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	p := filepath.Join(b.TempDir(), "f.jpg")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080",
		"-frames:v", "1", "-pix_fmt", "yuvj422p", "-q:v", "5", p).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkCameraMJPEG1080p is a 1080p webcam frame through the camera's
// converter (TurboJPEG to I420).
func BenchmarkCameraMJPEG1080p(b *testing.B) {
	data := ffmpeg1080p(b)
	var c frameConverter
	defer c.close()
	dst := newI420(1920, 1080)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.convert(dst, cameraMode{Format: fmtMJPEG, Width: 1920, Height: 1080}, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMediadevicesMJPEG1080p is the path cameras took before: the
// mediadevices MJPEG decoder (image/jpeg), then 4:2:2 to I420.
func BenchmarkMediadevicesMJPEG1080p(b *testing.B) {
	data := ffmpeg1080p(b)
	dec, err := frame.NewDecoder(frame.FormatMJPEG)
	if err != nil {
		b.Fatal(err)
	}
	dst := newI420(1920, 1080)
	b.ReportAllocs()
	for b.Loop() {
		img, release, err := dec.Decode(data, 1920, 1080)
		if err != nil {
			b.Fatal(err)
		}
		s := img.(*image.YCbCr)
		copyPlane(dst.Y, dst.YStride, s.Y, s.YStride, 1920, 1080)
		for cy := range 540 { // average the chroma row pairs, as before
			a, c := s.Cb[2*cy*s.CStride:][:960], s.Cb[(2*cy+1)*s.CStride:][:960]
			d := dst.Cb[cy*dst.CStride:][:960]
			for x := range d {
				d[x] = byte((uint16(a[x]) + uint16(c[x]) + 1) >> 1)
			}
		}
		if release != nil {
			release()
		}
	}
}

func BenchmarkYUYV720pToI420(b *testing.B) {
	const w, h = 1280, 720
	raw := make([]byte, w*h*2)
	var c frameConverter
	dst := newI420(w, h)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.convert(dst, cameraMode{Format: fmtYUYV, Width: w, Height: h}, raw); err != nil {
			b.Fatal(err)
		}
	}
}
