package rtmp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// Bad peers: each must give a clear error that wraps the right sentinel,
// within the setup timeout, with no panic and bounded memory. Silent
// servers (TestHandshakeTimeout, TestSetupTimeouts), refused and kicked
// publishes, and garbage while streaming are in conn_test.go.

// quickOptions have a short setup timeout: the peers here either fail
// fast or never answer.
func quickOptions() Options {
	return Options{Timeout: 300 * time.Millisecond}
}

// publishErr publishes to url and returns the error, failing the test if
// Publish succeeds or takes longer than its setup bounds allow.
func publishErr(t *testing.T, url string, o Options) error {
	t.Helper()
	start := time.Now()
	s, err := Publish(context.Background(), url, o)
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Publish succeeded")
	}
	if d := time.Since(start); d > 6*o.withDefaults().Timeout+2*time.Second {
		t.Errorf("Publish took %v to fail", d)
	}
	return err
}

func wantErr(t *testing.T, err, sentinel error, words ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("err = %v, want %v", err, sentinel)
		return
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v, want it to mention %q", err, w)
		}
	}
}

func TestHTTPServerOnRTMPPort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	err := publishErr(t, "rtmp://"+addr+"/live/key", quickOptions())
	wantErr(t, err, wire.ErrProtocol, "not an RTMP server", "HTTP")
}

func TestServerClosesAfterHandshake(t *testing.T) {
	srv := newMockServer(t, func(sc *serverConn) { sc.handshake() })
	err := publishErr(t, srv.url("/live/key"), quickOptions())
	wantErr(t, err, wire.ErrProtocol, "connect", "closed")
}

func TestServerSendsGarbageDuringSetup(t *testing.T) {
	for seed := range uint64(8) {
		srv := newMockServer(t, func(sc *serverConn) {
			if !sc.handshake() {
				return
			}
			garbage := make([]byte, 64<<10)
			r := mrand.New(mrand.NewPCG(seed, 1))
			for i := range garbage {
				garbage[i] = byte(r.Uint32())
			}
			_, _ = sc.c.Write(garbage)
			_, _ = io.Copy(io.Discard, sc.c)
		})
		err := publishErr(t, srv.url("/live/key"), quickOptions())
		// Random bytes are malformed chunks, or chunks that announce more
		// bytes than ever come (then the step times out).
		if !errors.Is(err, wire.ErrProtocol) && !errors.Is(err, wire.ErrTimeout) {
			t.Errorf("seed %d: err = %v, want ErrProtocol or ErrTimeout", seed, err)
		}
	}
}

// TestAbsurdChunkSizes: a server that announces absurd chunk sizes or
// message lengths right after the handshake.
func TestAbsurdChunkSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(sc *serverConn) // after the handshake and the client's connect
		want error                // nil: the publish succeeds
		word string
	}{
		{"chunk size 0", func(sc *serverConn) {
			sc.send(2, chunk.TypeSetChunkSize, 0, []byte{0, 0, 0, 0})
		}, wire.ErrProtocol, "chunk size"},
		{"chunk size with the high bit", func(sc *serverConn) {
			sc.send(2, chunk.TypeSetChunkSize, 0, []byte{0x80, 0, 0, 1})
		}, wire.ErrProtocol, "chunk size"},
		{"message length 0xFFFFFF", func(sc *serverConn) {
			// A header that announces 16 MiB, and 1 MiB of it.
			_, _ = sc.c.Write([]byte{0x03, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0})
			_, _ = sc.c.Write(make([]byte, 1<<20))
		}, wire.ErrProtocol, "longer than the limit"},
		{"chunk size 0x7fffffff, then a message just over the limit", func(sc *serverConn) {
			sc.setChunkSize(0x7fffffff)
			_, _ = sc.c.Write([]byte{0x03, 0, 0, 0, 0x10, 0, 1, 20, 0, 0, 0, 0})
		}, wire.ErrProtocol, "longer than the limit"},
		{"chunk size 0x7fffffff", func(sc *serverConn) { sc.setChunkSize(0x7fffffff) }, nil, ""},
		{"chunk size 1", func(sc *serverConn) { sc.setChunkSize(1) }, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newMockServer(t, func(sc *serverConn) {
				if !sc.handshake() {
					return
				}
				if _, _, ok := sc.readCommand(); !ok { // connect
					return
				}
				tc.then(sc)
				if tc.want != nil {
					sc.drain()
					return
				}
				// Then behave: answer connect and the rest with the new size.
				sc.sendCommand(0, "_result", 1, nil, statusObj("status", "NetConnection.Connect.Success", "ok"))
				sc.handshaken = true
				standardServer(serverOpts{})(sc)
			})
			o := quickOptions()
			o.Timeout = 5 * time.Second
			if tc.want == nil {
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
				return
			}
			wantErr(t, publishErr(t, srv.url("/live/key"), o), tc.want, tc.word)
		})
	}
}

func TestConnectFailedOnStatus(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{
		connectStatus: statusObj("error", "NetConnection.Connect.Rejected", "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ]"),
	}))
	o := quickOptions()
	o.Timeout = 5 * time.Second
	start := time.Now()
	err := publishErr(t, srv.url("/live/key"), o)
	var se *wire.StatusError
	if !errors.As(err, &se) || se.Op != "connect" || se.Status.Code != "NetConnection.Connect.Rejected" {
		t.Fatalf("err = %v, want a StatusError for connect", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v: the failed onStatus should end the wait", d)
	}
}

func TestPublishError(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{
		publishError: statusObj("error", "NetStream.Publish.Denied", "publish of name?key=secret denied"),
	}))
	err := publishErr(t, srv.url("/live/name?key=secret"), quickOptions())
	var se *wire.StatusError
	if !errors.As(err, &se) || !errors.Is(err, wire.ErrRejected) || se.Op != "publish" || se.Status.Code != "NetStream.Publish.Denied" {
		t.Fatalf("err = %v, want a StatusError for publish", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the key: %v", err)
	}
}

// certFor returns a self-signed certificate for names (DNS names or IP
// addresses) and a pool that trusts it.
func certFor(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestTLSNameMismatch: a trusted certificate, but for another name.
func TestTLSNameMismatch(t *testing.T) {
	cert, pool := certFor(t, "example.invalid")
	srv := newTLSMockServer(t, cert, standardServer(serverOpts{}))
	_, port, _ := net.SplitHostPort(srv.ln.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		o := quickOptions()
		o.TLSConfig = &tls.Config{RootCAs: pool}
		err := publishErr(t, "rtmps://"+net.JoinHostPort(host, port)+"/live/key", o)
		wantErr(t, err, wire.ErrTLS, "certificate", "another name", "example.invalid", host)
	}
}

func TestRTMPSToSilentPlainServer(t *testing.T) {
	// A real RTMP server waits for all of C0+C1 before answering; a TLS
	// ClientHello is shorter, so both sides wait.
	srv := newMockServer(t, standardServer(serverOpts{}))
	err := publishErr(t, "rtmps://"+srv.ln.Addr().String()+"/live/key", quickOptions())
	wantErr(t, err, wire.ErrTimeout, "TLS", "rtmp://")
}

func TestRTMPToTLSPort(t *testing.T) {
	cert, _ := certFor(t, "127.0.0.1")
	srv := newTLSMockServer(t, cert, standardServer(serverOpts{}))
	err := publishErr(t, "rtmp://"+srv.ln.Addr().String()+"/live/key", quickOptions())
	wantErr(t, err, wire.ErrProtocol, "rtmps://")
}
