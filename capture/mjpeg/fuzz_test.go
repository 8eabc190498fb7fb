package mjpeg

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoder, seeded with the committed
// JPEGs (made by ffmpeg and ImageMagick). Whatever the input, DecodeI420
// returns an error from the package's list or a picture of the size it
// claims, and decoding the same bytes again gives the same picture (no
// uninitialised memory).
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("testdata/*.jpg")
	if err != nil || len(files) == 0 {
		f.Fatalf("seeds: %v %v", files, err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	d, err := NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	defer d.Close()
	d.MaxPixels = 512 * 512 // bounds the work per input
	f.Fuzz(func(t *testing.T, data []byte) {
		var a image.YCbCr
		err := d.DecodeI420(&a, data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		w, h := a.Rect.Dx(), a.Rect.Dy()
		if w <= 0 || h <= 0 || w*h > d.MaxPixels || len(a.Y) < w*h || len(a.Cb) < ((w+1)/2)*((h+1)/2) {
			t.Fatalf("picture %v with planes %d, %d", a.Rect, len(a.Y), len(a.Cb))
		}
		b := image.NewYCbCr(a.Rect, image.YCbCrSubsampleRatio420)
		for i := range b.Y {
			b.Y[i] = 0x55
		}
		for i := range b.Cb {
			b.Cb[i], b.Cr[i] = 0xAA, 0x33
		}
		if err := d.DecodeI420(b, data); err != nil {
			t.Fatalf("second decode: %v", err)
		}
		if !bytes.Equal(a.Y, b.Y) || !bytes.Equal(a.Cb, b.Cb) || !bytes.Equal(a.Cr, b.Cr) {
			t.Fatal("two decodes of the same bytes differ")
		}
	})
}
