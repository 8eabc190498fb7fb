package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// smallDisk mounts a tmpfs of size bytes for the test, as a disk that fills
// up. It needs root.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("a small disk needs root")
		}
		t.Skip("a small disk needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// A recording on a disk that fills up stops with a clear notice; the
// stream goes on to the end, and what was recorded plays.
func TestRecordingDiskFull(t *testing.T) {
	disk := smallDisk(t, "2m")
	n := testpeer.StartNginx(t)
	rec := filepath.Join(disk, "full.flv")
	const key = "disk-full"
	r := studio(t, 60*time.Second, nil, "-headless", "-size", "1280x720", "-fps", "30", "-bitrate", "2500",
		"-duration", "15s", "-record", rec, "-stats-json", "-", "-url", n.RTMPURL+"/"+key)
	if r.code != 0 {
		t.Fatalf("studio exited %d", r.code)
	}
	if !strings.Contains(r.stderr, "recording stopped") || !strings.Contains(r.stderr, "no space left on device") {
		t.Errorf("no notice that the recording stopped because the disk is full:\n%s", r.stderr)
	}
	if final := finalStats(t, r.stdout); final.Recording || final.FramesDropped != 0 {
		t.Errorf("final stats: recording %v, %d frames dropped; want false, 0", final.Recording, final.FramesDropped)
	}
	n.Stop(t)
	recs := n.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v", recs)
	}
	testpeer.Check(t, testpeer.Probe(t, recs[0]), testpeer.Expect{Width: 1280, Height: 720, FPS: 30, Seconds: 15, SampleRate: 48000, Channels: 2,
		Skipped: finalStats(t, r.stdout).FramesSkipped})
	partial := testpeer.Probe(t, rec)
	t.Logf("partial recording: %.2f s, %d video frames", partial.Duration, partial.VideoFrames)
	if partial.VideoFrames < 30 {
		t.Errorf("the partial recording has %d video frames", partial.VideoFrames)
	}
	if errs := testpeer.DecodeErrors(t, rec); errs != "" {
		t.Errorf("the partial recording does not decode cleanly:\n%s", errs)
	}
}

// A recording into a pipe that drains at 20 kB/s (a disk that stalls)
// never holds up the stream, and studio still ends on time.
func TestRecordingIntoStalledPipe(t *testing.T) {
	n := testpeer.StartNginx(t)
	fifo := filepath.Join(t.TempDir(), "slow.flv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	drained := make(chan int64, 1)
	reader, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// 2 kB every 100 ms: the pace of the slow disk, not a wait.
		defer reader.Close()
		buf := make([]byte, 2000)
		var total int64
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			n, err := reader.Read(buf)
			total += int64(n)
			if err != nil { // EOF: studio closed the recording
				drained <- total
				return
			}
		}
	}()
	const key = "slow-pipe"
	r := studio(t, 60*time.Second, nil, append(full720p, "-record", fifo, "-stats-json", "-", "-url", n.RTMPURL+"/"+key)...)
	if r.code != 0 {
		t.Fatalf("studio exited %d", r.code)
	}
	// 10 s of stream, then at most recordDrain (3 s) for the recording
	// that cannot drain, and start-up and close on a slow machine.
	if r.elapsed > 17*time.Second {
		t.Errorf("10 s of stream took %v with a stalled recording, want ≤ 17 s", r.elapsed)
	}
	final := finalStats(t, r.stdout)
	if final.FramesDropped != 0 {
		t.Errorf("%d frames dropped from the stream", final.FramesDropped)
	}
	t.Logf("final stats: %d frames sent, %d skipped by the source, %d dropped", final.FramesSent, final.FramesSkipped, final.FramesDropped)
	if !strings.Contains(r.stderr, "too slow") {
		t.Errorf("no notice that the disk is too slow:\n%s", r.stderr)
	}
	select {
	case got := <-drained:
		t.Logf("the slow disk took %d bytes", got)
	case <-time.After(5 * time.Second):
		t.Error("the recording's pipe was not closed")
	}
	n.Stop(t)
	recs := n.Recordings(t, key)
	if len(recs) != 1 {
		t.Fatalf("nginx recorded %v", recs)
	}
	want := want720p
	want.Skipped = final.FramesSkipped
	testpeer.Check(t, testpeer.Probe(t, recs[0]), want)
}
