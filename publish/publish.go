// Package publish runs one Go Live: it pulls packets from the encoders,
// puts them in one DTS order, and hands them to its outputs: up to four
// destinations (each a Publisher such as an RTMP connection, with its own
// goroutine, queue, reconnects, adaptive bitrate and stats) and a local
// recording (on its own goroutine too). One book keeps every state, and
// Stats is one snapshot of all of it. It also re-exports the status events
// and errors that publishers report, so that callers never need to know
// the wire protocol.
package publish

import (
	"context"

	"studio/encode"
	"studio/publish/rtmp/wire"
)

// Sentinel errors that callers branch on. Errors returned by publishers wrap
// one of these where it applies. They are the wire layer's values (package
// wire), so errors.Is matches errors from package rtmp too.
var (
	ErrBadURL   = wire.ErrBadURL   // the destination URL cannot be used
	ErrConnect  = wire.ErrConnect  // no connection could be made to the server
	ErrTLS      = wire.ErrTLS      // the server's certificate was not accepted
	ErrTimeout  = wire.ErrTimeout  // the server did not answer in time
	ErrRejected = wire.ErrRejected // the server refused (a *StatusError says how)
	ErrProtocol = wire.ErrProtocol // the server sent something that is not valid RTMP
	ErrClosed   = wire.ErrClosed   // the publisher was already closed

	// ErrCodecRefused: the server declared the video codecs it takes
	// (Enhanced RTMP) without the one being published; H.264 always works.
	ErrCodecRefused = wire.ErrCodecRefused
)

// Level is the level of a NetConnection or NetStream status event.
type Level = wire.Level

// The levels a server uses.
const (
	LevelStatus  = wire.LevelStatus
	LevelWarning = wire.LevelWarning
	LevelError   = wire.LevelError
)

// CodeReconnectRequest is the code of the status event with which a
// server asks to be connected to again, at the same URL or another, while
// the old connection still runs (see Destination.Redial).
const CodeReconnectRequest = wire.CodeReconnectRequest

// Status is a status event from the server (an onStatus or _error), for
// example NetStream.Publish.Start or NetStream.Publish.BadName.
type Status = wire.Status

// StatusError is a failure that the server reported with a status event.
// It wraps ErrRejected.
type StatusError = wire.StatusError

// Publisher receives one stream: the header once, then packets in DTS order
// per kind. Implementations: the RTMP NetStream and the FLV file recorder.
//
// WriteHeader must be called before WritePacket. WritePacket does not retain
// p after it returns. Close flushes and ends the stream; it is idempotent.
type Publisher interface {
	WriteHeader(info encode.StreamInfo) error
	WritePacket(p *encode.Packet) error
	Close(ctx context.Context) error
}

// Link is what a connection knows about the path to the server.
type Link = wire.Link

// LinkReporter is implemented by publishers that can see their transport.
type LinkReporter = wire.LinkReporter
