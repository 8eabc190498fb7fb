package hevc

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used, in all its threads
// (x265's worker threads included).
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncode720p encodes pre-rendered 1280x720 frames at 2.5 Mbit/s,
// unpaced: ns/frame is the wall time per frame (under 33.3 ms keeps 30 fps
// in real time), cpu-ns/frame the CPU time of all threads per frame.
func BenchmarkEncode720p(b *testing.B) {
	for _, preset := range []string{"ultrafast", "superfast", "veryfast"} {
		b.Run(preset, func(b *testing.B) { benchEncode(b, 1280, 720, 2500, preset) })
	}
}

// BenchmarkEncode480p is BenchmarkEncode720p at 854x480 and 1.2 Mbit/s.
func BenchmarkEncode480p(b *testing.B) {
	b.Run(DefaultPreset, func(b *testing.B) { benchEncode(b, 854, 480, 1200, DefaultPreset) })
}

func benchEncode(b *testing.B, w, h, kbps int, preset string) {
	ring := newRing(b, w, h, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: kbps, Preset: preset})
	readPacket(b, e).Release() // the first IDR frame and x265's first-frame set-up
	b.ReportAllocs()
	cpu := cpuTime(b)
	for b.Loop() {
		readPacket(b, e).Release()
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/frame")
}

// BenchmarkCodec720p is the HEVC column of scripts/bench-codecs.sh:
// studio's x265 set-up (DefaultPreset, zerolatency) on 30 pre-rendered
// 1280x720 frames of the synth pattern in a loop, 2.5 Mbit/s, unpaced. It
// reports the process's CPU time per frame (getrusage, all threads), the
// frame rate the wall time allows, and the bitrate produced; encode/h264
// has the same benchmark.
func BenchmarkCodec720p(b *testing.B) {
	ring := newRing(b, 1280, 720, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: 2500, KeyInterval: 2 * time.Second})
	readPacket(b, e).Release() // x265's set-up and the first key frame
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
