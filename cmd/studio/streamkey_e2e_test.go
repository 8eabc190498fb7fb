package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// authKey is what nginx's auth application accepts; secretKey's core
// makes any leak easy to find.
const authKey = "cam?key=secret&id=" + secretCore

// keyOffTheCommandLine publishes to nginx's auth application with the key
// given by env or args (not in -url), and checks that the running
// process's command line never holds it and that nothing shows it.
func keyOffTheCommandLine(t *testing.T, env []string, args ...string) {
	t.Helper()
	n := testpeer.StartNginx(t)
	all := append([]string{"-headless", "-size", "320x180", "-fps", "30", "-bitrate", "400", "-duration", "3s", "-url", n.AuthURL}, args...)
	r := startStudio(t, env, nil, all...)
	r.waitLine(t, r.start, "live on", 20*time.Second)
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(r.cmd.Process.Pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := r.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("studio exited %d:\n%s", code, r.stderr())
	}
	noLeak(t, authKey, map[string]string{"/proc/PID/cmdline": string(cmdline), "stderr": r.stderr()})
	if strings.Contains(r.stderr(), "warning: the stream key is on the command line") {
		t.Errorf("a warning about a key on the command line, when there is none:\n%s", r.stderr())
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	keyOffTheCommandLine(t, []string{keyEnv + "=" + authKey})
}

func TestKeyFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(authKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The file wins over the environment.
	keyOffTheCommandLine(t, []string{keyEnv + "=wrong"}, "-key-file", file)
}

// A key in -url still works, with exactly one warning however many URLs
// carry one, and is printed nowhere.
func TestKeyInURLWarnsOnce(t *testing.T) {
	n := testpeer.StartNginx(t)
	r := studio(t, 30*time.Second, nil, append(small, "-url", n.AuthURL+"/"+authKey, "-url", n.RTMPURL+"/"+secretKey)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if got := strings.Count(r.stderr, "warning: the stream key is on the command line"); got != 1 {
		t.Errorf("%d warnings about the key on the command line, want 1:\n%s", got, r.stderr)
	}
	noLeak(t, authKey, outputs(r))
	noLeak(t, secretKey, outputs(r))
}

// A URL without a key and no key given: a clear error before anything is
// opened.
func TestURLWithoutKey(t *testing.T) {
	r := studio(t, 30*time.Second, []string{keyEnv + "="}, append(small, "-url", "rtmp://127.0.0.1:1/live")...)
	if r.code != 2 || !strings.Contains(r.stderr, "-url rtmp://127.0.0.1:1/… has no stream key (rtmp://host/app/key): add it with -key-file FILE or "+keyEnv) {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
