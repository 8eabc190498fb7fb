package device

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/pion/mediadevices/pkg/frame"
)

// decodeTo runs a raw camera frame through the decoder the camera driver
// uses for format, then through toI420, as a frame from a camera would go.
func decodeTo(t *testing.T, format frame.Format, raw []byte, w, h int, dst *image.YCbCr) {
	t.Helper()
	dec, err := frame.NewDecoder(format)
	if err != nil {
		t.Fatal(err)
	}
	img, release, err := dec.Decode(raw, w, h)
	if err != nil {
		t.Fatalf("decode %s: %v", format, err)
	}
	if err := toI420(dst, img); err != nil {
		t.Fatal(err)
	}
	if release != nil {
		release()
	}
}

// sample is the value expected at (x, y) for plane p in the hand-made frames:
// luma varies per pixel, chroma per 2×2 block.
func lumaAt(x, y int) byte { return byte(16 + (x*7+y*13)%200) }
func cbAt(cx, cy int) byte { return byte(40 + (cx*11+cy*5)%150) }
func crAt(cx, cy int) byte { return byte(60 + (cx*3+cy*17)%150) }
func checkI420(t *testing.T, name string, img *image.YCbCr, w, h int, tol int) {
	t.Helper()
	bad := 0
	diff := func(a, b byte) int {
		d := int(a) - int(b)
		if d < 0 {
			d = -d
		}
		return d
	}
	for y := range h {
		for x := range w {
			if got := img.Y[y*img.YStride+x]; diff(got, lumaAt(x, y)) > tol {
				if bad++; bad < 5 {
					t.Errorf("%s: Y(%d,%d) = %d, want %d", name, x, y, got, lumaAt(x, y))
				}
			}
		}
	}
	for cy := range h / 2 {
		for cx := range w / 2 {
			if got := img.Cb[cy*img.CStride+cx]; diff(got, cbAt(cx, cy)) > tol {
				if bad++; bad < 5 {
					t.Errorf("%s: Cb(%d,%d) = %d, want %d", name, cx, cy, got, cbAt(cx, cy))
				}
			}
			if got := img.Cr[cy*img.CStride+cx]; diff(got, crAt(cx, cy)) > tol {
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

func TestYUYVToI420(t *testing.T) {
	// YUYV: Y0 U Y1 V per pair of pixels; both rows of a 2×2 block carry
	// the block's chroma, so 4:2:2 → 4:2:0 must give it back exactly.
	raw := make([]byte, 0, tw*th*2)
	for y := range th {
		for x := 0; x < tw; x += 2 {
			raw = append(raw, lumaAt(x, y), cbAt(x/2, y/2), lumaAt(x+1, y), crAt(x/2, y/2))
		}
	}
	dst := newI420(tw, th)
	decodeTo(t, frame.FormatYUYV, raw, tw, th, dst)
	checkI420(t, "YUYV", dst, tw, th, 0)
}

func TestUYVYToI420(t *testing.T) {
	raw := make([]byte, 0, tw*th*2)
	for y := range th {
		for x := 0; x < tw; x += 2 {
			raw = append(raw, cbAt(x/2, y/2), lumaAt(x, y), crAt(x/2, y/2), lumaAt(x+1, y))
		}
	}
	dst := newI420(tw, th)
	decodeTo(t, frame.FormatUYVY, raw, tw, th, dst)
	checkI420(t, "UYVY", dst, tw, th, 0)
}

func TestNV12ToI420(t *testing.T) {
	raw := make([]byte, 0, tw*th*3/2)
	for y := range th {
		for x := range tw {
			raw = append(raw, lumaAt(x, y))
		}
	}
	for cy := range th / 2 {
		for cx := range tw / 2 {
			raw = append(raw, cbAt(cx, cy), crAt(cx, cy))
		}
	}
	dst := newI420(tw, th)
	decodeTo(t, frame.FormatNV12, raw, tw, th, dst)
	checkI420(t, "NV12", dst, tw, th, 0)
}

func TestI420Passthrough(t *testing.T) {
	src := handMade(tw, th)
	raw := append(append(append([]byte{}, src.Y...), src.Cb...), src.Cr...)
	dst := newI420(tw, th)
	decodeTo(t, frame.FormatI420, raw, tw, th, dst)
	checkI420(t, "I420", dst, tw, th, 0)
}

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

func TestMJPEGToI420(t *testing.T) {
	// A flat-colour JPEG survives compression almost exactly; check the
	// colour comes out right in every plane, for 4:2:0 and 4:4:4 JPEGs
	// (image/jpeg writes 4:2:0; a 4:4:4 decode goes through the scaled path).
	const w, h = 64, 32
	want := [3]byte{120, 90, 170}
	src := newI420(w, h)
	for i := range src.Y {
		src.Y[i] = want[0]
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = want[1], want[2]
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	dst := newI420(w, h)
	decodeTo(t, frame.FormatMJPEG, buf.Bytes(), w, h, dst)
	for p, plane := range [][]byte{dst.Y, dst.Cb, dst.Cr} {
		for i, v := range plane {
			if d := int(v) - int(want[p]); d < -2 || d > 2 {
				t.Fatalf("plane %d sample %d = %d, want %d±2", p, i, v, want[p])
			}
		}
	}
	// A greyscale JPEG decodes to *image.Gray.
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	buf.Reset()
	if err := jpeg.Encode(&buf, g, nil); err != nil {
		t.Fatal(err)
	}
	decodeTo(t, frame.FormatMJPEG, buf.Bytes(), w, h, dst)
	if dst.Y[0] < 198 || dst.Y[0] > 202 || dst.Cb[0] != 128 || dst.Cr[0] != 128 {
		t.Errorf("grey JPEG: Y %d Cb %d Cr %d, want 200, 128, 128", dst.Y[0], dst.Cb[0], dst.Cr[0])
	}
}

func TestScaleToRequestedSize(t *testing.T) {
	// A camera that cannot give the requested size: 2× the source.
	src := handMade(tw, th)
	dst := newI420(2*tw, 2*th)
	if err := toI420(dst, src); err != nil {
		t.Fatal(err)
	}
	for y := range 2 * th {
		for x := range 2 * tw {
			if got, want := dst.Y[y*dst.YStride+x], lumaAt(x/2, y/2); got != want {
				t.Fatalf("Y(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	for cy := range th {
		for cx := range tw {
			if got, want := dst.Cb[cy*dst.CStride+cx], cbAt(cx/2, cy/2); got != want {
				t.Fatalf("Cb(%d,%d) = %d, want %d", cx, cy, got, want)
			}
		}
	}
}

func TestGenericImage(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(src.Pix); i += 4 {
		copy(src.Pix[i:], []byte{255, 0, 0, 255})
	}
	dst := newI420(16, 16)
	if err := toI420(dst, src); err != nil {
		t.Fatal(err)
	}
	y, cb, cr := color.RGBToYCbCr(255, 0, 0)
	if dst.Y[17] != y || dst.Cb[9] != cb || dst.Cr[9] != cr {
		t.Errorf("red: %d %d %d, want %d %d %d", dst.Y[17], dst.Cb[9], dst.Cr[9], y, cb, cr)
	}
}

func BenchmarkYUYV720pToI420(b *testing.B) {
	const w, h = 1280, 720
	raw := make([]byte, w*h*2)
	dec, _ := frame.NewDecoder(frame.FormatYUYV)
	dst := newI420(w, h)
	b.ReportAllocs()
	for b.Loop() {
		img, _, _ := dec.Decode(raw, w, h)
		_ = toI420(dst, img)
	}
}
