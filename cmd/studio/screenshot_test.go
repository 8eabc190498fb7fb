package main

import (
	"bufio"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// TestScreenshot runs the real window on the X display in $DISPLAY, live
// to a local nginx-rtmp with the test pattern, and takes screenshots with
// ImageMagick's import. It runs only when STUDIO_SCREENSHOT names the PNG
// to write (make screenshot sets it and runs Xvfb). With STUDIO_MEASURE_CPU
// set, it also reports the window's CPU use over 20 s of streaming, and
// then a headless run's over the same span.
func TestScreenshot(t *testing.T) {
	out := os.Getenv("STUDIO_SCREENSHOT")
	if out == "" {
		t.Skip("STUDIO_SCREENSHOT is not set (run make screenshot)")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no DISPLAY: run under xvfb-run (make screenshot)")
	}
	importBin := testpeer.Require(t, "import")[0]
	n := testpeer.StartNginx(t)
	home := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "STUDIO_AS_MAIN=1", "STUDIO_AUTOLIVE_URL="+n.RTMPURL+"/screenshot",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "LANG=en_US.UTF-8")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	live := make(chan struct{})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		seen := false
		for sc.Scan() {
			l := sc.Text()
			select {
			case lines <- l:
			default:
			}
			if !seen && strings.HasPrefix(l, "studio: live on ") {
				seen = true
				close(live)
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		exited <- cmd.Wait()
	}()
	defer func() {
		_ = cmd.Process.Kill()
	}()
	select {
	case <-live:
	case err := <-exited:
		t.Fatalf("studio exited before going live: %v\n%s", err, drain(lines))
	case <-time.After(30 * time.Second):
		t.Fatalf("studio not live after 30 s\n%s", drain(lines))
	}
	// Let a few seconds of stats and graph accumulate (media time, not an
	// event wait).
	time.Sleep(5 * time.Second)
	second := strings.TrimSuffix(out, ".png") + "-1s-later.png"
	shoot(t, importBin, out)
	time.Sleep(time.Second)
	shoot(t, importBin, second)
	if d := differingPixels(t, out, second); d == 0 {
		t.Errorf("the two screenshots a second apart are identical: the preview does not move")
	} else {
		t.Logf("%d pixels differ between the screenshots a second apart", d)
	}
	if os.Getenv("STUDIO_MEASURE_CPU") != "" {
		t.Logf("window (live 720p30, 640x360 preview): %.1f%% of one core over 20 s", cpuOver(t, cmd.Process.Pid, 20*time.Second))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("studio exited with %v\n%s", err, drain(lines))
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("studio did not exit within 20 s of SIGTERM\n%s", drain(lines))
	}
	log := drain(lines)
	t.Logf("studio stderr:\n%s", log)
	if !strings.Contains(log, "studio: stopped") {
		t.Errorf("the window did not stop the stream cleanly before closing")
	}
	if strings.Contains(log, "/screenshot") {
		t.Errorf("the stream key was printed")
	}
	if os.Getenv("STUDIO_MEASURE_CPU") != "" {
		measureHeadless(t, n.RTMPURL+"/headless-cpu")
	}
}

func drain(lines chan string) string {
	var b strings.Builder
	for {
		select {
		case l := <-lines:
			b.WriteString(l + "\n")
		default:
			return b.String()
		}
	}
}

func shoot(t *testing.T, importBin, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(importBin, "-window", "root", path).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	t.Logf("wrote %s", path)
}

func differingPixels(t *testing.T, a, b string) int {
	t.Helper()
	ia, ib := readPNG(t, a), readPNG(t, b)
	if ia.Bounds() != ib.Bounds() {
		return -1
	}
	n := 0
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				n++
			}
		}
	}
	return n
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// cpuOver returns the CPU use of process pid over d, in percent of one
// core, from /proc/PID/stat (utime + stime).
func cpuOver(t *testing.T, pid int, d time.Duration) float64 {
	t.Helper()
	before := procCPU(t, pid)
	start := time.Now()
	time.Sleep(d)
	return 100 * (procCPU(t, pid) - before).Seconds() / time.Since(start).Seconds()
}

func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// measureHeadless streams the same settings headless and reports its CPU
// use over 20 s.
func measureHeadless(t *testing.T, url string) {
	cmd := exec.Command(os.Args[0], "-headless", "-url", url, "-size", "1280x720", "-fps", "30",
		"-bitrate", "2500", "-duration", "30s")
	cmd.Env = append(os.Environ(), "STUDIO_AS_MAIN=1")
	if p := os.Getenv(profileEnv); p != "" {
		// The window's profile is at p: keep it.
		cmd.Env = append(cmd.Env, profileEnv+"="+p+".headless")
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		// SIGINT stops it cleanly, so that a CPU profile is complete.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	time.Sleep(3 * time.Second) // past connecting and the encoder's start
	t.Logf("headless (720p30): %.1f%% of one core over 20 s", cpuOver(t, cmd.Process.Pid, 20*time.Second))
}
