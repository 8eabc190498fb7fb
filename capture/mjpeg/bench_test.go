package mjpeg

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// userTime is the process's user CPU time so far.
func userTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano())
}

// benchDecode decodes one w×h 4:2:2 JPEG made by ffmpeg at webcam quality
// (-q:v 5, testsrc2) into I420, once per op. With MJPEG_BENCH_DIR set, it
// reads the frame from $MJPEG_BENCH_DIR/<w>x<h>.jpg instead, so that
// scripts/bench-mjpeg.sh times ffmpeg on the very same bytes.
func benchDecode(b *testing.B, w, h int) {
	path := ""
	if dir := os.Getenv("MJPEG_BENCH_DIR"); dir != "" {
		path = filepath.Join(dir, fmt.Sprintf("%dx%d.jpg", w, h))
	} else {
		path = ffmpegJPEG(b, b.TempDir(), w, h, "yuvj422p", 5)
	}
	data, err := os.ReadFile(path)
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
	u0 := userTime(b)
	for b.Loop() {
		if err := d.DecodeI420(&dst, data); err != nil {
			b.Fatal(err)
		}
	}
	// Wall time, and user CPU time (what ffmpeg -benchmark's utime counts,
	// less sensitive to a busy machine).
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
	b.ReportMetric(float64((userTime(b)-u0).Microseconds())/1000/float64(b.N), "cpu-ms/frame")
}

func BenchmarkMJPEGDecode1080p422(b *testing.B) { benchDecode(b, 1920, 1080) }
func BenchmarkMJPEGDecode720p422(b *testing.B)  { benchDecode(b, 1280, 720) }
