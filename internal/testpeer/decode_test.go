package testpeer

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDecodeErrorsJudgesTimestamps checks the decode check itself on an
// FLV whose video starts slower than it goes on, as when a loaded source
// skips frames: it is clean, and the same file with one repeated video
// timestamp is not.
func TestDecodeErrorsJudgesTimestamps(t *testing.T) {
	ff := Require(t, "ffmpeg")[0]
	dir := t.TempDir()
	src := filepath.Join(dir, "src.flv")
	out, err := exec.Command(ff, "-nostdin", "-v", "error",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
		"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
		"-c:a", "aac", "-f", "flv", src).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// The first 40 video frames 45 ms apart (22.2 fps), the rest 33 ms
	// apart (30 fps).
	retime := func(i int) uint32 {
		if i < 40 {
			return uint32(i * 45)
		}
		return uint32(40*45 + (i-40)*33)
	}
	slow := rewriteVideoTimestamps(t, data, retime)
	slowPath := filepath.Join(dir, "slow-start.flv")
	if err := os.WriteFile(slowPath, slow, 0o644); err != nil {
		t.Fatal(err)
	}
	if errs := DecodeErrors(t, slowPath); errs != "" {
		t.Errorf("a clean file with a slow start is reported:\n%s", errs)
	}
	repeated := rewriteVideoTimestamps(t, data, func(i int) uint32 {
		if i == 70 {
			return retime(69)
		}
		return retime(i)
	})
	repeatedPath := filepath.Join(dir, "repeated.flv")
	if err := os.WriteFile(repeatedPath, repeated, 0o644); err != nil {
		t.Fatal(err)
	}
	if errs := DecodeErrors(t, repeatedPath); errs == "" {
		t.Error("a file with a repeated video timestamp is reported clean")
	}
}

// rewriteVideoTimestamps returns a copy of an FLV file in which the i-th
// video tag after the sequence header has timestamp at(i).
func rewriteVideoTimestamps(t *testing.T, flv []byte, at func(i int) uint32) []byte {
	t.Helper()
	const fileHeader, tagHeader = 9 + 4, 11
	b := append([]byte(nil), flv...)
	frame := -1 // the AVC sequence header comes first
	for off := fileHeader; off+tagHeader <= len(b); {
		size := int(b[off+1])<<16 | int(b[off+2])<<8 | int(b[off+3])
		if off+tagHeader+size+4 > len(b) {
			t.Fatalf("truncated tag at %d", off)
		}
		if b[off]&0x1f == 9 {
			if frame >= 0 {
				ts := at(frame)
				b[off+4], b[off+5], b[off+6], b[off+7] = byte(ts>>16), byte(ts>>8), byte(ts), byte(ts>>24)
			}
			frame++
		}
		off += tagHeader + size
		if got := int(binary.BigEndian.Uint32(b[off:])); got != tagHeader+size {
			t.Fatalf("previous tag size %d at %d, want %d", got, off, tagHeader+size)
		}
		off += 4
	}
	if frame < 100 {
		t.Fatalf("only %d video frames", frame)
	}
	return b
}
