package testpeer

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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
	return startFFmpegServer(t, "-v", "error")
}

// StartFFmpegServerDebugTS is StartFFmpegServer with ffmpeg's -debug_ts:
// what Wait returns then tells every packet as it arrives (see
// ArrivalDTS).
func StartFFmpegServerDebugTS(t testing.TB) *FFmpegServer {
	t.Helper()
	return startFFmpegServer(t, "-v", "info", "-debug_ts")
}

// arrival matches one packet of -debug_ts output as the demuxer hands it
// over, in arrival order.
var arrival = regexp.MustCompile(`demuxer\+ffmpeg -> ist_index:\d+ type:(\w+) pkt_pts:\S+ pkt_pts_time:\S+ pkt_dts:(-?\d+)`)

// Arrived is one packet as an ffmpeg server received it.
type Arrived struct {
	Type string // "video" or "audio"
	DTS  int64  // milliseconds
}

// ArrivalDTS lists, from the output of a server started with
// StartFFmpegServerDebugTS, the packets in the order they arrived.
func ArrivalDTS(stderr string) []Arrived {
	var out []Arrived
	for _, m := range arrival.FindAllStringSubmatch(stderr, -1) {
		dts, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Arrived{Type: m[1], DTS: dts})
	}
	return out
}

func startFFmpegServer(t testing.TB, logArgs ...string) *FFmpegServer {
	t.Helper()
	bin := Require(t, "ffmpeg")[0]
	port := FreePort(t)
	s := &FFmpegServer{
		URL:  fmt.Sprintf("rtmp://127.0.0.1:%d/live/key", port),
		Out:  filepath.Join(t.TempDir(), "ffmpeg-server.flv"),
		done: make(chan struct{}),
	}
	args := append(append([]string{"-nostdin"}, logArgs...), "-listen", "1", "-rw_timeout", "5000000",
		"-i", s.URL, "-c", "copy", "-f", "flv", s.Out)
	s.cmd = exec.Command(bin, args...)
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
