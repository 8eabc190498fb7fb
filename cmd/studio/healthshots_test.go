package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// TestHealthScreenshots runs the real window on the X display in $DISPLAY
// in each state of health, and takes a screenshot of each into the
// directory STUDIO_HEALTH_SHOTS names (make health-screenshots sets it and
// runs Xvfb; the shaped link needs root). Each state is provoked for real,
// and the shot is taken once the window has logged it.
func TestHealthScreenshots(t *testing.T) {
	dir := os.Getenv("STUDIO_HEALTH_SHOTS")
	if dir == "" {
		t.Skip("STUDIO_HEALTH_SHOTS is not set (run make health-screenshots)")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no DISPLAY: run under xvfb-run (make health-screenshots)")
	}
	importBin := testpeer.Require(t, "import")[0]
	shot := func(t *testing.T, name, url string, prefs map[string]any, env []string, provoke func(r *running), line string) {
		home := t.TempDir()
		prefDir := filepath.Join(home, "config", "fyne", "io.studio.app")
		if err := os.MkdirAll(prefDir, 0o700); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(prefs)
		if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "STUDIO_AUTOLIVE_URL="+url, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
			"LANG=en_US.UTF-8", "STUDIO_WINDOW_SIZE=1280x800")
		r := startStudio(t, env, nil)
		r.waitLine(t, r.start, "studio: live on", 30*time.Second)
		if provoke != nil {
			provoke(r)
		}
		l := r.waitLine(t, r.start, line, 30*time.Second)
		t.Logf("%s: %s", name, l.text)
		// The line is logged on the tick that shows it; the stats bound
		// to labels are drawn a moment later.
		time.Sleep(1500 * time.Millisecond)
		shoot(t, importBin, filepath.Join(dir, "health-"+name+".png"))
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		if code, _ := r.wait(t, 20*time.Second); code != 0 {
			t.Errorf("exit %d", code)
		}
	}
	base := map[string]any{"studio.size": "1280x720", "studio.fps": "30", "studio.video_kbps": 2500, "studio.preset": "veryfast"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	// The stream keys are not words of the lines waited for: those are
	// redacted.
	// On this 2-core machine the window's preview and x264 at 720p30 can
	// fall behind in the first seconds (the encoder's health says so):
	// the good and server states are shot at 854x480.
	light := with("studio.size", "854x480", "studio.video_kbps", 1200)
	t.Run("good", func(t *testing.T) {
		n := testpeer.StartNginx(t)
		// Good is never logged: wait for a few seconds of stats instead.
		shot(t, "good", n.RTMPURL+"/shot-g1", light, nil, func(r *running) { r.after(t, time.Now(), 5*time.Second) }, "studio: live on")
	})
	t.Run("network", func(t *testing.T) {
		l := testpeer.StartShapedLink(t, 1000)
		shot(t, "network", l.RTMPURL+"/shot-n1", base, nil, nil, "health: warning (network)")
	})
	t.Run("encoder", func(t *testing.T) {
		n := testpeer.StartNginx(t)
		shot(t, "encoder", n.RTMPURL+"/shot-e1", with("studio.size", "1920x1080", "studio.fps", "60", "studio.preset", "medium"), nil, nil, "health: bad (encoder)")
	})
	t.Run("audio", func(t *testing.T) {
		pm := testpeer.StartPulseMic(t, testpeer.PulseMicOptions{Rate: 48000, Channels: 2})
		n := testpeer.StartNginx(t)
		shot(t, "audio", n.RTMPURL+"/shot-a1", with("studio.microphone", "default"), pm.Env(), func(*running) {
			if err := pm.Remove(); err != nil {
				t.Fatal(err)
			}
		}, "health: bad (audio)")
	})
	t.Run("server", func(t *testing.T) {
		n := testpeer.StartNginx(t)
		shot(t, "server", n.RTMPURL+"/shot-s1", light, nil, func(r *running) {
			r.after(t, time.Now(), 4*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := n.Drop(ctx, "shot-s1"); err != nil {
				t.Fatal(err)
			}
		}, "(server)")
	})
}
