// Package wire is the vocabulary that the RTMP wire packages (rtmp, chunk,
// handshake) report in: the sentinel errors that their errors wrap, the
// server's status events, and what a connection knows about its link.
//
// It is a leaf: it imports only the standard library, so that the wire
// packages can use it without depending on package publish above them.
// Package publish re-exports every name here (type aliases and the same
// error values), so publish.ErrTimeout and wire.ErrTimeout are one value and
// errors.Is matches either.
package wire

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors that callers branch on. Errors returned by the wire
// packages wrap one of these where it applies.
var (
	// ErrBadURL means the destination URL cannot be used.
	ErrBadURL = errors.New("invalid stream URL")
	// ErrConnect means no connection could be made to the server.
	ErrConnect = errors.New("cannot connect to server")
	// ErrTLS means the server's certificate was not accepted.
	ErrTLS = errors.New("TLS certificate not accepted")
	// ErrTimeout means the server did not answer in time.
	ErrTimeout = errors.New("server did not answer in time")
	// ErrRejected means the server refused the connection or the publish
	// (a *StatusError in the chain carries its code and description).
	ErrRejected = errors.New("server refused the stream")
	// ErrProtocol means the server sent something that is not valid RTMP.
	ErrProtocol = errors.New("protocol error")
	// ErrClosed means the publisher was already closed.
	ErrClosed = errors.New("publisher closed")
	// ErrCodecRefused means the server declared (Enhanced RTMP fourCcList
	// or videoFourCcInfoMap) the video codecs it takes, and the one being
	// published is not among them. The error that wraps it names the
	// codec; publishing in H.264 works with every server.
	ErrCodecRefused = errors.New("the server does not take this video codec; use H.264")
	// ErrNotAcknowledged means the server stopped acknowledging what was
	// sent while the connection stayed up. The error that wraps it wraps
	// ErrTimeout too.
	ErrNotAcknowledged = errors.New("the server stopped acknowledging")
)

// Level is the level of a NetConnection or NetStream status event.
type Level string

// The levels a server uses.
const (
	LevelStatus  Level = "status"
	LevelWarning Level = "warning"
	LevelError   Level = "error"
)

// CodeReconnectRequest is the code of the status event with which a
// server asks its client to connect again, to the same URL or to the
// tcUrl it names, while the old connection still runs (Enhanced RTMP
// v2, NetConnection.Connect.ReconnectRequest).
const CodeReconnectRequest = "NetConnection.Connect.ReconnectRequest"

// Status is a status event from the server (an onStatus or _error), for
// example NetStream.Publish.Start or NetStream.Publish.BadName.
type Status struct {
	Code        string
	Level       Level
	Description string
}

func (s Status) String() string {
	if s.Description == "" {
		return fmt.Sprintf("%s (%s)", s.Code, s.Level)
	}
	return fmt.Sprintf("%s (%s): %s", s.Code, s.Level, s.Description)
}

// StatusError is a failure that the server reported with a status event.
// It wraps ErrRejected.
type StatusError struct {
	Op     string // what we asked for: "connect", "publish", …
	Status Status
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s refused by server: %s", e.Op, e.Status)
}

// Unwrap returns ErrRejected.
func (e *StatusError) Unwrap() error { return ErrRejected }

// Link is what a connection knows about the path to the server.
type Link struct {
	RTT    time.Duration // smoothed round-trip time
	MinRTT time.Duration // the lowest round-trip time seen
	// DeliveryKbps is the rate at which the server acknowledged data
	// lately: the throughput the link really delivers when it is busy.
	DeliveryKbps float64
	// AppLimited means DeliveryKbps was measured while less was sent than
	// the link could carry, so that it understates the link.
	AppLimited bool
	// Unsent is what the socket holds that was not sent yet, and Unacked
	// what was sent but not acknowledged, in bytes: data on its way to the
	// server.
	Unsent, Unacked int
	// BytesAcked counts every byte the server has acknowledged on this
	// connection.
	BytesAcked uint64
}

// Queued is the delay that queues along the path add now.
func (l Link) Queued() time.Duration { return max(0, l.RTT-l.MinRTT) }

// LinkReporter is implemented by publishers that can see their transport.
type LinkReporter interface {
	Link() (Link, bool)
}
