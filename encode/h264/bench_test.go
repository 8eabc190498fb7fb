package h264

import (
	"syscall"
	"testing"
	"time"

	"studio/encode/encodetest"
)

// cpuTime returns the CPU time the process has used, in all its threads
// (x264's included).
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCodec720p is the H.264 column of scripts/bench-codecs.sh: studio's
// x264 set-up (veryfast, zerolatency) on 30 pre-rendered 1280x720 frames
// of the synth pattern in a loop, 2.5 Mbit/s, unpaced. It reports the
// process's CPU time per frame (getrusage, all threads), the frame rate the
// wall time allows, and the bitrate produced; encode/hevc and encode/av1
// have the same benchmark.
func BenchmarkCodec720p(b *testing.B) {
	ring := encodetest.NewRing(b, 1280, 720, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: 2500, KeyInterval: 2 * time.Second})
	readPacket(b, e).Release() // x264's set-up and the first IDR frame
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
