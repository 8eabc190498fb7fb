package hevc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/capture/synth"
	"studio/encode/encodetest"
)

// annexBStream encodes frames packets and writes them as an Annex-B
// stream, with the Record's VPS, SPS and PPS before each keyframe, as a
// player that receives packets and Record would rebuild it.
func annexBStream(t testing.TB, e *Encoder, frames int) []byte {
	t.Helper()
	r, err := parseRecord(e.Config().Record)
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	for n := range frames {
		p := readPacket(t, e)
		if p.Keyframe {
			for _, a := range r.arrays {
				for _, nal := range a.nals {
					file.Write([]byte{0, 0, 0, 1})
					file.Write(nal)
				}
			}
		}
		checkSlices(t, n, p)
		for _, nal := range splitLengths(t, p.Data) {
			file.Write([]byte{0, 0, 0, 1})
			file.Write(nal)
		}
		p.Release()
	}
	return file.Bytes()
}

func TestDecodesWithFFmpeg(t *testing.T) {
	ffmpeg := needFFmpeg(t)
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{KeyInterval: time.Second})
	const frames = 90
	var file []byte
	file = append(file, annexBStream(t, e, 45)...)
	e.ForceKeyframe()
	file = append(file, annexBStream(t, e, 20)...)
	if err := e.SetBitrate(500); err != nil { // a new x265 from here
		t.Fatal(err)
	}
	file = append(file, annexBStream(t, e, frames-65)...)
	path := filepath.Join(t.TempDir(), "out.h265")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Log("ffprobe not installed: frames not counted")
		return
	}
	out, err = exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,profile,width,height,pix_fmt,nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "hevc,Main,640,360,yuv420p,90" {
		t.Errorf("ffprobe: %q, want hevc,Main,640,360,yuv420p,90", got)
	}
}

// newRing renders count frames of the synth pattern (encodetest.Ring).
func newRing(t testing.TB, w, h, fps, count int) *encodetest.Ring {
	return encodetest.NewRing(t, w, h, fps, count)
}

// Padded frames are handed to x265 with their strides and origin: the
// stream is the same as for the tight frames. (x265's output does not
// depend on its threads, so the bitstreams can be compared.)
func TestPaddedFrames(t *testing.T) {
	ring := newRing(t, 320, 180, 30, 5)
	padded := ring.WithPadding()
	tight := newEncoder(t, ring, Config{})
	loose := newEncoder(t, padded, Config{})
	for n := range 10 {
		a, b := readPacket(t, tight), readPacket(t, loose)
		if !bytes.Equal(a.Data, b.Data) || a.Keyframe != b.Keyframe {
			t.Errorf("frame %d: padded frame encodes differently (%d vs %d bytes)", n, len(b.Data), len(a.Data))
		}
		a.Release()
		b.Release()
	}
}

func TestTrimStartCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"\x00\x00\x00\x01\x40\x01\x0c", "\x40\x01\x0c"},
		{"\x00\x00\x01\x26\x01\xaf", "\x26\x01\xaf"},
		{"\x00\x00\x01\x26", ""},
		{"\x00\x00\x02\x26\x01", ""},
		{"\x00\x01\x26\x01", ""},
		{"", ""},
	} {
		got, err := trimStartCode([]byte(c.in))
		if c.want == "" {
			if err == nil {
				t.Errorf("% x: got % x, want an error", c.in, got)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("% x: got % x, %v; want % x", c.in, got, err, c.want)
		}
	}
}

func FuzzTrimStartCode(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01\x40\x01\x0c"))
	f.Add([]byte("\x00\x00\x01\x26\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := trimStartCode(b)
		if err != nil {
			return
		}
		if len(got) < 2 || !bytes.HasSuffix(b, got) || len(b)-len(got) < 3 || len(b)-len(got) > 4 {
			t.Fatalf("% x → % x", b, got)
		}
	})
}
