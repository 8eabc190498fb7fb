package testpeer

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// record captures seconds of ALSA's default device with arecord, in the
// microphone's environment, into a WAV file.
func record(t *testing.T, m *PulseMic, seconds string) (string, error) {
	t.Helper()
	bin := Require(t, "arecord")[0]
	out := filepath.Join(t.TempDir(), "rec.wav")
	cmd := exec.Command(bin, "-q", "-D", "default", "-f", "S16_LE", "-r", "44100", "-c", "1", "-d", seconds, out)
	cmd.Env = append(os.Environ(), m.Env()...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, b)
	}
	return out, nil
}

// TestPulseMic: ALSA's default device records the peer's tone in its
// environment, and a killed server can be restored.
func TestPulseMic(t *testing.T) {
	m := StartPulseMic(t, PulseMicOptions{Rate: 44100, Channels: 1, Tone: 440})
	check := func(when string) {
		t.Helper()
		wav, err := record(t, m, "2")
		if err != nil {
			t.Fatalf("%s: arecord: %v", when, err)
		}
		pcm, rate, errs := DecodeAudio(t, wav)
		r := AnalyzeTone(pcm, rate, 500*time.Millisecond)
		t.Logf("%s: %+v", when, r)
		if errs != "" || r.Discontinuities != 0 || math.Abs(r.FreqHz-440) > 2 || r.Analyzed < time.Second {
			t.Errorf("%s: recorded %+v (decode errors %q), want a clean 440 Hz tone", when, r, errs)
		}
	}
	check("started")
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := record(t, m, "1"); err == nil {
		t.Error("arecord recorded from a killed server")
	}
	if err := m.Restore(); err != nil {
		t.Fatal(err)
	}
	check("restored")
}
