package rtmp

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"studio/encode"
	"studio/publish/rtmp/wire"
)

// Defaults for Options.
const (
	DefaultFlashVer     = "FMLE/3.0 (compatible; studio)"
	DefaultTimeout      = 10 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultChunkSize    = 4096
	// DefaultDeadLinkTimeout leaves time for TCP's own retransmissions on a
	// lossy link while still noticing a dead one within 10 s.
	DefaultDeadLinkTimeout = 8 * time.Second
	DefaultUnsentLimit     = 16 << 10
	DefaultAckWindow       = 2500000
	DefaultAckTimeout      = 10 * time.Second
)

// Options configure Publish. The zero value is ready to use.
type Options struct {
	// FlashVer is sent in connect. Default DefaultFlashVer.
	FlashVer string
	// OnStatus receives every status event the server sends (onStatus and
	// _error), during setup and while streaming, with the stream key
	// redacted from descriptions. It runs on the connection's reader
	// goroutine: it must return quickly. It may call Stream.Close.
	OnStatus func(wire.Status)
	// VideoCodec is the codec that will be published. connect declares it
	// (Enhanced RTMP fourCcList, with avc1), and if the server's answer
	// declares the codecs it takes without this one, Publish fails with
	// an error wrapping wire.ErrCodecRefused before publishing. WriteHeader
	// checks the codec of its StreamInfo the same way. Default H.264.
	VideoCodec encode.VideoCodec
	// OnReconnectRequest, if set, is called when the server asks the client
	// to reconnect (Enhanced RTMP NetConnection.Connect.ReconnectRequest),
	// with the tcUrl to reconnect to ("" for the same one); connect then
	// declares the capability (capsEx). The Stream goes on as before: the
	// caller decides when to switch. It runs on the reader goroutine, as
	// OnStatus does, and must return quickly. The event also reaches
	// OnStatus.
	OnReconnectRequest func(tcURL string)
	// Logger receives diagnostics (nil: none). Nothing logged contains the
	// stream key.
	Logger *slog.Logger
	// Timeout bounds each setup step separately: TCP connect, TLS
	// handshake, RTMP handshake, connect, createStream and publish.
	// Default DefaultTimeout.
	Timeout time.Duration
	// WriteTimeout is how long a write may make no progress before the
	// connection is declared dead with wire.ErrTimeout. Default
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
	// TLSConfig overrides the TLS configuration for rtmps:// (for tests:
	// a private RootCAs). ServerName defaults to the URL's host. Nil means
	// the system roots, which honour SSL_CERT_FILE and SSL_CERT_DIR.
	TLSConfig *tls.Config
	// Dial overrides how the TCP connection is made (nil: net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DeadLinkTimeout is how long data we sent may stay unacknowledged by
	// the peer's TCP before the connection counts as dead (Linux
	// TCP_USER_TIMEOUT). It catches a link that silently drops everything,
	// well before the send buffer fills. Default DefaultDeadLinkTimeout.
	DeadLinkTimeout time.Duration
	// UnsentLimit caps the bytes waiting unsent in the kernel's socket
	// buffer (Linux TCP_NOTSENT_LOWAT), so that on a slow link media
	// waits in the session's queue, where it can be measured and dropped,
	// rather than in the kernel. Default DefaultUnsentLimit.
	UnsentLimit int
	// ChunkSize is the outgoing chunk size announced right after the
	// handshake. Default DefaultChunkSize (4096, as OBS uses).
	ChunkSize uint32
	// AckWindow is the Window Acknowledgement Size announced to the server
	// once connect succeeds: the server should acknowledge every AckWindow
	// bytes it receives. Default DefaultAckWindow (2500000, as FFmpeg).
	AckWindow uint32
	// AckTimeout bounds how long the server may leave us without an
	// acknowledgement while we have sent more than twice the window since
	// its last one; then the connection is declared dead with
	// wire.ErrTimeout. The check is armed only once the server has
	// acknowledged something, so servers that never acknowledge are never
	// declared dead by it. Default DefaultAckTimeout; negative disables it.
	AckTimeout time.Duration
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
	if o.DeadLinkTimeout <= 0 {
		o.DeadLinkTimeout = DefaultDeadLinkTimeout
	}
	if o.UnsentLimit <= 0 {
		o.UnsentLimit = DefaultUnsentLimit
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.AckWindow == 0 {
		o.AckWindow = DefaultAckWindow
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = DefaultAckTimeout
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
