package failover

import (
	"testing"
	"time"

	"studio/capture"
)

// reporting is a device that reports dropouts of its own.
type reporting struct{ st capture.SourceStatus }

func (r *reporting) Status() capture.SourceStatus { return r.st }

// A wrapper's dropout counts are the current device's plus those of every
// device it lost before: they never go back when a device is replaced.
func TestStatusKeepsDropoutsAcrossDevices(t *testing.T) {
	var st status
	first := &reporting{capture.SourceStatus{Gaps: 2, GapSilence: 300 * time.Millisecond, DriftPPM: 40}}
	st.set(capture.SourceOK, nil, 0, first)
	if s := st.report(); s.Gaps != 2 || s.GapSilence != 300*time.Millisecond || s.DriftPPM != 40 {
		t.Fatalf("with the first device: %+v", s)
	}
	first.st.Gaps, first.st.GapSilence = 3, 400*time.Millisecond
	st.set(capture.SourceLost, nil, time.Second, nil)
	if s := st.report(); s.Gaps != 3 || s.GapSilence != 400*time.Millisecond || s.DriftPPM != 0 {
		t.Fatalf("lost: %+v, want the first device's 3 dropouts and no drift", s)
	}
	second := &reporting{capture.SourceStatus{Gaps: 1, GapSilence: 100 * time.Millisecond}}
	st.set(capture.SourceOK, nil, 2*time.Second, second)
	if s := st.report(); s.Gaps != 4 || s.GapSilence != 500*time.Millisecond || s.State != capture.SourceOK {
		t.Fatalf("with the second device: %+v, want 4 dropouts, 500 ms", s)
	}
}
