package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"studio/publish/amf0"
	"studio/publish/rtmp"
	"studio/publish/rtmp/chunk"
)

// peer is an RTMP peer on 127.0.0.1 that misbehaves on purpose: each
// accepted connection runs handle. Cleanup closes everything and waits.
type peer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startPeer(t *testing.T, handle func(c net.Conn, br *bufio.Reader)) *peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return servePeer(t, ln, handle)
}

func servePeer(t *testing.T, ln net.Listener, handle func(c net.Conn, br *bufio.Reader)) *peer {
	p := &peer{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(60 * time.Second))
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *peer) url(path string) string { return "rtmp://" + p.ln.Addr().String() + path }

// serverHandshake answers a client's plain handshake; false if the client
// went away.
func serverHandshake(c net.Conn, br *bufio.Reader) bool {
	c01 := make([]byte, 1537)
	if _, err := io.ReadFull(br, c01); err != nil {
		return false
	}
	out := append([]byte{3}, make([]byte, 1536)...)
	out = append(out, c01[1:]...)
	if _, err := c.Write(out); err != nil {
		return false
	}
	_, err := io.ReadFull(br, c01[:1536])
	return err == nil
}

// readCommand returns the next command the client sends.
func readCommand(r *chunk.Reader) (rtmp.Command, bool) {
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return rtmp.Command{}, false
		}
		if m.Type == chunk.TypeCommandAMF0 {
			c, err := rtmp.ParseCommand(m.Payload)
			return c, err == nil
		}
	}
}

func sendCommand(w *chunk.Writer, sid uint32, name string, txn float64, args ...any) {
	body, err := rtmp.AppendCommand(nil, name, txn, nil, args...)
	if err == nil {
		_ = w.WriteMessage(chunk.Header{CSID: 3, Type: chunk.TypeCommandAMF0, StreamID: sid}, body)
	}
}

func status(level, code, desc string) amf0.Object {
	return amf0.Object{{Key: "level", Value: level}, {Key: "code", Value: code}, {Key: "description", Value: desc}}
}

// silentPeer accepts and reads, and never answers.
func silentPeer(c net.Conn, br *bufio.Reader) { _, _ = io.Copy(io.Discard, br) }

// TestSilentServerTimesOut: with the real default timeout, a server that
// never answers the handshake makes studio fail in about 10 s, saying
// which step timed out.
func TestSilentServerTimesOut(t *testing.T) {
	p := startPeer(t, silentPeer)
	r := studio(t, 30*time.Second, nil, append(small, "-url", p.url("/live/silent-key-1"))...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	last := lastLine(r.stderr)
	if !strings.Contains(last, "handshake") || !strings.Contains(last, "did not answer") {
		t.Errorf("last line does not say the handshake timed out: %q", last)
	}
	// The process's own start and exit on a slow machine come on top.
	if r.elapsed < 9*time.Second || r.elapsed > 13*time.Second {
		t.Errorf("failed after %v, want about 10 s", r.elapsed)
	}
}

// TestSilentAfterHandshake: a server that completes the handshake and
// then never answers connect.
func TestSilentAfterHandshake(t *testing.T) {
	p := startPeer(t, func(c net.Conn, br *bufio.Reader) {
		if serverHandshake(c, br) {
			silentPeer(c, br)
		}
	})
	r := studio(t, 30*time.Second, nil, append(small, "-url", p.url("/live/silent-key-2"))...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if last := lastLine(r.stderr); !strings.Contains(last, "connect: the server did not answer within 10s") {
		t.Errorf("last line does not say connect timed out: %q", last)
	}
	if r.elapsed > 13*time.Second {
		t.Errorf("failed after %v, want about 10 s", r.elapsed)
	}
}

func TestHTTPServerOnRTMPPort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	url := "rtmp://" + strings.TrimPrefix(srv.URL, "http://") + "/live/http-key-3"
	r := studio(t, 15*time.Second, nil, append(small, "-url", url)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if last := lastLine(r.stderr); !strings.Contains(last, "not an RTMP server") || !strings.Contains(last, "HTTP") {
		t.Errorf("last line does not say it is an HTTP server: %q", last)
	}
}

func TestServerClosesAfterHandshake(t *testing.T) {
	p := startPeer(t, func(c net.Conn, br *bufio.Reader) { serverHandshake(c, br) })
	r := studio(t, 15*time.Second, nil, append(small, "-url", p.url("/live/close-key-4"))...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if last := lastLine(r.stderr); !strings.Contains(last, "closed the connection") {
		t.Errorf("last line does not say the server closed the connection: %q", last)
	}
}

func TestServerSendsChunkSizeZero(t *testing.T) {
	p := startPeer(t, func(c net.Conn, br *bufio.Reader) {
		if !serverHandshake(c, br) {
			return
		}
		w := chunk.NewWriter(c)
		_ = w.WriteMessage(chunk.Header{CSID: 2, Type: chunk.TypeSetChunkSize}, []byte{0, 0, 0, 0})
		silentPeer(c, br)
	})
	r := studio(t, 15*time.Second, nil, append(small, "-url", p.url("/live/chunk-key-5"))...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if last := lastLine(r.stderr); !strings.Contains(last, "protocol error") || !strings.Contains(last, "chunk size") {
		t.Errorf("last line does not name the bad chunk size: %q", last)
	}
}

// writeCert writes a self-signed certificate for name to a PEM file and
// returns the file and the certificate in tls.X509KeyPair form.
func writeCert(t *testing.T, name string) (certFile string, certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	certFile = filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return certFile, certPEM, keyPEM
}
