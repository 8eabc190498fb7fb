package rtmp

// Error mapping: how a failure of a socket, TLS or a setup step becomes an
// error that wraps one of the wire sentinels and says what to check.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"studio/publish/rtmp/wire"
)

// stepError describes why a setup step failed.
func (s *Stream) stepError(step string, err error) error {
	var se *wire.StatusError
	switch {
	case err == nil:
		return fmt.Errorf("%s: connection closed", step)
	case errors.As(err, &se):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%w: %s: the server did not answer within %s", wire.ErrTimeout, step, s.opts.Timeout)
	case closedByPeer(err) && step == "RTMP handshake":
		hint := "is it an RTMP server?"
		if s.url.Scheme == "rtmp" {
			hint = "if the port expects RTMPS, use rtmps://"
		}
		return fmt.Errorf("%w: RTMP handshake: the server closed the connection (%s): %w", wire.ErrProtocol, hint, err)
	case closedByPeer(err) && step == "publish":
		// nginx-rtmp drops the connection when its on_publish hook refuses.
		return fmt.Errorf("%w: publish: the server closed the connection instead of starting the stream; is the stream key right, and not already in use? (%w)",
			wire.ErrRejected, io.ErrUnexpectedEOF)
	case closedByPeer(err):
		return fmt.Errorf("%w: %s: the server closed the connection (%w)", wire.ErrProtocol, step, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// closedByPeer reports whether err means that the server closed or reset
// the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// tlsError classifies a failed TLS handshake.
func (s *Stream) tlsError(err error) error {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &he):
		names := "no names"
		if c := he.Certificate; c != nil {
			var l []string
			l = append(l, c.DNSNames...)
			for _, ip := range c.IPAddresses {
				l = append(l, ip.String())
			}
			if len(l) == 0 && c.Subject.CommonName != "" {
				l = append(l, c.Subject.CommonName)
			}
			if len(l) > 0 {
				names = strings.Join(l, ", ")
			}
		}
		return fmt.Errorf("%w: the certificate of %s is for another name (it lists %s): %w (check the host name in the URL)",
			wire.ErrTLS, s.url.Host, names, err)
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &cie):
		return fmt.Errorf("%w: the certificate of %s is not trusted: %w (if the server uses a private or self-signed certificate, set SSL_CERT_FILE to a file containing it)",
			wire.ErrTLS, s.url.Host, err)
	case errors.As(err, &rhe):
		return fmt.Errorf("%w: TLS handshake with %s: the server does not speak TLS (is this an rtmp:// port rather than rtmps://?): %w",
			wire.ErrProtocol, s.url.Addr(), err)
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%w: TLS handshake with %s: no answer within %s (is this an rtmp:// port rather than rtmps://?)",
			wire.ErrTimeout, s.url.Addr(), s.opts.Timeout)
	}
	return fmt.Errorf("%w: TLS handshake with %s: %w", wire.ErrConnect, s.url.Addr(), err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func ctxError(ctx context.Context, step string) error {
	err := context.Cause(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s: %w", wire.ErrTimeout, step, err)
	}
	return fmt.Errorf("%s: %w", step, err)
}

func (s *Stream) readError(err error) error {
	switch {
	case s.closing.Load():
		return wire.ErrClosed
	case closedByPeer(err):
		return fmt.Errorf("the server closed the connection: %w", io.ErrUnexpectedEOF)
	case errors.Is(err, wire.ErrProtocol):
		return fmt.Errorf("reading from the server: %w", err)
	}
	if s.Err() != nil {
		return s.Err()
	}
	return fmt.Errorf("reading from the server: %w", err)
}

func (s *Stream) writeError(err error) error {
	switch {
	case s.closing.Load():
		return wire.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: sending to the server made no progress for %s: %w", wire.ErrTimeout, s.opts.WriteTimeout, err)
	case closedByPeer(err):
		return fmt.Errorf("sending to the server: the server closed the connection: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("sending to the server: %w", err)
}
