package rtmp

import (
	"net"
	"runtime"
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

func TestLinkInfoReadsTheKernel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	defer peer.Close()
	// An idle connection that sent a little: delivery is app-limited.
	if _, err := c.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Read(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	info, ok := linkInfo(c.(*net.TCPConn))
	if !ok {
		t.Fatal("no TCP_INFO")
	}
	if info.RTT <= 0 || info.MinRTT <= 0 || info.MinRTT > info.RTT {
		t.Errorf("RTT %v, min %v", info.RTT, info.MinRTT)
	}
	if !info.AppLimited {
		t.Error("a connection that sends 1000 bytes and idles is not reported app-limited")
	}
	// The peer has read all 1000 bytes; its acknowledgement may trail the
	// read by a moment.
	deadline := time.Now().Add(5 * time.Second)
	for info.BytesAcked < 1000 && time.Now().Before(deadline) {
		runtime.Gosched()
		info, _ = linkInfo(c.(*net.TCPConn))
	}
	if info.BytesAcked != 1000 || info.Unsent != 0 || info.Unacked != 0 {
		t.Errorf("after the peer read 1000 bytes: acked %d, unsent %d, unacked %d", info.BytesAcked, info.Unsent, info.Unacked)
	}

	// A peer that stops reading: what it cannot take waits in our socket.
	c.(*net.TCPConn).SetWriteBuffer(64 << 10)
	_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	var wrote int
	for {
		n, err := c.Write(make([]byte, 64<<10))
		wrote += n
		if err != nil {
			break
		}
	}
	info, _ = linkInfo(c.(*net.TCPConn))
	if info.Unsent <= 0 || uint64(info.Unsent) > uint64(wrote) {
		t.Errorf("wrote %d bytes to a peer that does not read: %d reported unsent", wrote, info.Unsent)
	}
}
