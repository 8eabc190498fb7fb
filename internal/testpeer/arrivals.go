package testpeer

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ArrivalServer is ffmpeg listening as a one-shot RTMP server with
// -debug_ts, whose output is read as it comes, so that every packet gets
// the time it arrived: an outside measure of a publisher's delay. Arrival
// time minus timestamp is the packet's delay up to an unknown constant (the
// stream's start); above its minimum over the stream it is the delay the
// publisher and the link added.
//
// It probes nothing before handing packets on (-probesize 32,
// -analyzeduration 0, -fflags nobuffer), so that the first packets are
// timed as they arrive, not when probing ends.
type ArrivalServer struct {
	URL  string // publish here (key included)
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu   sync.Mutex
	got  []Arrival // guarded by mu
	tail []string  // guarded by mu: the last lines that are not packets
}

// Arrival is one packet as the server's demuxer handed it over.
type Arrival struct {
	At   time.Time // when ffmpeg printed it
	Type string    // "video" or "audio"
	DTS  time.Duration
}

// StartArrivalServer starts the server on 127.0.0.1 and waits until it
// listens.
func StartArrivalServer(t testing.TB) *ArrivalServer {
	t.Helper()
	return startArrivalServer(t, "127.0.0.1", FreePort(t), exec.Command)
}

// StartArrivalServer starts an ArrivalServer beside the link's server, in
// its namespace, on port (not nginx's 1935), reached through the shaped
// link.
func (l *ShapedLink) StartArrivalServer(t testing.TB, port int) *ArrivalServer {
	t.Helper()
	u, err := url.Parse(l.RTMPURL)
	if err != nil {
		t.Fatalf("server URL: %v", err)
	}
	return startArrivalServer(t, u.Hostname(), port, l.ServerSide)
}

// demuxed matches one packet of -debug_ts output as the demuxer hands it
// over.
var demuxed = regexp.MustCompile(`^demuxer -> ist_index:\d+ type:(\w+) .*pkt_dts_time:(-?[0-9.]+)`)

func startArrivalServer(t testing.TB, host string, port int, command func(string, ...string) *exec.Cmd) *ArrivalServer {
	t.Helper()
	bin := Require(t, "ffmpeg")[0]
	s := &ArrivalServer{URL: fmt.Sprintf("rtmp://%s:%d/live/key", host, port), done: make(chan struct{})}
	s.cmd = command(bin, "-hide_banner", "-nostdin", "-v", "info", "-debug_ts",
		"-fflags", "nobuffer", "-probesize", "32", "-analyzeduration", "0", "-fpsprobesize", "0",
		"-listen", "1", "-rw_timeout", "5000000", "-i", s.URL, "-map", "0", "-c", "copy", "-f", "null", "-")
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start ffmpeg: %v", err)
	}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.line(time.Now(), sc.Text())
		}
		s.err = s.cmd.Wait()
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !listensIn(s.cmd.Process.Pid, port) {
		if time.Now().After(deadline) {
			t.Fatalf("ffmpeg does not listen on port %d after 10 s:\n%s", port, s.lastLines())
		}
		select {
		case <-s.done:
			t.Fatalf("ffmpeg exited before listening: %v\n%s", s.err, s.lastLines())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return s
}

func (s *ArrivalServer) line(at time.Time, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := demuxed.FindStringSubmatch(text); m != nil {
		if sec, err := strconv.ParseFloat(m[2], 64); err == nil {
			s.got = append(s.got, Arrival{At: at, Type: m[1], DTS: time.Duration(sec * float64(time.Second))})
			return
		}
	}
	s.tail = append(s.tail, text)
	if len(s.tail) > 40 {
		s.tail = s.tail[1:]
	}
}

func (s *ArrivalServer) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Wait waits for ffmpeg to exit after the publisher closed and returns
// every packet it received, in arrival order.
func (s *ArrivalServer) Wait(timeout time.Duration) ([]Arrival, error) {
	select {
	case <-s.done:
	case <-time.After(timeout):
		return s.Arrivals(), fmt.Errorf("ffmpeg server still running after %v:\n%s", timeout, s.lastLines())
	}
	if s.err != nil {
		return s.Arrivals(), fmt.Errorf("ffmpeg server: %w\n%s", s.err, s.lastLines())
	}
	return s.Arrivals(), nil
}

// Arrivals returns the packets received so far, in arrival order.
func (s *ArrivalServer) Arrivals() []Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Arrival(nil), s.got...)
}

// listensIn reports whether a TCP socket listens on port in the network
// namespace of process pid.
func listensIn(pid, port int) bool {
	want := fmt.Sprintf(":%04X ", port)
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			// local_address is field 1, st is field 3; 0A is LISTEN.
			if len(fields) > 3 && strings.HasSuffix(fields[1]+" ", want) && fields[3] == "0A" {
				return true
			}
		}
	}
	return false
}
