// Command bench measures studio beside ffmpeg: both publish the same stream
// (a test pattern and a 1 kHz tone, H.264 through x264 veryfast/zerolatency
// and AAC) to a local nginx-rtmp, in alternating runs (ffmpeg, studio,
// ffmpeg, studio, …), through a relay that timestamps the bytes as they
// arrive.
//
// For every run it records the publisher's CPU time (user+sys) and peak RSS
// from its rusage, the time from process start to the first media message
// and to the first video frame at the server, the real audio and video
// bitrates, and the server-side delay (arrival minus RTMP timestamp, above
// the run's minimum, p50 and p99). It prints the medians per publisher and
// the ratio studio/ffmpeg, and writes them to results.json and results.md
// in the -out directory.
//
// Run it through scripts/bench.sh, or directly:
//
//	go run ./internal/bench -duration 60s -runs 3
//	go run ./internal/bench -duration 10s -runs 1   # smoke test
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

var sigQuit = syscall.SIGQUIT

// config is what both publishers are asked to send.
type config struct {
	Duration     time.Duration `json:"-"`
	DurationS    float64       `json:"duration_s"`
	Runs         int           `json:"runs"`
	Width        int           `json:"width"`
	Height       int           `json:"height"`
	FPS          int           `json:"fps"`
	BitrateKbps  int           `json:"video_kbps"`
	AudioKbps    int           `json:"audio_kbps"`
	KeyIntervalS float64       `json:"keyint_s"`
	Preset       string        `json:"preset"`
}

// run is the measurement of one publisher run.
type run struct {
	Publisher  string    `json:"publisher"`
	Index      int       `json:"index"`
	Started    time.Time `json:"started"`
	Load1      float64   `json:"load1_before"`
	WallS      float64   `json:"wall_s"`
	UserS      float64   `json:"user_s"`
	SysS       float64   `json:"sys_s"`
	CPUS       float64   `json:"cpu_s"`
	CPUPct     float64   `json:"cpu_pct_of_core"`  // CPU seconds per media second, in percent
	CPUMSFrame float64   `json:"cpu_ms_per_frame"` // CPU ms per video frame the server received
	RSSMB      float64   `json:"peak_rss_mb"`
	ExitCode   int       `json:"exit_code"`
	streamStats
}

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func mainErr() error {
	var c config
	var out, only, studioBin, tapOut, size, dumpTo string
	var withPattern bool
	flag.DurationVar(&c.Duration, "duration", 60*time.Second, "media duration of each run")
	flag.IntVar(&c.Runs, "runs", 3, "runs of each publisher, alternating")
	flag.StringVar(&size, "size", "1280x720", "video size `WxH`")
	flag.IntVar(&c.FPS, "fps", 30, "frame rate")
	flag.IntVar(&c.BitrateKbps, "bitrate", 2500, "video bitrate, kbit/s")
	flag.IntVar(&c.AudioKbps, "audio-bitrate", 128, "audio bitrate, kbit/s")
	flag.Float64Var(&c.KeyIntervalS, "keyint", 2, "keyframe interval, seconds")
	flag.StringVar(&c.Preset, "preset", "veryfast", "x264 preset")
	flag.StringVar(&out, "out", "bench-results", "directory for results.json and results.md")
	flag.StringVar(&only, "only", "", "run only these publishers, comma-separated (ffmpeg, studio, ffmpeg-pattern)")
	flag.BoolVar(&withPattern, "pattern", false, "also run ffmpeg-pattern: ffmpeg sending studio's own test pattern (raw frames, looped) instead of testsrc2, to separate the content's cost from the publisher's")
	flag.StringVar(&studioBin, "studio", "", "studio binary to measure (default: build ./cmd/studio)")
	flag.StringVar(&tapOut, "tap-out", "", "save the raw bytes the first studio run sent (handshake included) to this file, for testdata")
	flag.StringVar(&dumpTo, "dump-pattern", "", "only write what ffmpeg-pattern loops, the raw I420 frames to this `FILE` and the s16le tone to FILE.s16, and exit (for profiling ffmpeg by hand)")
	flag.Parse()
	if _, err := fmt.Sscanf(size, "%dx%d", &c.Width, &c.Height); err != nil {
		return fmt.Errorf("-size %q: %w", size, err)
	}
	if dumpTo != "" {
		return dumpPattern(patternFiles{video: dumpTo, audio: dumpTo + ".s16"}, c)
	}
	if c.Runs < 1 || c.Duration <= 0 {
		return errors.New("-runs and -duration must be positive")
	}
	c.DurationS = c.Duration.Seconds()
	pubs := []string{"ffmpeg", "studio"}
	if withPattern {
		pubs = append(pubs, "ffmpeg-pattern")
	}
	if only != "" {
		pubs = strings.Split(only, ",")
		for _, p := range pubs {
			if p != "ffmpeg" && p != "studio" && p != "ffmpeg-pattern" {
				return fmt.Errorf("-only %q: want ffmpeg, studio or ffmpeg-pattern, comma-separated", only)
			}
		}
	}

	tmp, err := os.MkdirTemp("", "studio-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if studioBin == "" && slicesContains(pubs, "studio") {
		studioBin = filepath.Join(tmp, "studio")
		fmt.Fprintln(os.Stderr, "bench: building ./cmd/studio")
		b := exec.Command("go", "build", "-tags", "goaac_simd", "-o", studioBin, "./cmd/studio")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/studio: %w", err)
		}
	}
	patternFile := patternFiles{video: filepath.Join(tmp, "pattern.yuv"), audio: filepath.Join(tmp, "tone.s16")}
	if slicesContains(pubs, "ffmpeg-pattern") {
		if err := dumpPattern(patternFile, c); err != nil {
			return err
		}
	}
	if slicesContains(pubs, "ffmpeg") || slicesContains(pubs, "ffmpeg-pattern") {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return fmt.Errorf("ffmpeg: %w", err)
		}
	}
	ngx, err := startNginx(filepath.Join(tmp, "nginx"))
	if err != nil {
		return err
	}
	defer ngx.stop()

	m := machineInfo()
	fmt.Fprintf(os.Stderr, "bench: %s, %d CPUs, load %s; %d × %v per publisher\n", m.CPUModel, m.NProc, m.LoadStart, c.Runs, c.Duration)
	var runs []run
	for i := range c.Runs {
		for _, p := range pubs {
			r, err := measure(p, i, c, ngx.Addr, studioBin, patternFile, filepath.Join(tmp, "logs"), tapOut)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", p, i+1, err)
			}
			if p == "studio" {
				tapOut = ""
			}
			fmt.Fprintf(os.Stderr, "bench: %-6s %d: cpu %.2fs (%.0f%%) rss %.0fMB first frame %.0fms video %.0fkbps audio %.0fkbps delay p50 %.1fms p99 %.1fms (load %.2f)\n",
				p, i+1, r.CPUS, r.CPUPct, r.RSSMB, r.FirstFrameMS, r.VideoKbps, r.AudioKbps, r.DelayP50MS, r.DelayP99MS, r.Load1)
			runs = append(runs, r)
			time.Sleep(2 * time.Second) // let nginx drop the stream
		}
	}
	m.LoadEnd = loadavg()
	res := buildResults(c, m, runs)
	md := res.markdown()
	fmt.Print(md)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s/results.json and results.md\n", out)
	return nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// command returns the publisher's command line for one run to url.
func command(pub string, c config, studioBin string, patternFile patternFiles, url string) *exec.Cmd {
	if pub == "studio" {
		cmd := exec.Command(studioBin, "-headless", "-url", url,
			"-duration", c.Duration.String(),
			"-size", fmt.Sprintf("%dx%d", c.Width, c.Height), "-fps", fmt.Sprint(c.FPS),
			"-bitrate", fmt.Sprint(c.BitrateKbps), "-audio-bitrate", fmt.Sprint(c.AudioKbps),
			"-keyint", fmt.Sprint(c.KeyIntervalS), "-preset", c.Preset)
		cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
		return cmd
	}
	// x264 through mediadevices uses ABR with a VBV of maxrate = bitrate and
	// a buffer of twice the bitrate, in x264's assumed 25 fps; studio scales
	// the bitrate by 25/fps, so in real time that is maxrate = bitrate and
	// a buffer of 2 × bitrate × 25/fps kbit. Match it.
	buf := int(float64(2*c.BitrateKbps)*25/float64(c.FPS) + 0.5)
	inputs := []string{"-re", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", c.Width, c.Height, c.FPS),
		"-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"}
	if pub == "ffmpeg-pattern" {
		inputs = patternFile.inputs(c)
	}
	args := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, inputs...)
	return exec.Command("ffmpeg", append(args,
		"-t", fmt.Sprintf("%g", c.Duration.Seconds()),
		"-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", c.Preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p",
		"-b:v", fmt.Sprintf("%dk", c.BitrateKbps), "-maxrate", fmt.Sprintf("%dk", c.BitrateKbps), "-bufsize", fmt.Sprintf("%dk", buf),
		"-g", fmt.Sprint(int(float64(c.FPS)*c.KeyIntervalS+0.5)),
		"-c:a", "aac", "-b:a", fmt.Sprintf("%dk", c.AudioKbps), "-ac", "2", "-ar", "48000",
		"-f", "flv", url)...)
}

// measure runs one publisher through a fresh relay and returns what it cost
// and what the server received.
func measure(pub string, i int, c config, upstream, studioBin string, patternFile patternFiles, logDir, tapOut string) (run, error) {
	r := run{Publisher: pub, Index: i + 1, Load1: load1()}
	rl, err := newRelay(upstream)
	if err != nil {
		return r, err
	}
	if tapOut != "" && pub == "studio" {
		rl.tap.save = true
	}
	url := fmt.Sprintf("rtmp://%s/live/%s-%d", rl.Addr(), pub, i+1)
	cmd := command(pub, c, studioBin, patternFile, url)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return r, err
	}
	logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", pub, i+1))
	log, err := os.Create(logPath)
	if err != nil {
		return r, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	r.Started = time.Now()
	if err := cmd.Start(); err != nil {
		rl.ln.Close()
		return r, fmt.Errorf("start %s: %w", pub, err)
	}
	werr := cmd.Wait()
	r.WallS = time.Since(r.Started).Seconds()
	r.ExitCode = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.UserS = tv(ru.Utime)
		r.SysS = tv(ru.Stime)
		r.RSSMB = float64(ru.Maxrss) / 1024 // kB on Linux
	}
	r.CPUS = r.UserS + r.SysS
	msgs, rerr := rl.wait(10 * time.Second)
	if werr != nil {
		return r, fmt.Errorf("%s: %w\n%s", pub, werr, tail(logPath))
	}
	if rerr != nil {
		return r, rerr
	}
	r.streamStats = summarise(msgs, r.Started, c.FPS)
	if r.MediaSeconds > 0 {
		r.CPUPct = 100 * r.CPUS / r.MediaSeconds
	}
	if r.VideoFrames > 0 {
		r.CPUMSFrame = 1000 * r.CPUS / float64(r.VideoFrames)
	}
	if r.VideoFrames == 0 {
		return r, fmt.Errorf("the server received no video\n%s", tail(logPath))
	}
	if tapOut != "" && pub == "studio" {
		if err := os.WriteFile(tapOut, rl.tap.saved, 0o644); err != nil {
			return r, err
		}
		fmt.Fprintf(os.Stderr, "bench: saved %d bytes to %s\n", len(rl.tap.saved), tapOut)
	}
	return r, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// tail returns the last lines of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}

// machine describes where the benchmark ran.
type machine struct {
	CPUModel  string `json:"cpu_model"`
	NProc     int    `json:"nproc"`
	GoVersion string `json:"go_version"`
	FFmpeg    string `json:"ffmpeg"`
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

func machineInfo() machine {
	m := machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadavg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if out, err := exec.Command("ffmpeg", "-version").Output(); err == nil {
		m.FFmpeg, _, _ = strings.Cut(string(out), "\n")
	}
	return m
}

// loadavg returns the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func load1() float64 {
	var l float64
	fmt.Sscan(loadavg(), &l)
	return l
}
