package main

import (
	"math"
	"slices"
	"time"
)

// streamStats summarises what the server received from one publisher.
type streamStats struct {
	FirstMediaMS float64 // process start to the first audio or video message (sequence headers count)
	FirstFrameMS float64 // process start to the first coded video frame
	VideoKbps    float64 // video tag bytes over the video timestamps' span
	AudioKbps    float64 // audio tag bytes over the audio timestamps' span
	VideoFrames  int
	AudioFrames  int
	MediaSeconds float64 // span of the video timestamps plus one frame
	DelayP50MS   float64 // arrival − timestamp, above the run's minimum, over every frame
	DelayP99MS   float64
	DelayMaxMS   float64
}

// summarise computes streamStats from the media messages of one run;
// started is when the publisher process started and fps its frame rate.
func summarise(msgs []media, started time.Time, fps int) streamStats {
	var s streamStats
	var vBytes, aBytes int
	var vFirst, vLast, aFirst, aLast uint32
	var delays []float64
	var t0 time.Time
	for _, m := range msgs {
		if s.FirstMediaMS == 0 {
			s.FirstMediaMS = ms(m.Arrival.Sub(started))
		}
		if m.Config {
			continue
		}
		if t0.IsZero() {
			t0 = m.Arrival
		}
		// Arrival on the relay's clock minus the timestamp on the
		// publisher's, both in ms since the first frame; the run's
		// minimum is subtracted below, so the offset between the clocks
		// drops out.
		delays = append(delays, ms(m.Arrival.Sub(t0))-float64(m.Timestamp))
		if m.Video {
			if s.VideoFrames == 0 {
				s.FirstFrameMS = ms(m.Arrival.Sub(started))
				vFirst = m.Timestamp
			}
			vLast = m.Timestamp
			s.VideoFrames++
			vBytes += m.Size
		} else {
			if s.AudioFrames == 0 {
				aFirst = m.Timestamp
			}
			aLast = m.Timestamp
			s.AudioFrames++
			aBytes += m.Size
		}
	}
	if s.VideoFrames > 1 && fps > 0 {
		span := float64(vLast-vFirst)/1000 + 1/float64(fps)
		s.MediaSeconds = span
		s.VideoKbps = float64(vBytes) * 8 / 1000 / span
	}
	if s.AudioFrames > 1 {
		span := float64(aLast-aFirst) / 1000 * float64(s.AudioFrames) / float64(s.AudioFrames-1)
		s.AudioKbps = float64(aBytes) * 8 / 1000 / span
	}
	if len(delays) > 0 {
		lo := slices.Min(delays)
		for i := range delays {
			delays[i] -= lo
		}
		slices.Sort(delays)
		s.DelayP50MS = percentile(delays, 0.50)
		s.DelayP99MS = percentile(delays, 0.99)
		s.DelayMaxMS = delays[len(delays)-1]
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the p-quantile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// median of xs; xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
