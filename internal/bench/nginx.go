package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// nginxConf is the smallest nginx-rtmp configuration the benchmark needs: one
// live application that accepts any stream key and records nothing, so that
// the server's disk writes do not compete with the publishers being measured.
// It follows the configuration of internal/testpeer.
var nginxConf = template.Must(template.New("conf").Parse(`
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process on;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/logs/error.log warn;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:{{.Port}};
    chunk_size 4096;
    application live {
      live on;
      drop_idle_publisher 10s;
    }
  }
}
`))

// nginxServer is a running nginx-rtmp on 127.0.0.1. Its live application
// accepts any stream key.
type nginxServer struct {
	Addr string // host:port of the RTMP listener
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startNginx starts nginx-rtmp with its prefix in dir and waits until it
// accepts connections. The caller must call stop.
func startNginx(dir string) (*nginxServer, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return nil, fmt.Errorf("nginx: %w (install nginx and libnginx-mod-rtmp)", err)
	}
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_rtmp_module.so"); err != nil {
		return nil, fmt.Errorf("nginx rtmp module: %w (install libnginx-mod-rtmp)", err)
	}
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("nginx: %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var conf bytes.Buffer
	if err := nginxConf.Execute(&conf, struct {
		Dir  string
		Port int
	}{dir, port}); err != nil {
		return nil, fmt.Errorf("nginx config: %w", err)
	}
	text := conf.String()
	if os.Geteuid() == 0 {
		text = strings.Replace(text, "daemon off;", "daemon off;\nuser root;", 1)
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("nginx config: %w", err)
	}
	log, err := os.Create(filepath.Join(dir, "logs", "stdout.log"))
	if err != nil {
		return nil, fmt.Errorf("nginx log: %w", err)
	}
	n := &nginxServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, done: make(chan struct{})}
	n.cmd = exec.Command(bin, "-c", confPath, "-p", dir+"/")
	n.cmd.Stdout, n.cmd.Stderr = log, log
	if err := n.cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	go func() { _ = n.cmd.Wait(); log.Close(); close(n.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", n.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return n, nil
		}
		select {
		case <-n.done:
			b, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			return nil, fmt.Errorf("nginx exited before listening on %s:\n%s", n.Addr, b)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.stop()
			return nil, fmt.Errorf("nginx: nothing listens on %s after 10s", n.Addr)
		}
	}
}

// stop ends nginx gracefully (SIGQUIT) and waits for it; it kills nginx if
// it has not exited after 10 s.
func (n *nginxServer) stop() {
	_ = n.cmd.Process.Signal(sigQuit)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
