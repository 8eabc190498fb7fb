package audiosync

import (
	"math"
	"testing"
	"time"

	"studio/capture"
)

// benchAlign pushes one second of audio per iteration in 20 ms blocks,
// reusing the result slice and releasing frames; ns/op is nanoseconds per
// second of audio.
func benchAlign(b *testing.B, inRate, inCh int, out capture.AudioProps) {
	a := New(out, 1024)
	block := inRate / 50
	samples := make([]int16, block*inCh)
	for i := range samples {
		samples[i] = int16(10000 * math.Sin(float64(i/inCh)*0.05))
	}
	var dst []*capture.AudioFrame
	var arrival time.Duration
	push := func() {
		arrival += 20 * time.Millisecond
		dst = a.PushAppend(dst[:0], samples, inRate, inCh, arrival)
		for _, f := range dst {
			f.Release()
		}
	}
	for range 250 { // past start-up
		push()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for range 50 {
			push()
		}
	}
}

func BenchmarkAlign48kStereo(b *testing.B) {
	benchAlign(b, 48000, 2, capture.AudioProps{SampleRate: 48000, Channels: 2})
}

func BenchmarkAlign44k1Mono(b *testing.B) {
	benchAlign(b, 44100, 1, capture.AudioProps{SampleRate: 48000, Channels: 2})
}
