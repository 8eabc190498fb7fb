package alsa

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/internal/testpeer"
)

func TestMain(m *testing.M) {
	if os.Getenv("ALSA_TEST_CHILD") != "" {
		os.Exit(child())
	}
	goleak.VerifyTestMain(m)
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(Config{Name: "no-such-pcm-7d1e"})
	if !errors.Is(err, ErrNoDevice) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("open of an unknown PCM: %v, want ErrNoDevice and ENOENT", err)
	}
	if err := Probe("no-such-pcm-7d1e"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("probe of an unknown PCM: %v", err)
	}
}

// TestNullDevice reads ALSA's null PCM (zeros, no hardware needed).
func TestNullDevice(t *testing.T) {
	p, err := Open(Config{Name: "null", Rate: 44100, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate() != 44100 || p.Channels() != 1 || p.PeriodFrames() <= 0 || p.BufferFrames() < p.PeriodFrames() {
		t.Errorf("null: %d Hz %d ch, period %d, buffer %d", p.Rate(), p.Channels(), p.PeriodFrames(), p.BufferFrames())
	}
	buf := make([]int16, 1024)
	n, err := p.Read(buf, time.Second)
	if err != nil || n <= 0 || n > len(buf) {
		t.Fatalf("read: %d, %v", n, err)
	}
	if _, err := p.Read(buf[:0], time.Second); err == nil {
		t.Error("read into an empty buffer succeeded")
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := p.Read(buf, time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

func TestDevicesWithoutServer(t *testing.T) {
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		base, _, _ := strings.Cut(d.Name, ":")
		if skipped[base] || base == "hw" || d.Desc == "" {
			t.Errorf("listed %+v", d)
		}
	}
	t.Logf("devices: %+v", devs)
}

// readTone reads about seconds of audio from p and returns its first
// channel as floats.
func readTone(t *testing.T, p *PCM, seconds float64) []float32 {
	t.Helper()
	buf := make([]int16, p.BufferFrames()*p.Channels())
	var out []float32
	for len(out) < int(seconds*float64(p.Rate())) {
		n, err := p.Read(buf, time.Second)
		if err != nil {
			t.Fatalf("read after %d frames: %v", len(out), err)
		}
		for i := 0; i < n; i++ {
			out = append(out, float32(buf[i*p.Channels()])/32768)
		}
	}
	return out
}

// TestPulseMic captures the virtual microphone through "default" at the
// rate and channel count asked, and finds the device lost when its server
// dies.
func TestPulseMic(t *testing.T) {
	m := testpeer.StartPulseMic(t, testpeer.PulseMicOptions{Rate: 44100, Channels: 1, Tone: 440})
	m.Setenv(t)
	devs, err := Devices()
	if err != nil || len(devs) == 0 || devs[0].Name != DefaultName {
		t.Fatalf("devices with a server: %+v, %v; want default first", devs, err)
	}
	t.Logf("devices: %+v", devs)
	for _, want := range []Config{{Rate: 44100, Channels: 1}, {Rate: 48000, Channels: 2}} {
		p, err := Open(want)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rate() != want.Rate || p.Channels() != want.Channels {
			t.Errorf("asked %d Hz %d ch, got %d Hz %d ch", want.Rate, want.Channels, p.Rate(), p.Channels())
		}
		r := testpeer.AnalyzeTone(readTone(t, p, 2), p.Rate(), 300*time.Millisecond)
		if r.Discontinuities != 0 || math.Abs(r.FreqHz-440) > 2 || p.Overruns() != 0 {
			t.Errorf("%d Hz %d ch: %+v, %d overruns; want a clean 440 Hz tone", p.Rate(), p.Channels(), r, p.Overruns())
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}

	p, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	readTone(t, p, 0.2)
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, p.BufferFrames()*p.Channels())
	start := time.Now()
	for {
		_, err = p.Read(buf, 500*time.Millisecond)
		if err != nil || time.Since(start) > 3*time.Second {
			break
		}
	}
	t.Logf("after kill: %v after %v", err, time.Since(start))
	if !errors.Is(err, ErrLost) && !errors.Is(err, ErrTimeout) {
		t.Errorf("read from a killed server: %v, want ErrLost or ErrTimeout", err)
	}
	start = time.Now()
	err = p.Close()
	t.Logf("close after kill: %v in %v", err, time.Since(start))
	if _, err := Open(Config{}); err == nil {
		t.Error("opened default with the server dead")
	}
}

// TestSilentStderr: nothing that ALSA or its plugins print reaches stderr,
// whether the sound server runs or not, including failed opens.
func TestSilentStderr(t *testing.T) {
	run := func(env []string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(append(os.Environ(), "ALSA_TEST_CHILD=1"), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("child: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		t.Logf("child: %s", strings.TrimSpace(stdout.String()))
		if stderr.Len() != 0 {
			t.Errorf("stderr not empty:\n%s", stderr.String())
		}
	}
	run(nil)
	m := testpeer.StartPulseMic(t, testpeer.PulseMicOptions{})
	run(m.Env())
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	run(m.Env())
}

// child lists devices and opens, reads and closes every one of them plus
// some that fail, printing what happened on stdout.
func child() int {
	devs, err := Devices()
	if err != nil {
		os.Stdout.WriteString("devices: " + err.Error() + "\n")
		return 1
	}
	names := []string{"default", "pulse", "jack", "no-such-pcm", "hw:7,0", "plughw:7,0"}
	for _, d := range devs {
		names = append(names, d.Name)
	}
	buf := make([]int16, 4096)
	for _, name := range names {
		p, err := Open(Config{Name: name})
		if err != nil {
			os.Stdout.WriteString(name + ": " + err.Error() + "; ")
			continue
		}
		_, err = p.Read(buf, 300*time.Millisecond)
		p.Close()
		os.Stdout.WriteString(name + ": read " + errString(err) + "; ")
	}
	return 0
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
