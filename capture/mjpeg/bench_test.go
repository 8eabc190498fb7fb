package mjpeg

import (
	"image"
	"os"
	"testing"
)

// benchDecode decodes one w×h 4:2:2 JPEG made by ffmpeg at webcam quality
// (-q:v 5) into I420, once per op.
func benchDecode(b *testing.B, w, h int) {
	data, err := os.ReadFile(ffmpegJPEG(b, b.TempDir(), w, h, "yuvj422p", 5))
	if err != nil {
		b.Fatal(err)
	}
	d := newDecoder(b)
	var dst image.YCbCr
	if err := d.DecodeI420(&dst, data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := d.DecodeI420(&dst, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}

func BenchmarkMJPEGDecode1080p422(b *testing.B) { benchDecode(b, 1920, 1080) }
func BenchmarkMJPEGDecode720p422(b *testing.B)  { benchDecode(b, 1280, 720) }
