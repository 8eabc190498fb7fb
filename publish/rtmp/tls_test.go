package rtmp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"studio/publish/rtmp/wire"
)

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	return certFor(t, "127.0.0.1", "localhost")
}

func TestRTMPS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := newTLSMockServer(t, cert, standardServer(serverOpts{}))

	o := testOptions(nil)
	o.TLSConfig = &tls.Config{RootCAs: pool}
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Without the private root: a certificate error that says what to do.
	_, err = Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if !errors.Is(err, wire.ErrTLS) || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("err = %v, want ErrTLS mentioning SSL_CERT_FILE", err)
	}
}

func TestRTMPSToPlainServer(t *testing.T) {
	srv := newMockServer(t, func(sc *serverConn) {
		_, _ = sc.c.Write(bytes.Repeat([]byte{3}, 100)) // not a TLS record
		sc.drain()
	})
	_, err := Publish(context.Background(), "rtmps://"+srv.ln.Addr().String()+"/live/key", testOptions(nil))
	if !errors.Is(err, wire.ErrProtocol) || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("err = %v", err)
	}
}
