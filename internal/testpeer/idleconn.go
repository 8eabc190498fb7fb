package testpeer

import (
	"net"
	"time"
)

// idleConn is a connection that fails a read or write only after
// idleTimeout without progress, however long the stream runs.
type idleConn struct{ net.Conn }

const idleTimeout = 15 * time.Second

func (c idleConn) Read(p []byte) (int, error) {
	_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Read(p)
}

func (c idleConn) Write(p []byte) (int, error) {
	_ = c.SetWriteDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Write(p)
}
