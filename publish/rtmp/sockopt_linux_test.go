package rtmp

import (
	"net"
	"syscall"
	"testing"
	"time"
)

func TestTuneSocketSetsKernelOptions(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := c.(*net.TCPConn)
	if err := tuneSocket(tc, 8*time.Second, 32<<10); err != nil {
		t.Fatal(err)
	}
	raw, _ := tc.SyscallConn()
	var userTimeout, lowat int
	_ = raw.Control(func(fd uintptr) {
		userTimeout, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout)
		lowat, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotsentLowat)
	})
	if userTimeout != 8000 || lowat != 32<<10 {
		t.Errorf("TCP_USER_TIMEOUT %d ms, TCP_NOTSENT_LOWAT %d; want 8000 and %d", userTimeout, lowat, 32<<10)
	}
}
