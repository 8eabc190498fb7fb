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
	workers := childrenOf(master)
	if len(workers) == 0 {
		t.Fatalf("nginx master %d has no workers", master)
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
