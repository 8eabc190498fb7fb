// Package testpeer starts real RTMP servers that nobody on this project wrote
// (nginx with its RTMP module, and ffmpeg's one-shot RTMP listener) on
// 127.0.0.1 for tests, and checks recordings with ffprobe and ffmpeg. It
// also drives the pulse-mic peer (a private PulseAudio daemon whose default
// source is a tone) and analyses a recorded tone for discontinuities.
//
// Every server is stopped by t.Cleanup. When a tool is missing, the test is
// skipped on a developer machine and fails under CI (CI is set), so that a
// CI run can never pass without exercising the real peers.
package testpeer

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of each named program, or skips (fails under CI)
// when one is missing.
func Require(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			missing(t, "%s not found on PATH (install the test packages listed in the README)", n)
		}
		paths[i] = p
	}
	return paths
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
