package h264

import "math"

// rateTrim corrects x264's steady bias against its target. Through the
// mediadevices binding, x264's average-bitrate mode runs 5 to 10% over on
// our content; rateTrim compares the bytes of each measurement window (one
// keyframe interval, at least a second) with the target and nudges the
// bitrate asked of x264, by at most 20% either way in all. The first window
// and the one after a target change are not judged: x264 is still settling,
// and pays back a start-up overshoot by itself.
//
// It is owned by the goroutine that encodes.
type rateTrim struct {
	fps    int
	window int // frames per measurement
	frames int
	bytes  int
	skip   int     // frames left to ignore
	corr   float64 // multiplier on the target, in [minTrim, maxTrim]
}

const (
	minTrim = 0.8
	maxTrim = 1.2
)

func newRateTrim(fps, keyintFrames int) *rateTrim {
	r := &rateTrim{fps: fps, window: max(fps, keyintFrames), corr: 1}
	r.skip = r.window // x264 pays back its start-up overshoot by itself
	return r
}

// restart drops the current measurement and skips the next window.
func (r *rateTrim) restart() {
	r.frames, r.bytes, r.skip = 0, 0, r.window
}

// add counts one encoded frame of n bytes against a target of kbps and
// returns the new correction when it changed.
func (r *rateTrim) add(n, kbps int) (float64, bool) {
	if r.skip > 0 {
		r.skip--
		return r.corr, false
	}
	r.frames++
	r.bytes += n
	if r.frames < r.window {
		return r.corr, false
	}
	actual := float64(r.bytes) * 8 / (float64(r.frames) / float64(r.fps)) / 1000
	r.frames, r.bytes = 0, 0
	if actual <= 0 || kbps <= 0 {
		return r.corr, false
	}
	// Half the error each window (the square root of the ratio), so that
	// one unusual window cannot swing the rate.
	next := min(maxTrim, max(minTrim, r.corr*math.Sqrt(float64(kbps)/actual)))
	if math.Abs(next-r.corr) < 0.01 {
		return r.corr, false
	}
	r.corr = next
	return next, true
}
