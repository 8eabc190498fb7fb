package synth

import (
	"context"
	"math"
	"testing"

	"studio/capture"
)

// TestToneTableAndSine checks that a tone is the rounded sine within one
// step, over frames that wrap its period table and for frequencies that
// take the table (whole hertz, short period) and the sine (neither).
func TestToneTableAndSine(t *testing.T) {
	for _, c := range []struct {
		freq      float64
		rate, ch  int
		wantTable bool
	}{
		{1000, 48000, 2, true},
		{440, 44100, 1, true},  // 2205 samples, 22 cycles
		{997, 48000, 2, false}, // 48000 samples
		{1000.5, 48000, 1, false},
	} {
		tone, err := NewTone(capture.NewClock(), capture.AudioProps{SampleRate: c.rate, Channels: c.ch}, c.freq, 1000, Unpaced())
		if err != nil {
			t.Fatal(err)
		}
		if got := tone.period != nil; got != c.wantTable {
			t.Errorf("%g Hz at %d Hz: table %v, want %v", c.freq, c.rate, got, c.wantTable)
		}
		const amp = ToneLevel * 32767
		n := 0
		for k := range 10 {
			f, err := tone.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(f.Samples); i += c.ch {
				want := amp * math.Sin(2*math.Pi*c.freq*float64(n)/float64(c.rate))
				for ch := range c.ch {
					if d := math.Abs(float64(f.Samples[i+ch]) - want); d > 1.01 {
						t.Fatalf("%g Hz at %d Hz: frame %d sample %d = %d, want %.1f", c.freq, c.rate, k, n, f.Samples[i+ch], want)
					}
				}
				n++
			}
			f.Release()
		}
		tone.Close()
	}
}
