package rtmp

import (
	"fmt"
	"net"
	"syscall"
	"time"
)

// Linux socket options not named in package syscall.
const (
	tcpUserTimeout  = 0x12 // TCP_USER_TIMEOUT
	tcpNotsentLowat = 0x19 // TCP_NOTSENT_LOWAT
)

// tuneSocket bounds how long sent data may go unacknowledged before the
// kernel declares the connection dead, and how much unsent data the kernel
// buffers.
func tuneSocket(tc *net.TCPConn, deadLink time.Duration, unsent int) error {
	raw, err := tc.SyscallConn()
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	var opErr error
	err = raw.Control(func(fd uintptr) {
		if e := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(deadLink.Milliseconds())); e != nil {
			opErr = fmt.Errorf("TCP_USER_TIMEOUT: %w", e)
			return
		}
		if e := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotsentLowat, unsent); e != nil {
			opErr = fmt.Errorf("TCP_NOTSENT_LOWAT: %w", e)
		}
	})
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	return opErr
}
