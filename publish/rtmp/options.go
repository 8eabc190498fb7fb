package rtmp

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"studio/publish"
)

// Defaults for Options.
const (
	DefaultFlashVer     = "FMLE/3.0 (compatible; studio)"
	DefaultTimeout      = 10 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultChunkSize    = 4096
)

// Options configure Publish. The zero value is ready to use.
type Options struct {
	// FlashVer is sent in connect. Default DefaultFlashVer.
	FlashVer string
	// OnStatus receives every status event the server sends (onStatus and
	// _error), during setup and while streaming, with the stream key
	// redacted from descriptions. It runs on the connection's reader
	// goroutine: it must return quickly. It may call Stream.Close.
	OnStatus func(publish.Status)
	// Logger receives diagnostics (nil: none). Nothing logged contains the
	// stream key.
	Logger *slog.Logger
	// Timeout bounds each setup step separately: TCP connect, TLS
	// handshake, RTMP handshake, connect, createStream and publish.
	// Default DefaultTimeout.
	Timeout time.Duration
	// WriteTimeout is how long a write may make no progress before the
	// connection is declared dead with publish.ErrTimeout. Default
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
	// TLSConfig overrides the TLS configuration for rtmps:// (for tests:
	// a private RootCAs). ServerName defaults to the URL's host. Nil means
	// the system roots, which honour SSL_CERT_FILE and SSL_CERT_DIR.
	TLSConfig *tls.Config
	// Dial overrides how the TCP connection is made (nil: net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ChunkSize is the outgoing chunk size announced right after the
	// handshake. Default DefaultChunkSize (4096, as OBS uses).
	ChunkSize uint32
}

func (o Options) withDefaults() Options {
	if o.FlashVer == "" {
		o.FlashVer = DefaultFlashVer
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Dial == nil {
		d := &net.Dialer{KeepAlive: 15 * time.Second}
		o.Dial = d.DialContext
	}
	return o
}
