package device

import "studio/capture"

// formatRank is f's place in cameraFormats (cheapest first), or -1 for a
// format this package cannot convert.
func formatRank(f pixelFormat) int {
	for i, g := range cameraFormats {
		if f == g {
			return i
		}
	}
	return -1
}

// chooseMode picks the mode closest to want among those in a format this
// package converts: a frame rate of at least want.FPS first (modes that do
// not say count as fast enough), then the size closest in pixels, then the
// cheapest format. The mode's FPS becomes want.FPS when it is unknown or
// higher, so the camera is asked for what is needed.
func chooseMode(modes []cameraMode, want capture.VideoProps) (cameraMode, bool) {
	abs := func(v int) int {
		if v < 0 {
			return -v
		}
		return v
	}
	var best cameraMode
	var bestKey [3]int
	found := false
	for _, m := range modes {
		r := formatRank(m.Format)
		if r < 0 || m.Width <= 0 || m.Height <= 0 {
			continue
		}
		slow := 0
		if m.FPS > 0 && m.FPS+0.5 < float64(want.FPS) {
			slow = 1
		}
		key := [3]int{slow, abs(m.Width*m.Height - want.Width*want.Height), r}
		if !found || key[0] < bestKey[0] || key[0] == bestKey[0] && (key[1] < bestKey[1] || key[1] == bestKey[1] && key[2] < bestKey[2]) {
			best, bestKey, found = m, key, true
		}
	}
	if found && (best.FPS == 0 || best.FPS > float64(want.FPS)) {
		best.FPS = float64(want.FPS)
	}
	return best, found
}
