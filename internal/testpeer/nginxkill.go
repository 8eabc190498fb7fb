package testpeer

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Kill ends nginx at once with SIGKILL, its master and its workers, the
// way a crash or a power cut would: nginx closes nothing cleanly (the
// kernel resets its connections) and leaves its recordings unfinished. It
// returns once every nginx process is gone and nothing listens on its RTMP
// port any more. Restart brings the server back on the same ports.
func (n *Nginx) Kill(t testing.TB) {
	t.Helper()
	master := n.cmd.Process.Pid
	// The workers are found before the master dies: after that they
	// belong to init and can no longer be told apart.
	workers := childrenOf(master)
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill nginx: %v", err)
	}
	for _, pid := range workers {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("nginx (pid %d) still running 10 s after SIGKILL", master)
	}
	// Polling is the only way to see another process's end once it is no
	// longer our child.
	_, port := n.rtmpAddr(t)
	deadline := time.Now().Add(10 * time.Second)
	for anyAlive(workers) || isListening(port) {
		if time.Now().After(deadline) {
			t.Fatalf("nginx workers %v still alive or port %d still listening 10 s after SIGKILL", workers, port)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Restart starts nginx again after Kill, with the same configuration,
// directory and ports, and waits until every port accepts connections.
func (n *Nginx) Restart(t testing.TB) {
	t.Helper()
	select {
	case <-n.done:
	default:
		t.Fatal("Restart: nginx is still running (Kill it first)")
	}
	log, err := os.OpenFile(filepath.Join(n.Dir, "logs", "stdout.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(n.cmd.Args[0], n.cmd.Args[1:]...)
	cmd.Path = n.cmd.Path
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("restart nginx: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	// Stop, which cleanup calls, now ends this process.
	n.cmd, n.done = cmd, done
	host, rtmp := n.rtmpAddr(t)
	ports := []int{rtmp, portOf(t, n.StatURL), portOf(t, n.RTMPSURL)}
	for _, p := range ports {
		if err := waitListening(done, host, p, 10*time.Second); err != nil {
			t.Fatalf("nginx-rtmp restart: %v\n%s", err, n.ErrorLog())
		}
	}
}

// rtmpAddr returns the host and port of the RTMP listener.
func (n *Nginx) rtmpAddr(t testing.TB) (string, int) {
	t.Helper()
	u, err := url.Parse(n.RTMPURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), portOf(t, n.RTMPURL)
}

func portOf(t testing.TB, raw string) int {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return port
}

// childrenOf returns the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(child); ok && ppid == pid {
			out = append(out, child)
		}
	}
	return out
}

// anyAlive reports whether any of pids is still a running (not zombie)
// process.
func anyAlive(pids []int) bool {
	for _, pid := range pids {
		if _, state, ok := procStat(pid); ok && state != "Z" && state != "X" {
			return true
		}
	}
	return false
}

// procStat reads the parent and the state of pid from /proc/pid/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	// The command name, in parentheses, may itself hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(fields[1])
	return ppid, fields[0], err == nil
}
