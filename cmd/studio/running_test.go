package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// line is one line studio printed, with the time it arrived.
type line struct {
	at   time.Time
	text string
}

// running is a studio process whose stderr lines are watched as they come.
type running struct {
	cmd     *exec.Cmd
	start   time.Time
	mu      sync.Mutex
	lines   []line
	notify  chan struct{} // signalled on every new line
	done    chan struct{}
	readErr sync.WaitGroup
}

// startStudio starts studio (this test binary) with args. The process is
// killed at cleanup if it is still running.
func startStudio(t *testing.T, env []string, stdout io.Writer, args ...string) *running {
	t.Helper()
	r := &running{notify: make(chan struct{}, 1), done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], args...)
	r.cmd.Env = append(append(os.Environ(), "STUDIO_AS_MAIN=1"), env...)
	r.cmd.Stdout = stdout
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.readErr.Add(1)
	go func() {
		defer r.readErr.Done()
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.mu.Lock()
			r.lines = append(r.lines, line{time.Now(), sc.Text()})
			r.mu.Unlock()
			select {
			case r.notify <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		r.readErr.Wait()
		_ = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		t.Logf("studio stderr:\n%s", r.stderr())
	})
	return r
}

// waitLine waits for a line after since that contains substr, and returns
// it; it fails the test after timeout or when studio exits without it.
func (r *running) waitLine(t *testing.T, since time.Time, substr string, timeout time.Duration) line {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if l, ok := r.find(since, substr); ok {
			return l
		}
		select {
		case <-r.notify:
		case <-r.done: // every line has been read by now
			if l, ok := r.find(since, substr); ok {
				return l
			}
			t.Fatalf("studio exited before printing %q", substr)
		case <-deadline:
			t.Fatalf("no %q from studio within %v", substr, timeout)
		}
	}
}

func (r *running) find(since time.Time, substr string) (line, bool) {
	for _, l := range r.snapshot() {
		if !l.at.Before(since) && strings.Contains(l.text, substr) {
			return l, true
		}
	}
	return line{}, false
}

func (r *running) snapshot() []line {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]line(nil), r.lines...)
}

func (r *running) stderr() string {
	var b strings.Builder
	for _, l := range r.snapshot() {
		b.WriteString(l.at.Sub(r.start).Round(time.Millisecond).String() + " " + l.text + "\n")
	}
	return b.String()
}

// wait waits for studio to exit and returns its exit code and when it
// exited.
func (r *running) wait(t *testing.T, timeout time.Duration) (int, time.Time) {
	t.Helper()
	select {
	case <-r.done:
		return r.cmd.ProcessState.ExitCode(), time.Now()
	case <-time.After(timeout):
		t.Fatalf("studio still running after %v", timeout)
		return 0, time.Time{}
	}
}
