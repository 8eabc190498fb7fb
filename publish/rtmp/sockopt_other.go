//go:build !linux

package rtmp

import (
	"net"
	"time"

	"studio/publish/rtmp/wire"
)

// tuneSocket is a no-op where the options are not available; the write
// timeout still notices a dead link once the send buffer is full.
func tuneSocket(*net.TCPConn, time.Duration, int) error { return nil }

// linkInfo is unavailable here.
func linkInfo(*net.TCPConn) (wire.Link, bool) { return wire.Link{}, false }
