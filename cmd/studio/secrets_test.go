package main

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
	"studio/publish/rtmp/chunk"
)

// The stream key is a secret: whatever happens, studio never shows it, in
// any form, on stdout, on stderr or in the stats and recording files.

// secretKey is distinctive enough that finding its core anywhere means a
// leak; '+' and '=' make its URL-escaped forms differ from it.
const (
	secretCore = "Zq8kP3vT7"
	secretKey  = "sk_live_" + secretCore + "+w=Q"
)

// forms are the ways a key can be shown.
func forms(key string) []string {
	f := []string{key, url.QueryEscape(key), url.PathEscape(key), secretCore}
	if _, q, ok := strings.Cut(key, "?"); ok {
		f = append(f, q, url.QueryEscape(q))
	}
	return f
}

// noLeak fails the test if any of texts shows key in any form.
func noLeak(t *testing.T, key string, texts map[string]string) {
	t.Helper()
	for name, text := range texts {
		for _, f := range forms(key) {
			if strings.Contains(text, f) {
				t.Errorf("%s shows the stream key (as %q):\n%s", name, f, text)
			}
		}
		if strings.Contains(text, "panic") || strings.Contains(text, "goroutine ") {
			t.Errorf("%s shows a panic:\n%s", name, text)
		}
	}
}

func outputs(r result) map[string]string {
	return map[string]string{"stdout": r.stdout, "stderr": r.stderr}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecretsSuccessToNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	rec := filepath.Join(t.TempDir(), "rec.flv")
	r := studio(t, 30*time.Second, nil, append(small, "-url", n.RTMPURL+"/"+secretKey, "-stats-json", "-", "-record", rec)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if !strings.Contains(r.stdout, `"state":"live"`) {
		t.Errorf("no live stats on stdout:\n%s", r.stdout)
	}
	texts := outputs(r)
	texts["recording"] = readFile(t, rec)
	noLeak(t, secretKey, texts)
}

func TestSecretsWrongKeyToAuth(t *testing.T) {
	n := testpeer.StartNginx(t)
	key := "cam?key=WRONG-" + secretKey
	stats := filepath.Join(t.TempDir(), "stats.jsonl")
	r := studio(t, 15*time.Second, nil, append(small, "-url", n.AuthURL+"/"+key, "-stats-json", stats)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	texts := outputs(r)
	texts["stats"] = readFile(t, stats)
	noLeak(t, key, texts)
}

func TestSecretsConnectionRefused(t *testing.T) {
	port := testpeer.FreePort(t)
	r := studio(t, 15*time.Second, nil, append(small, "-url", "rtmp://127.0.0.1:"+itoa(port)+"/live/"+secretKey)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	noLeak(t, secretKey, outputs(r))
}

// TestSecretsTLSNameMismatch: a trusted certificate for another name.
func TestSecretsTLSNameMismatch(t *testing.T) {
	certFile, certPEM, keyPEM := writeCert(t, "example.invalid")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	p := servePeer(t, ln, func(c net.Conn, br *bufio.Reader) { serverHandshake(c, br) })
	r := studio(t, 15*time.Second, []string{"SSL_CERT_FILE=" + certFile},
		append(small, "-url", "rtmps://"+p.ln.Addr().String()+"/live/"+secretKey)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	last := lastLine(r.stderr)
	if !strings.Contains(last, "certificate") || !strings.Contains(last, "example.invalid") {
		t.Errorf("last line does not say the certificate is for another name: %q", last)
	}
	noLeak(t, secretKey, outputs(r))
}

// TestSecretsFFmpegEchoesKey: ffmpeg's listener answers the publish with
// "<key> is now published".
func TestSecretsFFmpegEchoesKey(t *testing.T) {
	srv := testpeer.StartFFmpegServer(t)
	u := strings.TrimSuffix(srv.URL, "/key") + "/" + secretKey
	r := studio(t, 30*time.Second, nil, append(small, "-url", u)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "is now published") {
		t.Errorf("ffmpeg's status is not shown:\n%s", r.stderr)
	}
	noLeak(t, secretKey, outputs(r))
}

// TestSecretsServerEchoesKey: a server that puts the key, raw and
// URL-escaped, in the descriptions of a refused releaseStream and a
// refused publish.
func TestSecretsServerEchoesKey(t *testing.T) {
	echo := secretKey + " (" + url.QueryEscape(secretKey) + ", " + url.PathEscape(secretKey) + ")"
	p := startPeer(t, func(c net.Conn, br *bufio.Reader) {
		if !serverHandshake(c, br) {
			return
		}
		r, w := chunk.NewReader(br), chunk.NewWriter(c)
		for {
			cmd, ok := readCommand(r)
			if !ok {
				return
			}
			switch cmd.Name {
			case "connect":
				sendCommand(w, 0, "_result", cmd.TxnID, status("status", "NetConnection.Connect.Success", "ok"))
			case "releaseStream":
				sendCommand(w, 0, "_error", cmd.TxnID, status("error", "NetConnection.Call.Failed", "no stream "+echo))
			case "createStream":
				sendCommand(w, 0, "_result", cmd.TxnID, 1.0)
			case "publish":
				sendCommand(w, 1, "_error", cmd.TxnID, status("error", "NetStream.Publish.Denied", "denied: "+echo))
				silentPeer(c, br)
				return
			}
		}
	})
	r := studio(t, 15*time.Second, nil, append(small, "-url", p.url("/live/"+secretKey))...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if last := lastLine(r.stderr); !strings.Contains(last, "NetStream.Publish.Denied") {
		t.Errorf("last line does not show the server's code: %q", last)
	}
	// The refused releaseStream is only a warning of the RTMP layer: it
	// shows as one of studio's lines.
	if !strings.Contains(r.stderr, "studio: warning: rtmp: server refused releaseStream") {
		t.Errorf("the RTMP layer's warning is not shown:\n%s", r.stderr)
	}
	noLeak(t, secretKey, outputs(r))
}

func TestSecretsMalformedURL(t *testing.T) {
	for _, u := range []string{
		"rtmp//127.0.0.1/live/" + secretKey,
		"http://127.0.0.1/live/" + secretKey,
		"rtmp://127.0.0.1:99999/live/" + secretKey,
		"rtmp://127.0.0.1:1935" + secretKey + "/live/x",
		"rtmp://127.0.0.1/" + secretKey,
		"rtmp://127.0.0.1/live/ " + secretKey,
		"rtmp://127.0.0.1/live//" + secretKey,
		"rtmp://" + secretKey + "@127.0.0.1/live/x",
		"rtmp://::1/live/" + secretKey,
	} {
		r := studio(t, 10*time.Second, nil, "-headless", "-url", u)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2", u, r.code)
		}
		noLeak(t, secretKey, outputs(r))
	}
}
