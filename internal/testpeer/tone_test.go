package testpeer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// sine returns seconds of a tone at amplitude 0.5 (-6 dBFS). phase(n)
// gives the sample index whose value sample n takes, so a jump in it drops
// or repeats samples.
func sine(rate int, hz, seconds float64, at func(n int) int) []float32 {
	out := make([]float32, int(seconds*float64(rate)))
	for n := range out {
		k := n
		if at != nil {
			k = at(n)
		}
		out[n] = float32(0.5 * math.Sin(2*math.Pi*hz*float64(k)/float64(rate)))
	}
	return out
}

func TestAnalyzeToneClean(t *testing.T) {
	for _, rate := range []int{44100, 48000} {
		r := AnalyzeTone(sine(rate, 440, 4, nil), rate, 500*time.Millisecond)
		if r.Discontinuities != 0 || math.Abs(r.FreqHz-440) > 0.01 || math.Abs(r.Amplitude-0.5) > 0.01 || r.Marks != 0 {
			t.Errorf("%d Hz clean tone: %+v", rate, r)
		}
		if r.Analyzed < 3400*time.Millisecond {
			t.Errorf("%d Hz: analysed only %v of 3.5 s", rate, r.Analyzed)
		}
	}
}

// TestAnalyzeToneNoise: noise at the level AAC leaves at 128 kbps (and
// well above it, -50 dB) is not a discontinuity.
func TestAnalyzeToneNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pcm := sine(48000, 440, 4, nil)
	for i := range pcm {
		pcm[i] += float32(rng.NormFloat64() * 0.5 * math.Pow(10, -50.0/20))
	}
	r := AnalyzeTone(pcm, 48000, 0)
	if r.Discontinuities != 0 || math.Abs(r.FreqHz-440) > 0.05 {
		t.Errorf("noisy tone: %+v", r)
	}
	t.Logf("worst residual with -50 dB noise: %.4f of the amplitude", r.WorstResidual)
}

// TestAnalyzeToneBreaks: each way of losing a block of samples counts as
// one discontinuity at the right place.
func TestAnalyzeToneBreaks(t *testing.T) {
	const rate = 44100
	at := 2 * rate // the break, 2 s in
	for _, tc := range []struct {
		name  string
		shift func(n int) int
	}{
		{"1 ms dropped", func(n int) int { return n + 44*b2i(n >= at) }},
		{"1 ms repeated", func(n int) int { return n - 44*b2i(n >= at) }},
		{"1024 samples dropped", func(n int) int { return n + 1024*b2i(n >= at) }},
		{"20 ms dropped", func(n int) int { return n + 882*b2i(n >= at) }},
		// A block overwritten by later samples, as a capture ring buffer
		// that is refilled before it is read.
		{"10 ms overwritten", func(n int) int { return n + 441*b2i(n >= at && n < at+441) }},
	} {
		r := AnalyzeTone(sine(rate, 440, 4, tc.shift), rate, 500*time.Millisecond)
		want := 1
		if tc.name == "10 ms overwritten" {
			want = 2 // it starts and it ends
		}
		if r.Discontinuities != want {
			t.Errorf("%s: %d discontinuities (%v), want %d", tc.name, r.Discontinuities, r.At, want)
			continue
		}
		if d := r.At[0] - 2*time.Second; d < 0 || d > time.Millisecond {
			t.Errorf("%s: found at %v, want 2s", tc.name, r.At[0])
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAnalyzeToneMarks: 50 ms silences are counted as marks, not as
// discontinuities.
func TestAnalyzeToneMarks(t *testing.T) {
	const rate = 48000
	pcm := sine(rate, 440, 5, nil)
	for s := 1; s <= 4; s++ {
		for i := s * rate; i < s*rate+rate/20; i++ {
			pcm[i] = 0
		}
	}
	r := AnalyzeTone(pcm, rate, 500*time.Millisecond)
	if r.Marks != 4 || r.Discontinuities != 0 || math.Abs(r.FreqHz-440) > 0.01 {
		t.Fatalf("tone with 4 marks: %+v", r)
	}
	for i, m := range r.MarkAt {
		if d := m - time.Duration(i+1)*time.Second; d < -5*time.Millisecond || d > 5*time.Millisecond {
			t.Errorf("mark %d at %v, want %ds", i, m, i+1)
		}
	}
}

// TestAnalyzeToneThroughAAC: a tone through AAC at 128 kbps (ffmpeg's
// encoder) is clean, and the same tone with 1 ms dropped, or with a phase
// jump, is not.
func TestAnalyzeToneThroughAAC(t *testing.T) {
	ff := Require(t, "ffmpeg")[0]
	dir := t.TempDir()
	for _, tc := range []struct {
		expr  string
		rate  int
		ch    int
		want  int
		label string
	}{
		{"0.5*sin(2*PI*440*t)", 44100, 1, 0, "clean 44.1 kHz mono"},
		{"0.5*sin(2*PI*440*t)", 48000, 2, 0, "clean 48 kHz stereo"},
		{"0.5*sin(2*PI*440*(t+0.001*gte(t\\,2)))", 44100, 1, 1, "1 ms dropped at 2 s"},
		{"0.5*sin(2*PI*440*(t-0.0213*gte(t\\,2)))", 48000, 2, 1, "1024 samples repeated at 2 s"},
	} {
		out := filepath.Join(dir, fmt.Sprintf("tone-%d-%d-%d.m4a", tc.rate, tc.ch, tc.want))
		src := fmt.Sprintf("aevalsrc=%s:s=%d:d=4", tc.expr, tc.rate)
		if tc.ch == 2 {
			src = fmt.Sprintf("aevalsrc=%s|%s:s=%d:d=4", tc.expr, tc.expr, tc.rate)
		}
		if b, err := exec.Command(ff, "-nostdin", "-v", "error", "-f", "lavfi", "-i", src,
			"-c:a", "aac", "-b:a", "128k", out).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, b)
		}
		pcm, rate, errs := DecodeAudio(t, out)
		if errs != "" || rate != tc.rate {
			t.Fatalf("%s: decoded at %d Hz, errors %q", tc.label, rate, errs)
		}
		r := AnalyzeTone(pcm, rate, 500*time.Millisecond)
		t.Logf("%s: %.2f Hz, amplitude %.3f, %d discontinuities %v, worst clean residual %.4f",
			tc.label, r.FreqHz, r.Amplitude, r.Discontinuities, r.At, r.WorstResidual)
		if r.Discontinuities != tc.want || math.Abs(r.FreqHz-440) > 2 {
			t.Errorf("%s: %d discontinuities at %.2f Hz, want %d at 440", tc.label, r.Discontinuities, r.FreqHz, tc.want)
		}
	}
}
