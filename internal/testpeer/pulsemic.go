package testpeer

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PulseMicOptions configures the virtual microphone; zero fields take the
// peer's defaults (48000 Hz, 2 channels, 440 Hz, skew 1, no marks).
type PulseMicOptions struct {
	Rate     int
	Channels int
	Tone     float64 // Hz
	// Skew is how fast the microphone's sample clock runs against real
	// time: 1.005 is a microphone 0.5% fast.
	Skew float64
	// Mark, when set, puts 50 ms of silence every Mark of real time.
	Mark time.Duration
}

// PulseMic is shared/peers/pulse-mic: a private PulseAudio daemon whose
// default source plays a sine tone, reached through ALSA's "default"
// device once its environment (Env, Setenv) is in place. t.Cleanup stops
// it, whatever the test's outcome.
type PulseMic struct {
	Dir    string
	script string
	env    []string
}

// PulseMicScript returns the path of shared/peers/pulse-mic: $STUDIO_PEERS/
// pulse-mic when STUDIO_PEERS is set, otherwise ../shared/peers/pulse-mic
// beside the repository. It skips the test (fails under CI) when the
// script or the programs it needs are missing.
func PulseMicScript(t testing.TB) string {
	t.Helper()
	Require(t, "pulseaudio", "pactl", "python3")
	var path string
	if dir := os.Getenv("STUDIO_PEERS"); dir != "" {
		path = filepath.Join(dir, "pulse-mic")
	} else {
		_, file, _, _ := runtime.Caller(0) // …/internal/testpeer/pulsemic.go
		path = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "peers", "pulse-mic")
	}
	if _, err := os.Stat(path); err != nil {
		missing(t, "pulse-mic peer not found (%v); set STUDIO_PEERS to shared/peers", err)
	}
	if m, _ := filepath.Glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so"); len(m) == 0 {
		missing(t, "ALSA's pulse plugin is missing (install libasound2-plugins)")
	}
	return path
}

// StartPulseMic starts the virtual microphone and waits until its source
// answers.
func StartPulseMic(t testing.TB, o PulseMicOptions) *PulseMic {
	t.Helper()
	script := PulseMicScript(t)
	// A short directory of its own: the daemon's unix socket lives under
	// it, and socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "pulsemic")
	if err != nil {
		t.Fatal(err)
	}
	m := &PulseMic{Dir: dir, script: script}
	t.Cleanup(func() {
		if out, err := m.run("stop"); err != nil {
			t.Errorf("pulse-mic stop: %v\n%s", err, out)
		}
		_ = os.RemoveAll(dir)
	})
	args := []string{"start"}
	add := func(name, v string) { args = append(args, "--"+name, v) }
	if o.Rate > 0 {
		add("rate", strconv.Itoa(o.Rate))
	}
	if o.Channels > 0 {
		add("channels", strconv.Itoa(o.Channels))
	}
	if o.Tone > 0 {
		add("tone", strconv.FormatFloat(o.Tone, 'f', -1, 64))
	}
	if o.Skew > 0 {
		add("skew", strconv.FormatFloat(o.Skew, 'f', -1, 64))
	}
	if o.Mark > 0 {
		add("mark", strconv.FormatFloat(o.Mark.Seconds(), 'f', -1, 64))
	}
	if out, err := m.run(args...); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pulse.log"))
		t.Fatalf("pulse-mic start: %v\n%s\n%s", err, out, log)
	}
	m.env, err = readEnvFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatalf("pulse-mic: %v", err)
	}
	return m
}

// run runs the script's command on the microphone's directory.
func (m *PulseMic) run(args ...string) ([]byte, error) {
	full := append([]string{args[0], m.Dir}, args[1:]...)
	return exec.Command(m.script, full...).CombinedOutput()
}

// readEnvFile reads the "export K='V'" lines the peer writes.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		env = append(env, k+"="+strings.Trim(v, "'"))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(env) == 0 {
		return nil, fmt.Errorf("%s: no exports", path)
	}
	return env, nil
}

// Env returns the variables ("K=V") that point PulseAudio clients, and so
// ALSA's "default" device, at this microphone, for a subprocess's
// environment.
func (m *PulseMic) Env() []string { return append([]string(nil), m.env...) }

// Setenv sets Env in this process for the rest of the test (t.Setenv: the
// test must not be parallel).
func (m *PulseMic) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range m.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Remove unloads the source: the microphone is gone while the server runs.
func (m *PulseMic) Remove() error { return m.cmd("remove") }

// Restore brings the source back, restarting the server if it was killed.
func (m *PulseMic) Restore() error { return m.cmd("restore") }

// Kill kills the server with SIGKILL: it dies under its clients.
func (m *PulseMic) Kill() error { return m.cmd("kill") }

func (m *PulseMic) cmd(name string) error {
	if out, err := m.run(name); err != nil {
		return fmt.Errorf("pulse-mic %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
