//go:build !linux

package rtmp

import (
	"net"
	"time"

	"studio/publish"
)

// tuneSocket is a no-op where the options are not available; the write
// timeout still notices a dead link once the send buffer is full.
func tuneSocket(*net.TCPConn, time.Duration, int) error { return nil }

// linkInfo is unavailable here.
func linkInfo(*net.TCPConn) (publish.Link, bool) { return publish.Link{}, false }
