package rtmp

import (
	"fmt"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"studio/publish/rtmp/wire"
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

// linkInfo reads the kernel's view of the connection: smoothed and
// minimum round-trip time, the rate at which the peer acknowledges data,
// and the bytes on their way to it.
func linkInfo(tc *net.TCPConn) (wire.Link, bool) {
	raw, err := tc.SyscallConn()
	if err != nil {
		return wire.Link{}, false
	}
	var info *unix.TCPInfo
	err = raw.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if err != nil || info == nil {
		return wire.Link{}, false
	}
	return wire.Link{
		RTT:          time.Duration(info.Rtt) * time.Microsecond,
		MinRTT:       time.Duration(info.Min_rtt) * time.Microsecond,
		DeliveryKbps: float64(info.Delivery_rate) * 8 / 1000,
		AppLimited:   appLimited(info),
		Unsent:       int(info.Notsent_bytes),
		Unacked:      int(info.Unacked) * int(info.Snd_mss),
		BytesAcked:   max(info.Bytes_acked, 1) - 1, // the kernel counts the SYN
	}, true
}

// appLimited reads tcpi_delivery_rate_app_limited, bit 0 of the byte at
// offset 7 of struct tcp_info (after tcpi_options and the window scales).
// x/sys/unix leaves that byte as padding, but the kernel fills it.
func appLimited(info *unix.TCPInfo) bool {
	return *(*uint8)(unsafe.Add(unsafe.Pointer(info), 7))&1 != 0
}
