package audiosync

// A block that arrives more than gapThreshold later than the fitted line is
// either the first after a real gap (the device lost samples: the stream
// resumes later than it should) or the first of a catch-up burst (the reader
// stalled while the device buffered: the data is continuous and the next
// blocks arrive in quick succession). The Aligner holds such blocks until
// the arrivals tell which: if the lateness drops back under the threshold the
// held audio is continuous and plays as is; if it stays while the clock
// advances by confirmWindow (or the hold reaches maxHold) it was a gap, and
// silence fills it.
const (
	confirmWindow = 0.060
	maxHold       = 0.5
)

type heldBlock struct {
	frames  int
	arrival float64
}

type holdState struct {
	active  bool
	samples []int16
	blocks  []heldBlock
	late0   float64 // lateness of the first held block
	frames  int64   // frames held
}

func (a *Aligner) startHold(s []int16, t, late float64) {
	h := &a.hold
	h.active = true
	h.samples = append(h.samples[:0], s...)
	h.blocks = append(h.blocks[:0], heldBlock{len(s) / a.inCh, t})
	h.late0 = late
	h.frames = int64(len(s) / a.inCh)
}

// holdBlock adds a block to the hold and decides when it can.
func (a *Aligner) holdBlock(s []int16, t float64) {
	h := &a.hold
	n := len(s) / a.inCh
	h.samples = append(h.samples, s...)
	h.blocks = append(h.blocks, heldBlock{n, t})
	h.frames += int64(n)
	late := t - a.est.at(a.x(float64(a.idx+h.frames)))
	waited := t - h.blocks[0].arrival
	switch {
	case late <= gapThreshold:
		a.releaseHold(false)
	case waited >= confirmWindow && late > h.late0-confirmWindow/2,
		waited >= maxHold, float64(h.frames)/a.rate() >= maxHold:
		a.stats.Gaps++
		a.releaseHold(true)
	}
}

// releaseHold plays the held blocks: continuously, or after a gap re-locked
// at the first held sample's capture time estimated from all held blocks.
// Either way they are one run of input and skip the gap checks.
func (a *Aligner) releaseHold(gap bool) {
	h := &a.hold
	h.active = false
	if gap {
		r := a.rate()
		var cum, sum float64
		for _, b := range h.blocks {
			cum += float64(b.frames)
			sum += b.arrival - cum/r
		}
		a.relock, a.forced, a.forceT0 = true, true, sum/float64(len(h.blocks))
	}
	s := h.samples
	for _, b := range h.blocks {
		k := b.frames * a.inCh
		a.block(s[:k], b.arrival, true)
		s = s[k:]
	}
}
