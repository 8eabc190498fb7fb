package av1

import (
	"image"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/codec/x264"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// cpuTime returns the CPU time the process has used, in all its threads
// (SVT-AV1's worker threads included).
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncode720p encodes pre-rendered 1280x720 frames of the synth
// pattern at 2.5 Mbit/s, unpaced, for presets 8 to 13: ns/frame is the
// wall time per frame (under 33.3 ms keeps 30 fps in real time: fps =
// 1e9/ns), cpu-ns/frame the CPU time of all threads per frame.
func BenchmarkEncode720p(b *testing.B) {
	for preset := 8; preset <= MaxPreset; preset++ {
		b.Run(strconv.Itoa(preset), func(b *testing.B) { benchEncode(b, 1280, 720, 2500, preset) })
	}
}

// BenchmarkEncodeSmaller is BenchmarkEncode720p at 854x480 (1.2 Mbit/s)
// and 640x360 (800 kbit/s), with the default preset and the next slower.
func BenchmarkEncodeSmaller(b *testing.B) {
	for _, preset := range []int{DefaultPreset - 2, DefaultPreset} {
		b.Run("480p/"+strconv.Itoa(preset), func(b *testing.B) { benchEncode(b, 854, 480, 1200, preset) })
		b.Run("360p/"+strconv.Itoa(preset), func(b *testing.B) { benchEncode(b, 640, 360, 800, preset) })
	}
}

func benchEncode(b *testing.B, w, h, kbps, preset int) {
	ring := newRing(b, w, h, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: kbps, Preset: preset})
	readPacket(b, e).Release() // the first key frame and SVT-AV1's set-up
	b.ReportAllocs()
	cpu := cpuTime(b)
	bytes := 0
	for b.Loop() {
		p := readPacket(b, e)
		bytes += len(p.Data)
		p.Release()
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/frame")
	b.ReportMetric(float64(bytes)*8*30/1000/float64(b.N), "kbit/s")
}

// BenchmarkRestart measures what SetBitrate and ForceKeyframe cost at
// 720p: each frame restarts SVT-AV1 (flush, free, open) and is a key frame.
func BenchmarkRestart720p(b *testing.B) {
	ring := newRing(b, 1280, 720, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: 2500})
	readPacket(b, e).Release()
	kbps := 2500
	for b.Loop() {
		kbps = 5000 - kbps
		if err := e.SetBitrate(kbps); err != nil {
			b.Fatal(err)
		}
		readPacket(b, e).Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

// BenchmarkX264Veryfast720p encodes the same frames with x264's veryfast
// preset (what encode/h264 uses by default), through mediadevices as
// encode/h264 does, for the CPU comparison.
func BenchmarkX264Veryfast720p(b *testing.B) {
	ring := newRing(b, 1280, 720, 30, 30)
	params, err := x264.NewParams()
	if err != nil {
		b.Fatal(err)
	}
	params.Preset = x264.PresetVeryfast
	params.BitRate = 2500 * 1000 * 25 / 30 // x264 assumes 25 fps here
	params.KeyFrameInterval = 60
	n := 0
	enc, err := params.BuildVideoEncoder(video.ReaderFunc(func() (image.Image, func(), error) {
		img := ring.Frames[n%len(ring.Frames)]
		n++
		return img, func() {}, nil
	}), prop.Media{Video: prop.Video{Width: 1280, Height: 720, FrameRate: 30, FrameFormat: frame.FormatI420}})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	bytes := 0
	cpu := cpuTime(b)
	for b.Loop() {
		data, release, err := enc.Read()
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(data)
		release()
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/frame")
	b.ReportMetric(float64(bytes)*8*30/1000/float64(b.N), "kbit/s")
}

// BenchmarkCodec720p is the AV1 column of scripts/bench-codecs.sh:
// studio's SVT-AV1 set-up (DefaultPreset, low delay, CBR) on 30 pre-rendered
// 1280x720 frames of the synth pattern in a loop, 2.5 Mbit/s, unpaced. It
// reports the process's CPU time per frame (getrusage, all threads), the
// frame rate the wall time allows, and the bitrate produced; encode/h264
// has the same benchmark.
func BenchmarkCodec720p(b *testing.B) {
	ring := newRing(b, 1280, 720, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: 2500, KeyInterval: 2 * time.Second})
	readPacket(b, e).Release() // SVT-AV1's set-up and the first key frame
	bytes := 0
	cpu := cpuTime(b)
	for b.Loop() {
		p := readPacket(b, e)
		bytes += len(p.Data)
		p.Release()
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/frame")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
	b.ReportMetric(float64(bytes)*8*30/1000/float64(b.N), "kbit/s")
}
