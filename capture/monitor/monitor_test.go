package monitor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs the probe instead of the tests when the test binary is
// re-run by probe: oto can open the output once per process, so each
// configuration gets a process of its own, and the oto goroutines (which
// never end) stay out of the leak check.
func TestMain(m *testing.M) {
	if os.Getenv("MONITOR_PROBE") == "1" {
		os.Exit(runProbe())
	}
	goleak.VerifyTestMain(m)
}

// runProbe prints what Available says and, when it says yes, plays 100 ms.
func runProbe() int {
	err := Available()
	if err != nil {
		fmt.Printf("unavailable: no-output=%v: %v\n", errors.Is(err, ErrNoOutput), err)
		if _, perr := New(48000, 2); !errors.Is(perr, ErrNoOutput) {
			fmt.Printf("New did not fail with ErrNoOutput: %v\n", perr)
			return 1
		}
		return 0
	}
	p, err := New(48000, 2)
	if err != nil {
		fmt.Printf("New: %v\n", err)
		return 1
	}
	tone := make([]int16, 2*480) // 10 ms
	for i := range tone {
		tone[i] = int16(i * 64)
	}
	for range 10 {
		p.Write(tone)
	}
	if err := p.Close(); err != nil {
		fmt.Printf("Close: %v\n", err)
		return 1
	}
	if err := Available(); err != nil {
		fmt.Printf("after playing: %v\n", err)
		return 1
	}
	fmt.Println("available")
	return 0
}

// probe re-runs the test binary as the probe with HOME set to a fresh
// directory holding asoundrc (none when empty), so the user's own ALSA
// configuration never takes part.
func probe(t *testing.T, asoundrc string) string {
	t.Helper()
	home := t.TempDir()
	if asoundrc != "" {
		if err := os.WriteFile(filepath.Join(home, ".asoundrc"), []byte(asoundrc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "ALSA_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "MONITOR_PROBE=1", "HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("probe: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("probe hung\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	t.Logf("probe: %s(stderr: %q)", stdout.String(), stderr.String())
	return stdout.String()
}

// hasSoundCard reports whether the kernel knows a sound card.
func hasSoundCard() bool {
	b, err := os.ReadFile("/proc/asound/cards")
	return err == nil && !strings.Contains(string(b), "no soundcards") && len(strings.TrimSpace(string(b))) > 0
}

func TestNoSoundCardMeansNoOutput(t *testing.T) {
	if hasSoundCard() {
		t.Skip("this machine has a sound card")
	}
	out := probe(t, "")
	if !strings.HasPrefix(out, "unavailable: no-output=true") || !strings.Contains(out, "no audio output") {
		t.Errorf("with no sound card, Available said %q; want an error wrapping ErrNoOutput", out)
	}
}

func TestNullDeviceIsAnOutput(t *testing.T) {
	out := probe(t, "pcm.!default { type null }\n")
	if strings.TrimSpace(out) != "available" {
		t.Errorf("with a null default device, the probe said %q; want it to play", out)
	}
}

func TestNewRejectsFormats(t *testing.T) {
	// Format checks come before the output is opened, so this process
	// never creates an oto context.
	if _, err := New(44100, 2); err == nil || errors.Is(err, ErrNoOutput) {
		t.Errorf("New(44100, 2): %v", err)
	}
	if _, err := New(48000, 6); err == nil {
		t.Error("New accepted 6 channels")
	}
}

func readAll(t *testing.T, q *queue, n int) []int16 {
	t.Helper()
	b := make([]byte, 2*n)
	got, err := q.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, got/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

func TestQueue(t *testing.T) {
	q := newQueue(8)
	if d := q.write([]int16{1, -2, 3, -4}, 2); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	if got := readAll(t, q, 2); len(got) != 2 || got[0] != 1 || got[1] != -2 {
		t.Fatalf("read %v", got)
	}
	// Mono is duplicated; what does not fit is dropped.
	if d := q.write([]int16{5, 6, 7, 8}, 1); d != 1 {
		t.Fatalf("dropped %d of 4 mono samples, want 1 (capacity 8, 2 queued)", d)
	}
	want := []int16{3, -4, 5, 5, 6, 6, 7, 7}
	if got := readAll(t, q, 16); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	// Empty: 10 ms of silence, never zero bytes.
	got := readAll(t, q, 4096)
	if len(got) != silenceChunk {
		t.Fatalf("empty queue read %d samples, want %d of silence", len(got), silenceChunk)
	}
	for _, v := range got {
		if v != 0 {
			t.Fatal("silence is not silent")
		}
	}
	q.close()
	if _, err := q.Read(make([]byte, 16)); err != io.EOF {
		t.Errorf("read after close: %v, want EOF", err)
	}
	if d := q.write([]int16{1, 2}, 2); d != 2 {
		t.Errorf("write after close kept samples")
	}
}
