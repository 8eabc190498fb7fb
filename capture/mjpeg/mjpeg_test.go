package mjpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// TestFixtures decodes every committed JPEG (4:2:0, 4:2:2 in ffmpeg's and
// the standard layout, 4:4:4, 4:4:0, 4:1:1, greyscale, odd sizes) and
// compares it with image/jpeg's decode brought to 4:2:0 by the reference
// averaging: the IDCTs differ by rounding only.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/testsrc-*.jpg")
	if err != nil || len(files) < 9 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	d := newDecoder(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var got image.YCbCr
			if err := d.DecodeI420(&got, data); err != nil {
				t.Fatal(err)
			}
			if got.Rect != ref.Bounds() || got.SubsampleRatio != image.YCbCrSubsampleRatio420 {
				t.Fatalf("decoded %v %v, want %v 4:2:0", got.Rect, got.SubsampleRatio, ref.Bounds())
			}
			y, cb, cr := planesPSNR(&got, toI420Ref(ref))
			t.Logf("PSNR Y %.1f dB, Cb %.1f dB, Cr %.1f dB", y, cb, cr)
			if y < 45 || cb < 45 || cr < 45 {
				t.Errorf("PSNR against image/jpeg: Y %.1f, Cb %.1f, Cr %.1f dB; want > 45", y, cb, cr)
			}
		})
	}
}

// TestMatchesFFmpeg decodes webcam-sized 4:2:2 and 4:2:0 JPEGs made by
// ffmpeg and compares them with ffmpeg's own decode to 4:2:0.
func TestMatchesFFmpeg(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	d := newDecoder(t)
	for _, pf := range []string{"yuvj422p", "yuvj420p"} {
		t.Run(pf, func(t *testing.T) {
			const w, h = 1280, 720
			path := ffmpegJPEG(t, dir, w, h, pf, 5)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got image.YCbCr
			if err := d.DecodeI420(&got, data); err != nil {
				t.Fatal(err)
			}
			if got.Rect != image.Rect(0, 0, w, h) {
				t.Fatalf("size %v", got.Rect)
			}
			y, cb, cr := planesPSNR(&got, ffmpegI420(t, path, w, h))
			t.Logf("PSNR against ffmpeg: Y %.1f dB, Cb %.1f dB, Cr %.1f dB", y, cb, cr)
			if y <= 45 || cb <= 40 || cr <= 40 {
				t.Errorf("PSNR Y %.1f dB (want > 45), Cb %.1f, Cr %.1f dB (want > 40)", y, cb, cr)
			}
		})
	}
}

// stripDHT returns the JPEG without its DHT (Huffman table) segments, the
// way many webcams send their frames.
func stripDHT(t *testing.T, data []byte) []byte {
	t.Helper()
	out := append([]byte{}, data[:2]...) // SOI
	for i := 2; ; {
		if i+4 > len(data) || data[i] != 0xFF {
			t.Fatalf("bad marker at %d", i)
		}
		marker := data[i+1]
		if marker == 0xDA { // SOS: the rest is entropy-coded data
			return append(out, data[i:]...)
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if marker != 0xC4 {
			out = append(out, data[i:i+2+n]...)
		}
		i += 2 + n
	}
}

func TestMissingHuffmanTables(t *testing.T) {
	// ffmpeg wrote this one with the standard tables (-huffman default),
	// as webcams use them; without its DHT segments it must decode the same.
	data, err := os.ReadFile("testdata/testsrc-64x48-422-stdhuff.jpg")
	if err != nil {
		t.Fatal(err)
	}
	stripped := stripDHT(t, data)
	if bytes.Contains(stripped[:bytes.Index(stripped, []byte{0xFF, 0xDA})], []byte{0xFF, 0xC4}) || len(stripped) >= len(data) {
		t.Fatal("the DHT segments are still there")
	}
	d := newDecoder(t)
	var want, got image.YCbCr
	if err := d.DecodeI420(&want, data); err != nil {
		t.Fatal(err)
	}
	if err := d.DecodeI420(&got, stripped); err != nil {
		t.Fatalf("frame without DHT: %v", err)
	}
	if !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
		t.Error("the frame without DHT decodes differently")
	}
}

func TestTruncatedAndBroken(t *testing.T) {
	data, err := os.ReadFile("testdata/testsrc-64x48-422.jpg")
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(t)
	dst := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	// A camera unplugged mid-frame: every cut must fail, never crash.
	for n := 1; n < len(data)-2; n += 7 {
		if err := d.DecodeI420(dst, data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("frame cut at %d of %d bytes: %v, want ErrCorrupt", n, len(data), err)
		}
	}
	if err := d.DecodeI420(dst, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("empty frame: %v", err)
	}
	noise := bytes.Repeat([]byte{0xFF, 0xD8, 0x12, 0x34}, 100)
	if err := d.DecodeI420(dst, noise); !errors.Is(err, ErrCorrupt) {
		t.Errorf("noise: %v", err)
	}
	// Flipped bits in the entropy-coded data: an error or a picture, and
	// the decoder still works afterwards.
	bad := append([]byte{}, data...)
	for i := len(bad) / 2; i < len(bad)-2; i += 13 {
		bad[i] ^= 0x5A
	}
	_ = d.DecodeI420(dst, bad)
	if err := d.DecodeI420(dst, data); err != nil {
		t.Errorf("good frame after bad ones: %v", err)
	}
	if err := d.DecodeI420(nil, data); err == nil {
		t.Error("nil destination accepted")
	}
}

func TestUnsupportedAndTooLarge(t *testing.T) {
	d := newDecoder(t)
	cmyk, err := os.ReadFile("testdata/cmyk-64x48.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var dst image.YCbCr
	if err := d.DecodeI420(&dst, cmyk); !errors.Is(err, ErrUnsupported) {
		t.Errorf("CMYK: %v, want ErrUnsupported", err)
	}
	data, err := os.ReadFile("testdata/testsrc-64x48-420.jpg")
	if err != nil {
		t.Fatal(err)
	}
	d.MaxPixels = 64*48 - 1
	if err := d.DecodeI420(&dst, data); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxPixels: %v, want ErrTooLarge", err)
	}
	if dst.Y != nil {
		t.Error("allocated for a picture over MaxPixels")
	}
	d.MaxPixels = 64 * 48
	if err := d.DecodeI420(&dst, data); err != nil {
		t.Errorf("at MaxPixels: %v", err)
	}
	_ = d.Close()
	if err := d.DecodeI420(&dst, data); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestDestination checks that a destination of the right size is used in
// place (also a sub-image with its strides), and that one of the wrong
// size or subsampling is replaced.
func TestDestination(t *testing.T) {
	data, err := os.ReadFile("testdata/testsrc-64x48-422.jpg")
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(t)
	var want image.YCbCr
	if err := d.DecodeI420(&want, data); err != nil {
		t.Fatal(err)
	}

	right := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	y0 := &right.Y[0]
	if err := d.DecodeI420(right, data); err != nil || &right.Y[0] != y0 {
		t.Errorf("right-size destination: err %v, reallocated %v", err, &right.Y[0] != y0)
	}

	big := image.NewYCbCr(image.Rect(0, 0, 100, 80), image.YCbCrSubsampleRatio420)
	for i := range big.Y {
		big.Y[i] = 7
	}
	sub := big.SubImage(image.Rect(10, 20, 74, 68)).(*image.YCbCr)
	if err := d.DecodeI420(sub, data); err != nil {
		t.Fatal(err)
	}
	if sub.Rect != image.Rect(10, 20, 74, 68) {
		t.Fatalf("sub-image replaced: %v", sub.Rect)
	}
	for y := range 48 {
		for x := range 64 {
			if got := sub.Y[sub.YOffset(10+x, 20+y)]; got != want.Y[y*64+x] {
				t.Fatalf("sub-image Y(%d,%d) = %d, want %d", x, y, got, want.Y[y*64+x])
			}
		}
	}
	if big.Y[0] != 7 || big.Y[20*100+9] != 7 || big.Y[20*100+74] != 7 {
		t.Error("wrote outside the sub-image")
	}
	for cy := range 24 {
		for cx := range 32 {
			o := sub.COffset(10+2*cx, 20+2*cy)
			if sub.Cb[o] != want.Cb[cy*32+cx] || sub.Cr[o] != want.Cr[cy*32+cx] {
				t.Fatalf("sub-image chroma (%d,%d) differs", cx, cy)
			}
		}
	}

	for _, wrong := range []*image.YCbCr{
		image.NewYCbCr(image.Rect(0, 0, 32, 48), image.YCbCrSubsampleRatio420),
		image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio422),
		{SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 64, 48), YStride: 64, CStride: 32},
	} {
		if err := d.DecodeI420(wrong, data); err != nil {
			t.Fatal(err)
		}
		if wrong.Rect != want.Rect || wrong.SubsampleRatio != image.YCbCrSubsampleRatio420 || !bytes.Equal(wrong.Y, want.Y) || !bytes.Equal(wrong.Cr, want.Cr) {
			t.Errorf("replaced destination: %v %v", wrong.Rect, wrong.SubsampleRatio)
		}
	}
}
