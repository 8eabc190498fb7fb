package testpeer

import (
	"net"
	"strconv"
	"testing"
	"time"
)

func TestNginxKillAndRestart(t *testing.T) {
	n := StartNginx(t)
	host, port := n.rtmpAddr(t)
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	master := n.cmd.Process.Pid
	// The master listens before it forks its worker: wait for the worker.
	workers := childrenOf(master)
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for deadline := time.After(5 * time.Second); len(workers) == 0; workers = childrenOf(master) {
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatalf("nginx master %d has no workers after 5 s", master)
		}
	}
	n.Kill(t)
	if anyAlive(append(workers, master)) {
		t.Fatalf("nginx processes %d %v alive after Kill", master, workers)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Kill", addr)
	}
	n.Restart(t)
	if n.cmd.Process.Pid == master {
		t.Fatal("Restart kept the old process")
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("%s after Restart: %v", addr, err)
	}
	c.Close()
}
