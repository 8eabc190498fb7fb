package testpeer

import "testing"

func TestMissingSlots(t *testing.T) {
	const f = 1.0 / 30
	for _, c := range []struct {
		pts  []float64
		want uint64
	}{
		{nil, 0},
		{[]float64{0}, 0},
		{[]float64{0, f, 2 * f, 3 * f}, 0},
		{[]float64{0, 2 * f, 3 * f}, 1},                       // one slot skipped
		{[]float64{0, f + 0.001, 2*f - 0.001, 6 * f}, 3},      // ms rounding, then three skipped
		{[]float64{0, 0.033, 0.067, 0.100, 0.624, 0.657}, 15}, // millisecond stamps, a 524 ms gap
	} {
		if got := missingSlots(c.pts, 30); got != c.want {
			t.Errorf("missingSlots(%v) = %d, want %d", c.pts, got, c.want)
		}
	}
}
