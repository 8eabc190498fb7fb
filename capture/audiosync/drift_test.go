package audiosync

import (
	"math"
	"testing"

	"studio/capture"
)

// TestSkew runs devices 0.5% fast and slow, with 10–50 ms blocks and ±10 ms
// arrival jitter, for an hour of simulated time (5 minutes with -short; the
// hour runs at low rates to stay fast, the minute at 48 kHz stereo).
func TestSkew(t *testing.T) {
	hour := 3600.0
	if testing.Short() {
		hour = 300
	}
	for _, tc := range []struct {
		name         string
		inRate, inCh int
		out          capture.AudioProps
		skew, secs   float64
	}{
		{"+0.5% hour 8k mono", 8000, 1, capture.AudioProps{SampleRate: 8000, Channels: 1}, 0.005, hour},
		{"-0.5% hour 8k mono", 8000, 1, capture.AudioProps{SampleRate: 8000, Channels: 1}, -0.005, hour},
		{"+0.5% minute 48k stereo", 48000, 2, capture.AudioProps{SampleRate: 48000, Channels: 2}, 0.005, 60},
		{"-0.5% minute 44k1 mono to 48k stereo", 44100, 1, capture.AudioProps{SampleRate: 48000, Channels: 2}, -0.005, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var maxErr, maxDrift, maxStep, lastStep, maxErrAfter60 float64
			r := toneRun{inRate: tc.inRate, inCh: tc.inCh, skew: tc.skew, jitter: 0.010, out: tc.out,
				freq: 440, amp: []float64{16000, 12000}, secs: tc.secs,
				observe: func(a *Aligner, d *device) {
					now := d.captureTime(float64(d.n)) - d.start
					e := math.Abs(lockError(a, d))
					if now >= 5 {
						maxErr = max(maxErr, e)
					}
					if now >= 60 {
						maxErrAfter60 = max(maxErrAfter60, e)
					}
					if now >= 10 {
						maxDrift = max(maxDrift, math.Abs(a.DriftPPM()-tc.skew*1e6))
					}
					if lastStep != 0 {
						maxStep = max(maxStep, math.Abs(a.g.step/lastStep-1)*1e6)
					}
					lastStep = a.g.step
				}}
			r.fitEvery = 10
			if tc.secs > 100 {
				r.fitEvery = 50
			}
			a, _, cs := r.run(t)
			st := a.Stats()
			t.Logf("max |lock error| after 5 s %.2f ms (after 60 s %.2f ms), max |drift error| after 10 s %.0f ppm (final %.0f ppm), max ratio change per block %.1f ppm, stats %+v",
				maxErr*1e3, maxErrAfter60*1e3, maxDrift, a.DriftPPM()-tc.skew*1e6, maxStep, st)
			if maxErr > 0.020 {
				t.Errorf("lock error reached %.1f ms after 5 s, want within 20 ms", maxErr*1e3)
			}
			if maxDrift > 1000 {
				t.Errorf("DriftPPM off by %.0f ppm after 10 s, want within 1000", maxDrift)
			}
			if maxStep > 100 {
				t.Errorf("ratio changed by %.1f ppm within one block, want at most 100", maxStep)
			}
			if st.Relocks != 1 || st.Gaps != 0 || st.SilenceSamples != 0 || st.DroppedSamples != 0 {
				t.Errorf("stats %+v: want one lock and no gap, silence or drop", st)
			}
			for c, ch := range cs {
				checkTone(t, []string{"left", "right"}[c], ch, 440, -60)
				if f := ch.frequency(tc.secs - 30); math.Abs(f-440) > 0.05 {
					t.Errorf("frequency over the last 30 s %.4f Hz, want 440±0.05", f)
				}
			}
		})
	}
}
