package audiosync

import "math"

// Resampler design. The kernel is a Kaiser-windowed sinc of 2*half taps,
// tabulated at `phases` fractional positions; coefficients between two
// tabulated phases are interpolated linearly, so the read position can take
// any fractional value and the ratio can change from one output sample to the
// next without a discontinuity.
const (
	half       = 16 // taps on each side of the read position
	taps       = 2 * half
	phases     = 128  // tabulated fractional positions per input sample
	kaiserBeta = 8.0  // stop band about -80 dB
	cutoffFrac = 0.42 // -6 dB point as a fraction of the lower sample rate
)

// resampler reads a stream of float32 frames (ch interleaved channels)
// indexed by an int64 position on the input timeline and produces output
// frames at an arbitrary, slowly varying step (input samples per output
// sample). It keeps the history the kernel needs across calls.
type resampler struct {
	ch    int
	table []float32 // phases+1 rows of taps coefficients
	delta []float32 // row[p+1]-row[p], phases rows
	buf   []float32 // frames start..end-1
	start int64     // input index of buf[0]
	pos   int64     // integer part of the read position
	frac  float64   // fractional part of the read position, in [0,1)
}

// design tabulates the kernel for a cutoff of fc cycles per input sample.
func (r *resampler) design(fc float64) {
	if r.table == nil {
		r.table = make([]float32, (phases+1)*taps)
		r.delta = make([]float32, phases*taps)
	}
	i0b := besselI0(kaiserBeta)
	row := make([]float64, taps)
	for p := 0; p <= phases; p++ {
		frac := float64(p) / phases
		sum := 0.0
		for k := 0; k < taps; k++ {
			t := float64(k-half+1) - frac // distance of tap k from the read position
			w := 0.0
			if x := t / half; x > -1 && x < 1 {
				w = besselI0(kaiserBeta*math.Sqrt(1-x*x)) / i0b
			}
			v := 2 * fc * w
			if t != 0 {
				v = math.Sin(2*math.Pi*fc*t) / (math.Pi * t) * w
			}
			row[k] = v
			sum += v
		}
		for k := range row { // unity gain at DC for every phase
			r.table[p*taps+k] = float32(row[k] / sum)
		}
	}
	for p := 0; p < phases; p++ {
		for k := 0; k < taps; k++ {
			r.delta[p*taps+k] = r.table[(p+1)*taps+k] - r.table[p*taps+k]
		}
	}
}

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

// restart empties the stream: the next appended frame has index 0, the
// history before it is silence and the read position is frac (in [0,1)).
func (r *resampler) restart(ch int, frac float64) {
	r.ch = ch
	r.buf = r.buf[:0]
	for i := 0; i < half*ch; i++ {
		r.buf = append(r.buf, 0)
	}
	r.start = -half
	r.pos = 0
	r.frac = frac
}

// end returns the index one past the last appended frame.
func (r *resampler) end() int64 { return r.start + int64(len(r.buf)/r.ch) }

// position returns the read position in input samples.
func (r *resampler) position() float64 { return float64(r.pos) + r.frac }

// compact drops history the kernel no longer needs, without allocating.
func (r *resampler) compact() {
	drop := r.pos - half + 1 - r.start
	if drop <= 0 || int(drop)*r.ch < len(r.buf)/2 {
		return
	}
	n := copy(r.buf, r.buf[int(drop)*r.ch:])
	r.buf = r.buf[:n]
	r.start += drop
}

// appendInt16 appends frames of interleaved int16 with inCh channels,
// converting to r.ch channels (stereo to mono averages).
func (r *resampler) appendInt16(s []int16, inCh int) {
	r.compact()
	const k = 1.0 / 32768
	switch {
	case inCh == r.ch:
		for _, v := range s {
			r.buf = append(r.buf, float32(v)*k)
		}
	case inCh == 2 && r.ch == 1:
		for i := 0; i+1 < len(s); i += 2 {
			r.buf = append(r.buf, (float32(s[i])+float32(s[i+1]))*(0.5*k))
		}
	default: // mono in, stereo working channels (not used by Aligner)
		for _, v := range s {
			f := float32(v) * k
			r.buf = append(r.buf, f, f)
		}
	}
}

// appendZeros appends n silent frames.
func (r *resampler) appendZeros(n int) {
	r.compact()
	for i := 0; i < n*r.ch; i++ {
		r.buf = append(r.buf, 0)
	}
}

// ramp is the step (input samples per output sample) and how it moves
// toward its target: a first-order approach with coefficient alpha per
// output sample (so the pitch glides rather than bends), by at most slew
// per output sample.
type ramp struct {
	step, target, alpha, slew float64
}

func (g *ramp) next() float64 {
	d := (g.target - g.step) * g.alpha
	g.step += min(max(d, -g.slew), g.slew)
	return g.step
}

// run produces output frames into out (r.ch interleaved) while the read
// position is below stop and the kernel's inputs exist, advancing the
// position by g's step after each frame. It returns the frames produced.
func (r *resampler) run(out []float32, stop int64, g *ramp) int {
	if lim := r.end() - half; stop > lim {
		stop = lim
	}
	n := 0
	for n*r.ch < len(out) && r.pos < stop {
		fp := r.frac * phases
		ph := int(fp)
		if ph >= phases {
			ph = phases - 1
		}
		a := float32(fp - float64(ph))
		row := r.table[ph*taps : ph*taps+taps]
		del := r.delta[ph*taps : ph*taps+taps]
		off := int(r.pos-half+1-r.start) * r.ch
		if r.ch == 1 {
			x := r.buf[off : off+taps]
			var s0, s1, s2, s3 float32 // independent sums for throughput
			for k := 0; k < taps; k += 4 {
				s0 += (row[k] + a*del[k]) * x[k]
				s1 += (row[k+1] + a*del[k+1]) * x[k+1]
				s2 += (row[k+2] + a*del[k+2]) * x[k+2]
				s3 += (row[k+3] + a*del[k+3]) * x[k+3]
			}
			out[n] = (s0 + s1) + (s2 + s3)
		} else {
			x := r.buf[off : off+2*taps]
			var l0, r0, l1, r1 float32
			for k := 0; k < taps; k += 2 {
				c0 := row[k] + a*del[k]
				c1 := row[k+1] + a*del[k+1]
				l0 += c0 * x[2*k]
				r0 += c0 * x[2*k+1]
				l1 += c1 * x[2*k+2]
				r1 += c1 * x[2*k+3]
			}
			out[2*n] = l0 + l1
			out[2*n+1] = r0 + r1
		}
		n++
		r.frac += g.next()
		if r.frac >= 1 {
			adv := math.Floor(r.frac)
			r.pos += int64(adv)
			r.frac -= adv
		}
	}
	return n
}
