package testpeer

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// Nginx is a running nginx-rtmp server on 127.0.0.1.
//
//   - RTMPURL (application live): any key is accepted and recorded to RecDir.
//     A publisher that sends nothing for 10 s is dropped.
//   - AuthURL (application auth): only the key "<name>?key=secret" may publish.
//   - RTMPSURL: TLS in front of live, with a self-signed certificate for
//     localhost and 127.0.0.1 (CertFile).
//   - DropURL + key kicks the publisher of that key.
type Nginx struct {
	Dir      string
	RTMPURL  string
	AuthURL  string
	RTMPSURL string
	StatURL  string
	DropURL  string
	RecDir   string
	CertFile string
	cmd      *exec.Cmd
	done     chan struct{}
}

var nginxConf = template.Must(template.New("conf").Parse(`
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process on;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/logs/error.log info;
events { worker_connections 256; }
rtmp {
  server {
    listen {{.Addr}}:{{.RTMP}};
    chunk_size 4096;
    ping 30s;
    notify_method get;
    application live {
      live on;
      record all;
      record_path {{.Dir}}/rec;
      record_unique on;
      drop_idle_publisher 10s;
    }
    application auth {
      live on;
      record all;
      record_path {{.Dir}}/rec;
      record_unique on;
      on_publish http://{{.Addr}}:{{.HTTP}}/on_publish_auth;
    }
  }
}
stream {
  server {
    listen {{.Addr}}:{{.RTMPS}} ssl;
    ssl_certificate {{.Dir}}/cert.pem;
    ssl_certificate_key {{.Dir}}/key.pem;
    proxy_pass {{.Addr}}:{{.RTMP}};
  }
}
http {
  access_log {{.Dir}}/logs/access.log;
  client_body_temp_path {{.Dir}}/tmp/body;
  proxy_temp_path {{.Dir}}/tmp/proxy;
  fastcgi_temp_path {{.Dir}}/tmp/fastcgi;
  uwsgi_temp_path {{.Dir}}/tmp/uwsgi;
  scgi_temp_path {{.Dir}}/tmp/scgi;
  server {
    listen {{.Addr}}:{{.HTTP}};
    location /stat { rtmp_stat all; add_header Content-Type text/xml; }
    location /control { rtmp_control all; }
    location /on_publish_auth {
      if ($arg_key = "secret") { return 200 "ok\n"; }
      return 403 "forbidden\n";
    }
  }
}
`))

// StartNginx starts nginx-rtmp in a temporary directory and waits until all
// its ports accept connections.
func StartNginx(t testing.TB) *Nginx {
	t.Helper()
	return startNginx(t, nginxPorts{Addr: "127.0.0.1", RTMP: FreePort(t), HTTP: FreePort(t), RTMPS: FreePort(t)}, nil)
}

type nginxPorts struct {
	Dir               string
	Addr              string
	RTMP, HTTP, RTMPS int
}

// startNginx starts nginx listening on ports.Addr, running it through
// prefix (for example "ip netns exec NS") when given.
func startNginx(t testing.TB, ports nginxPorts, prefix []string) *Nginx {
	t.Helper()
	bin := Require(t, "nginx")[0]
	for _, m := range []string{"ngx_rtmp_module.so", "ngx_stream_module.so"} {
		if _, err := os.Stat("/usr/lib/nginx/modules/" + m); err != nil {
			missing(t, "nginx module %s missing (install libnginx-mod-rtmp libnginx-mod-stream)", m)
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"rec", "logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeSelfSigned(t, dir, ports.Addr)
	ports.Dir = dir
	var conf bytes.Buffer
	if err := nginxConf.Execute(&conf, ports); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tlsHost := "localhost"
	if ports.Addr != "127.0.0.1" {
		tlsHost = ports.Addr
	}
	n := &Nginx{
		Dir:      dir,
		RTMPURL:  fmt.Sprintf("rtmp://%s:%d/live", ports.Addr, ports.RTMP),
		AuthURL:  fmt.Sprintf("rtmp://%s:%d/auth", ports.Addr, ports.RTMP),
		RTMPSURL: fmt.Sprintf("rtmps://%s:%d/live", tlsHost, ports.RTMPS),
		StatURL:  fmt.Sprintf("http://%s:%d/stat", ports.Addr, ports.HTTP),
		DropURL:  fmt.Sprintf("http://%s:%d/control/drop/publisher?app=live&name=", ports.Addr, ports.HTTP),
		RecDir:   filepath.Join(dir, "rec"),
		CertFile: filepath.Join(dir, "cert.pem"),
		done:     make(chan struct{}),
	}
	if os.Geteuid() == 0 {
		// nginx as root switches workers to "nobody" unless told otherwise;
		// workers must be able to write the recordings in our temp dir.
		conf := strings.Replace(conf.String(), "daemon off;", "daemon off;\nuser root;", 1)
		if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log, err := os.Create(filepath.Join(dir, "logs", "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, prefix...), bin, "-c", confPath, "-p", dir+"/")
	n.cmd = exec.Command(args[0], args[1:]...)
	n.cmd.Stdout, n.cmd.Stderr = log, log
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	go func() { _ = n.cmd.Wait(); log.Close(); close(n.done) }()
	t.Cleanup(func() { n.Stop(t) })
	for _, p := range []int{ports.RTMP, ports.HTTP, ports.RTMPS} {
		if err := waitListening(n.done, ports.Addr, p, 10*time.Second); err != nil {
			errLog, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			t.Fatalf("nginx-rtmp: %v\n%s", err, errLog)
		}
	}
	return n
}

// Stop ends nginx gracefully, so that its recordings are complete, and
// waits for it. Cleanup calls it too; calling it twice is fine.
func (n *Nginx) Stop(t testing.TB) {
	_ = n.cmd.Process.Signal(syscallQuit)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// Drop kicks the publisher of key through nginx's control interface.
func (n *Nginx) Drop(ctx context.Context, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.DropURL+key, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Recordings returns the files nginx recorded for key, oldest first.
// nginx finishes a recording when its publisher stops.
func (n *Nginx) Recordings(t testing.TB, key string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(n.RecDir, key+"-*.flv"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// ErrorLog returns nginx's error log, for test failure messages.
func (n *Nginx) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "logs", "error.log"))
	return string(b)
}

// waitListening polls the port until it accepts a connection, the process
// exits, or the deadline passes. Polling is the only way to learn that
// another process started listening.
func waitListening(exited <-chan struct{}, host string, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := net.JoinHostPort(host, fmt.Sprint(port))
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("server exited before listening on %s", addr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %v", addr, timeout)
		}
	}
}

func writeSelfSigned(t testing.TB, dir, addr string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP(addr)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", "CERTIFICATE", der)
	write("key.pem", "EC PRIVATE KEY", keyDER)
}
