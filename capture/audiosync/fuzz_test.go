package audiosync

import (
	"testing"
	"time"

	"studio/capture"
)

// FuzzPush throws arbitrary block sizes, rates, channel counts, arrivals
// (including ones that go backwards or jump far ahead) and Resets at an
// Aligner: it must never panic and its frames must stay contiguous.
func FuzzPush(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120})
	f.Add([]byte{255, 0, 255, 0, 1, 2, 3, 4, 200, 200, 9, 9, 0, 0})
	f.Add([]byte{7, 7, 7, 7, 7, 7, 7, 7, 128, 1, 2, 3, 250, 251, 252, 253})
	f.Fuzz(func(t *testing.T, ops []byte) {
		out := capture.AudioProps{SampleRate: 48000, Channels: 2}
		if len(ops) > 0 && ops[0]&1 == 1 {
			out = capture.AudioProps{SampleRate: 44100, Channels: 1}
		}
		const frameSamples = 1024
		a := New(out, frameSamples)
		s := newSink(out, frameSamples, false)
		rates := []int{48000, 44100, 16000, 8000, 96000, 500}
		var arrival time.Duration
		buf := make([]int16, 0, 8192)
		for i := 0; i+3 < len(ops) && i < 400; i += 4 {
			op, size, dt, rc := ops[i], ops[i+1], int8(ops[i+2]), ops[i+3]
			if op == 0xff {
				a.Reset()
				continue
			}
			rate := rates[int(rc)%len(rates)]
			ch := 1 + int(rc>>4)%3 // 1, 2 or the invalid 3
			frames := int(size) * 16
			buf = buf[:0]
			for j := 0; j < frames*ch+int(op&1); j++ {
				buf = append(buf, int16(j*int(op)))
			}
			step := time.Duration(dt) * 5 * time.Millisecond
			if op&0x80 != 0 {
				step *= 40 // jumps of up to ±25 s
			}
			arrival += step
			next := a.Next()
			frames0 := s.frames
			s.add(a.Push(buf, rate, ch, arrival))
			if s.frames > frames0 && s.frames == 1 {
				next = s.first
			}
			if s.frames > frames0 && frames0 > 0 && next != s.ptsOf(frames0) {
				t.Fatalf("op %d: first new frame is not at the previous Next %v", i/4, next)
			}
			if s.frames > 0 && a.Next() != s.ptsOf(s.frames) {
				t.Fatalf("op %d: Next %v, want %v", i/4, a.Next(), s.ptsOf(s.frames))
			}
		}
		if s.gaps != 0 {
			t.Fatalf("%d frames off the contiguous timeline", s.gaps)
		}
	})
}
