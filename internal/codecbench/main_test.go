package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func needFFmpeg(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg not installed")
		}
		t.Skip("ffmpeg not installed")
	}
	return path
}

// The pattern written as raw I420 and read back gives the same bytes.
func TestRawRoundTrip(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.yuv")
	o := options{codec: "raw", out: raw, size: "64x36", fps: 30, frames: 3}
	if r, err := run(context.Background(), o); err != nil || r.frames != 3 {
		t.Fatalf("raw: %v, %v", r, err)
	}
	in, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 3*64*36*3/2 {
		t.Fatalf("%d bytes, want 3 frames", len(in))
	}
	again := filepath.Join(dir, "again.yuv")
	o.in, o.out, o.frames = raw, again, 0
	if r, err := run(context.Background(), o); err != nil || r.frames != 3 {
		t.Fatalf("raw from raw: %v, %v", r, err)
	}
	out, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, out) {
		t.Error("frames read back differ")
	}
}

// Each codec's stream decodes with ffmpeg without a message, frame for
// frame.
func TestStreamsDecode(t *testing.T) {
	ffmpeg := needFFmpeg(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.yuv")
	if _, err := run(context.Background(), options{codec: "raw", out: raw, size: "320x180", fps: 30, frames: 31}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"h264", "hevc", "av1"} {
		t.Run(c, func(t *testing.T) {
			out := filepath.Join(dir, "out."+c)
			o := options{codec: c, in: raw, out: out, size: "320x180", fps: 30, frames: 30, kbps: 300, keyint: 1e9}
			r, err := run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if r.frames != 30 || r.keyframes != 1 || r.bytes == 0 {
				t.Errorf("%v: want 30 frames, one keyframe", r)
			}
			msg, err := exec.Command(ffmpeg, "-v", "error", "-i", out, "-f", "null", "-").CombinedOutput()
			if err != nil || len(msg) != 0 {
				t.Fatalf("ffmpeg: %v\n%s", err, msg)
			}
			n, err := exec.Command(ffmpeg, "-v", "error", "-i", out, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			if len(n) != 30*320*180*3/2 {
				t.Errorf("decoded %d bytes, want 30 frames", len(n))
			}
		})
	}
}

// Too few frames in for the packets asked is an error, not a short file.
func TestShortInput(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.yuv")
	if _, err := run(context.Background(), options{codec: "raw", out: raw, size: "128x72", fps: 30, frames: 5}); err != nil {
		t.Fatal(err)
	}
	_, err := run(context.Background(), options{codec: "av1", in: raw, size: "128x72", fps: 30, frames: 5, kbps: 200, keyint: 1e9})
	if err == nil || !strings.Contains(err.Error(), "4 packets, want 5") {
		t.Errorf("5 frames for 5 AV1 packets: %v", err)
	}
}

func TestHvcCNALUnits(t *testing.T) {
	rec := make([]byte, 22)
	rec = append(rec, 2, // arrays
		0x20, 0, 1, 0, 2, 0x40, 0x01, // VPS
		0x21, 0, 2, 0, 1, 0x42, 0, 3, 1, 2, 3) // two SPS
	got, err := hvcCNALUnits(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{{0x40, 0x01}, {0x42}, {1, 2, 3}}
	if len(got) != len(want) {
		t.Fatalf("%x, want %x", got, want)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("NAL %d: %x, want %x", i, got[i], want[i])
		}
	}
	for n := range len(rec) {
		if _, err := hvcCNALUnits(rec[:n]); err == nil {
			t.Errorf("%d bytes of %d: no error", n, len(rec))
		}
	}
}

func FuzzHvcCNALUnits(f *testing.F) {
	f.Add(append(make([]byte, 22), 1, 0x20, 0, 1, 0, 1, 0x40))
	f.Fuzz(func(t *testing.T, rec []byte) {
		nals, err := hvcCNALUnits(rec)
		if err != nil {
			return
		}
		total := 0
		for _, n := range nals {
			total += len(n)
		}
		if total > len(rec) {
			t.Errorf("%d bytes of NAL units from %d", total, len(rec))
		}
	})
}
