package mjpeg

import (
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needFFmpeg skips tb when ffmpeg is missing, unless CI=true, where a
// missing ffmpeg fails the test.
func needFFmpeg(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("ffmpeg is required in CI: %v", err)
		}
		tb.Skipf("ffmpeg not found: %v", err)
	}
}

// ffmpegJPEG makes one w×h frame of ffmpeg's testsrc2 pattern as a JPEG
// with pixel format pixFmt (yuvj422p, yuvj420p) and quality q (-q:v, 2 is
// best; webcams look like 5) in dir, and returns its path.
func ffmpegJPEG(tb testing.TB, dir string, w, h int, pixFmt string, q int) string {
	tb.Helper()
	needFFmpeg(tb)
	out := filepath.Join(dir, fmt.Sprintf("testsrc-%dx%d-%s-q%d.jpg", w, h, pixFmt, q))
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
		"-i", fmt.Sprintf("testsrc2=size=%dx%d", w, h), "-frames:v", "1",
		"-pix_fmt", pixFmt, "-q:v", fmt.Sprint(q), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// ffmpegI420 decodes the JPEG at path with ffmpeg into raw 4:2:0 planes in
// the JPEG's full range (yuvj420p: no range conversion).
func ffmpegI420(tb testing.TB, path string, w, h int) *image.YCbCr {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path,
		"-pix_fmt", "yuvj420p", "-f", "rawvideo", "-").Output()
	if err != nil {
		tb.Fatalf("ffmpeg decode %s: %v", path, err)
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	if want := len(img.Y) + len(img.Cb) + len(img.Cr); len(out) != want {
		tb.Fatalf("ffmpeg gave %d bytes for %dx%d, want %d", len(out), w, h, want)
	}
	n := copy(img.Y, out)
	n += copy(img.Cb, out[n:])
	copy(img.Cr, out[n:])
	return img
}

// psnr compares two w×h planes (8-bit) and returns the PSNR in dB
// (+Inf when they are equal).
func psnr(a []byte, as int, b []byte, bs int, w, h int) float64 {
	var se float64
	for y := range h {
		for x := range w {
			d := float64(a[y*as+x]) - float64(b[y*bs+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(w*h)))
}

// planesPSNR returns the PSNR of the Y, Cb and Cr planes of two I420
// pictures of the same size.
func planesPSNR(a, b *image.YCbCr) (y, cb, cr float64) {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	return psnr(a.Y, a.YStride, b.Y, b.YStride, w, h),
		psnr(a.Cb, a.CStride, b.Cb, b.CStride, cw, ch),
		psnr(a.Cr, a.CStride, b.Cr, b.CStride, cw, ch)
}

// toI420Ref brings a decoded image/jpeg picture to 4:2:0 the way the
// decoder is specified to: each 4:2:0 chroma sample is the mean of the
// source chroma at the four luma positions it covers (edges repeated).
// Greyscale gives chroma 128.
func toI420Ref(src image.Image) *image.YCbCr {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	switch s := src.(type) {
	case *image.Gray:
		for y := range h {
			copy(dst.Y[y*dst.YStride:y*dst.YStride+w], s.Pix[y*s.Stride:])
		}
		for i := range dst.Cb {
			dst.Cb[i], dst.Cr[i] = 128, 128
		}
	case *image.YCbCr:
		for y := range h {
			copy(dst.Y[y*dst.YStride:y*dst.YStride+w], s.Y[s.YOffset(b.Min.X, b.Min.Y+y):])
		}
		for cy := range (h + 1) / 2 {
			for cx := range (w + 1) / 2 {
				var cb, cr int
				for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					x, y := min(2*cx+d[0], w-1), min(2*cy+d[1], h-1)
					o := s.COffset(b.Min.X+x, b.Min.Y+y)
					cb += int(s.Cb[o])
					cr += int(s.Cr[o])
				}
				dst.Cb[cy*dst.CStride+cx] = byte((cb + 2) / 4)
				dst.Cr[cy*dst.CStride+cx] = byte((cr + 2) / 4)
			}
		}
	default:
		panic(fmt.Sprintf("toI420Ref: %T", src))
	}
	return dst
}

func newDecoder(tb testing.TB) *Decoder {
	tb.Helper()
	d, err := NewDecoder()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}
