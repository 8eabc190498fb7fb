package av1

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/capture/synth"
)

// needTool returns the path of a system tool, skipping the test when it is
// missing unless CI=true.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

// ivfWriter writes AV1 temporal units in an IVF file.
type ivfWriter struct {
	buf    bytes.Buffer
	frames uint32
}

func newIVF(w, h, fps int) *ivfWriter {
	iw := &ivfWriter{}
	hdr := make([]byte, 32)
	copy(hdr, "DKIF")
	binary.LittleEndian.PutUint16(hdr[4:], 0)  // version
	binary.LittleEndian.PutUint16(hdr[6:], 32) // header size
	copy(hdr[8:], "AV01")
	binary.LittleEndian.PutUint16(hdr[12:], uint16(w))
	binary.LittleEndian.PutUint16(hdr[14:], uint16(h))
	binary.LittleEndian.PutUint32(hdr[16:], uint32(fps)) // time base denominator
	binary.LittleEndian.PutUint32(hdr[20:], 1)           // numerator
	iw.buf.Write(hdr)
	return iw
}

// temporalDelimiter is the OBU our packets leave out.
var temporalDelimiter = []byte{0x12, 0x00}

func (iw *ivfWriter) write(data []byte, pts time.Duration, fps int) {
	var fh [12]byte
	binary.LittleEndian.PutUint32(fh[:], uint32(len(temporalDelimiter)+len(data)))
	binary.LittleEndian.PutUint64(fh[4:], uint64(pts*time.Duration(fps)/time.Second))
	iw.buf.Write(fh[:])
	iw.buf.Write(temporalDelimiter)
	iw.buf.Write(data)
	iw.frames++
	binary.LittleEndian.PutUint32(iw.buf.Bytes()[24:], iw.frames)
}

func TestDecodesWithFFmpeg(t *testing.T) {
	ffmpeg := needTool(t, "ffmpeg")
	const w, h, fps = 640, 360, 30
	e := newEncoder(t, newPattern(t, w, h, fps, synth.Unpaced()), Config{KeyInterval: time.Second, BitrateKbps: 800})
	ivf := newIVF(w, h, fps)
	const frames = 90
	for n := range frames {
		switch n {
		case 40:
			e.ForceKeyframe()
		case 60:
			e.SetBitrate(400)
		}
		p := readPacket(t, e)
		ivf.write(p.Data, p.PTS, fps)
		p.Release()
	}
	path := filepath.Join(t.TempDir(), "out.ivf")
	if err := os.WriteFile(path, ivf.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if ffprobe, err := exec.LookPath("ffprobe"); err == nil {
		out, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
			"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "av1,640,360,90" {
			t.Errorf("ffprobe: %q, want av1,640,360,90", got)
		}
	}
}
