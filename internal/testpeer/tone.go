package testpeer

import (
	"encoding/binary"
	"math"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ToneReport is what AnalyzeTone found in a recording of a pure tone.
type ToneReport struct {
	// FreqHz is the tone's frequency, from the recurrence that a sine
	// satisfies, fitted by least squares over the sounding samples.
	FreqHz float64
	// Amplitude is the tone's peak amplitude (1 is full scale).
	Amplitude float64
	// Discontinuities counts the places where the waveform breaks: a
	// dropped, repeated or overwritten block of samples, or a jump in
	// phase or level. Neighbouring bad samples (within 2 ms) count once.
	Discontinuities int
	// At holds the times (from the start of pcm) of the first 20
	// discontinuities.
	At []time.Duration
	// Marks counts the stretches of silence (the sync marks of pulse-mic
	// --mark) found after skip; MarkAt holds their starts. Their samples
	// and their edges are not judged for discontinuities.
	Marks  int
	MarkAt []time.Duration
	// Analyzed is how much sounding signal was judged.
	Analyzed time.Duration
	// WorstResidual is the largest prediction error that stayed under the
	// threshold, relative to Amplitude: how much margin a clean recording
	// left (samples next to a discontinuity can come close).
	WorstResidual float64
}

// DiscontinuityThreshold is how far, relative to the tone's amplitude, a
// sample may be from what the previous two predict before it counts as a
// discontinuity. A 440 Hz tone through 128 kbps AAC leaves errors below
// about 0.01; dropping or repeating samples (anything but whole periods)
// breaks the waveform by far more than this (see the unit test).
const DiscontinuityThreshold = 0.08

const (
	envelopeWindow = 5 * time.Millisecond  // envelope resolution for finding silence
	silenceRatio   = 0.1                   // a window under this share of the tone's level is silent
	edgeGuard      = 10 * time.Millisecond // not judged on either side of a silence
	mergeWindow    = 2 * time.Millisecond  // bad samples this close count once
)

// AnalyzeTone measures a recording of one pure tone (mono, samples in
// [-1, 1] at rate Hz), ignoring its first skip. See ToneReport.
//
// A sine satisfies x[n] = 2cos(ω)·x[n−1] − x[n−2] exactly. ω is fitted to
// the whole recording, and every sample whose prediction misses by more
// than DiscontinuityThreshold × Amplitude is bad. Whole periods dropped or
// repeated cannot be seen this way, and neither can anything inside the
// stretches of silence.
func AnalyzeTone(pcm []float32, rate int, skip time.Duration) ToneReport {
	var r ToneReport
	start := int(skip.Seconds() * float64(rate))
	if start < 2 {
		start = 2
	}
	if start >= len(pcm) {
		return r
	}
	judged := soundMask(pcm, rate, start, &r)

	n, power := 0, 0.0
	for i := start; i < len(pcm); i++ {
		if judged[i] {
			power += float64(pcm[i]) * float64(pcm[i])
			n++
		}
	}
	if n == 0 {
		return r
	}
	r.Analyzed = time.Duration(n) * time.Second / time.Duration(rate)
	r.Amplitude = math.Sqrt(2 * power / float64(n))
	// A rough ω from neighbouring samples, then a fine one from samples a
	// quarter period apart: there cos(kω) ≈ 0, so noise neither biases it
	// nor moves it much.
	rough := fitLag(pcm, judged, start, 1)
	if rough <= 0 || rough >= math.Pi {
		return r
	}
	w := rough
	if k := int(math.Round(math.Pi / 2 / rough)); k > 1 {
		if fine := fitLag(pcm, judged, start, k); fine > 0 && fine < math.Pi {
			w = fine / float64(k)
		}
	}
	r.FreqHz = w * float64(rate) / (2 * math.Pi)
	cw := math.Cos(w)

	limit := DiscontinuityThreshold * r.Amplitude
	merge := int(mergeWindow.Seconds() * float64(rate))
	last := -merge - 1
	for i := start; i < len(pcm); i++ {
		if !judged[i] {
			continue
		}
		e := math.Abs(float64(pcm[i]) - 2*cw*float64(pcm[i-1]) + float64(pcm[i-2]))
		if e <= limit {
			r.WorstResidual = max(r.WorstResidual, e/r.Amplitude)
			continue
		}
		if i-last > merge {
			r.Discontinuities++
			if len(r.At) < 20 {
				r.At = append(r.At, time.Duration(i)*time.Second/time.Duration(rate))
			}
		}
		last = i
	}
	return r
}

// fitLag returns kω for the ω that best fits x[i+k] + x[i−k] = 2cos(kω)·x[i]
// (least squares over the judged samples i), or 0 when nothing fits.
func fitLag(pcm []float32, judged []bool, start, k int) float64 {
	var num, den float64
	for i := max(start, k); i+k < len(pcm); i++ {
		if !judged[i] {
			continue
		}
		x := float64(pcm[i])
		num += x * (float64(pcm[i+k]) + float64(pcm[i-k]))
		den += 2 * x * x
	}
	if den == 0 {
		return 0
	}
	return math.Acos(max(-1, min(1, num/den)))
}

// soundMask returns which samples (from start, with their two
// predecessors) are in sounding signal away from any silence, and records
// the silences after start in r as marks.
func soundMask(pcm []float32, rate, start int, r *ToneReport) []bool {
	win := max(1, int(envelopeWindow.Seconds()*float64(rate)))
	nwin := (len(pcm) - start) / win
	rms := make([]float64, nwin)
	for w := range rms {
		var s float64
		for _, v := range pcm[start+w*win : start+(w+1)*win] {
			s += float64(v) * float64(v)
		}
		rms[w] = math.Sqrt(s / float64(win))
	}
	level := median(rms)
	silent := make([]bool, nwin)
	for w, v := range rms {
		silent[w] = v < silenceRatio*level
	}
	for w := range silent {
		if silent[w] && (w == 0 || !silent[w-1]) {
			r.Marks++
			r.MarkAt = append(r.MarkAt, time.Duration(start+w*win)*time.Second/time.Duration(rate))
		}
	}
	judged := make([]bool, len(pcm))
	guard := (int(edgeGuard.Seconds()*float64(rate)) + win - 1) / win
	for w := range nwin {
		ok := true
		for k := max(0, w-guard); k <= min(nwin-1, w+guard); k++ {
			if silent[k] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for i := start + w*win; i < start+(w+1)*win; i++ {
			judged[i] = true
		}
	}
	return judged
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// DecodeAudio decodes the first audio stream of path with ffmpeg to mono
// (channels averaged) 32-bit float samples at the stream's own rate. It
// fails the test when ffmpeg cannot, and skips (fails under CI) when
// ffmpeg is missing. ffmpeg's messages at level error are returned too: a
// clean file gives "".
func DecodeAudio(t testing.TB, path string) (pcm []float32, rate int, errs string) {
	t.Helper()
	bins := Require(t, "ffmpeg", "ffprobe")
	out, err := exec.Command(bins[1], "-v", "error", "-select_streams", "a:0",
		"-show_entries", "stream=sample_rate", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	rate, err = strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || rate <= 0 {
		t.Fatalf("ffprobe %s: no audio sample rate in %q", path, out)
	}
	cmd := exec.Command(bins[0], "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1",
		"-f", "f32le", "-acodec", "pcm_f32le", "-")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg decode %s: %v\n%s", path, err, stderr.String())
	}
	pcm = make([]float32, len(raw)/4)
	for i := range pcm {
		pcm[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return pcm, rate, stderr.String()
}
