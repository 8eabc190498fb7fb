package testpeer

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// FFmpegServer is ffmpeg listening as a one-shot RTMP server: it accepts one
// publisher, copies what it receives to Out, and exits when the publisher
// closes.
type FFmpegServer struct {
	URL    string // publish here (key included)
	Out    string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// StartFFmpegServer starts the listener and waits until it accepts
// connections.
func StartFFmpegServer(t testing.TB) *FFmpegServer {
	t.Helper()
	bin := Require(t, "ffmpeg")[0]
	port := FreePort(t)
	s := &FFmpegServer{
		URL:  fmt.Sprintf("rtmp://127.0.0.1:%d/live/key", port),
		Out:  filepath.Join(t.TempDir(), "ffmpeg-server.flv"),
		done: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "-nostdin", "-v", "error", "-listen", "1", "-rw_timeout", "5000000",
		"-i", s.URL, "-c", "copy", "-f", "flv", s.Out)
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start ffmpeg: %v", err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	if err := waitListeningFFmpeg(s, port); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitListeningFFmpeg cannot probe with a TCP connect: ffmpeg -listen 1
// accepts exactly one connection, so a probe would consume it. It watches
// the socket table instead.
func waitListeningFFmpeg(s *FFmpegServer, port int) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if isListening(port) {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("ffmpeg exited before listening: %v\n%s", s.err, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("ffmpeg does not listen on port %d after 10s", port)
}

// Wait waits for ffmpeg to exit after the publisher closed and returns its
// error and what it printed.
func (s *FFmpegServer) Wait(timeout time.Duration) (string, error) {
	select {
	case <-s.done:
		return s.stderr.String(), s.err
	case <-time.After(timeout):
		return s.stderr.String(), fmt.Errorf("ffmpeg server still running after %v", timeout)
	}
}
