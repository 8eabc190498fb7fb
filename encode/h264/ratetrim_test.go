package h264

import (
	"math"
	"testing"
)

func TestRateTrimCorrectsBiasWithinBounds(t *testing.T) {
	r := newRateTrim(30, 60)
	// An encoder 10% over a 1000 kbit/s target: 60 frames of 1100 kbit/s.
	frame := 1100 * 1000 / 8 / 30
	var corr float64
	var changed bool
	for i := 0; i < 60; i++ { // the first window, x264's start-up, is not judged
		if _, changed = r.add(frame*3, 1000); changed {
			t.Fatal("corrected during the start-up window")
		}
	}
	for i := 0; i < 59; i++ {
		if _, changed = r.add(frame, 1000); changed {
			t.Fatal("corrected before a whole window")
		}
	}
	if corr, changed = r.add(frame, 1000); !changed || math.Abs(corr-math.Sqrt(1000.0/1100)) > 1e-3 {
		t.Fatalf("correction %v (changed %v), want %v", corr, changed, math.Sqrt(1000.0/1100))
	}
	// An encoder that never listens: the correction stops at the bound.
	for i := 0; i < 60*20; i++ {
		corr, _ = r.add(frame*2, 1000)
	}
	if corr != minTrim {
		t.Errorf("correction %v against a stubborn encoder, want the bound %v", corr, minTrim)
	}
	// After a target change one window is skipped.
	r.restart()
	for i := 0; i < 60; i++ {
		if _, changed = r.add(frame/10, 1000); changed {
			t.Fatal("corrected during the skipped window")
		}
	}
}
