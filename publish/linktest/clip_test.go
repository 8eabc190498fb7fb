package linktest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"studio/encode"
	"studio/internal/testpeer"
	"studio/publish/flv"
)

// smallClip is a quick clip for tests; it is encoded once.
var smallClip = sync.OnceValues(func() (*Clip, error) {
	return EncodeClip(context.Background(), ClipConfig{Width: 320, Height: 180, FPS: 30, Length: time.Second, VideoKbps: 500})
})

func testClip(t *testing.T) *Clip {
	t.Helper()
	c, err := smallClip()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nalus splits AVCC data into NAL units.
func nalus(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("%d bytes left, too few for a length", len(b))
		}
		n := int(binary.BigEndian.Uint32(b))
		if n == 0 || n > len(b)-4 {
			t.Fatalf("NAL unit of %d bytes with %d left", n, len(b)-4)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

func TestAppendPadded(t *testing.T) {
	frame := []byte{0, 0, 0, 3, 0x41, 0x9a, 0x02}
	for _, size := range []int{0, 7, 12, 13, 14, 100, 83333} {
		got := appendPadded(nil, frame, size)
		if !bytes.Equal(got[:len(frame)], frame) {
			t.Fatalf("size %d: the frame is not kept first", size)
		}
		units := nalus(t, got)
		if size-len(frame) < fillerOverhead {
			if len(got) != len(frame) {
				t.Errorf("size %d: %d bytes, want the frame alone (%d)", size, len(got), len(frame))
			}
			continue
		}
		if len(got) != size {
			t.Errorf("size %d: %d bytes", size, len(got))
		}
		f := units[len(units)-1]
		if f[0] != naluFiller || f[len(f)-1] != 0x80 || bytes.Count(f[1:len(f)-1], []byte{0xff}) != len(f)-2 {
			t.Errorf("size %d: the last NAL unit is not filler data: % x…", size, f[:min(len(f), 8)])
		}
	}
}

func TestEncodeClip(t *testing.T) {
	c := testClip(t)
	if c.Frames() != 30 {
		t.Errorf("%d frames, want 30", c.Frames())
	}
	if !c.frames[0].key {
		t.Error("the first frame is not a keyframe")
	}
	for i, f := range c.frames[1:] {
		if f.key {
			t.Errorf("frame %d is a keyframe: the clip should be one group of pictures", i+1)
		}
	}
	if len(c.Video.SPS) == 0 || len(c.Video.PPS) == 0 || c.Video.Width != 320 || c.Video.FPS != 30 {
		t.Errorf("video config %+v", c.Video)
	}
	if len(c.audio) != audioPackets || len(c.Audio.ASC) == 0 || c.Audio.SampleRate != clipSampleRate {
		t.Errorf("%d audio packets, config %+v", len(c.audio), c.Audio)
	}
	if c.EncodeFPS <= 0 || c.PixelRate() != 320*180*c.EncodeFPS {
		t.Errorf("EncodeFPS %v, PixelRate %v", c.EncodeFPS, c.PixelRate())
	}
	t.Logf("x264 %s encodes 320x180 at %.0f fps here (%.1f Mpixel/s)", c.Preset, c.EncodeFPS, c.PixelRate()/1e6)
}

func TestEncodeClipCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := EncodeClip(ctx, ClipConfig{Width: 160, Height: 90}); !errors.Is(err, context.Canceled) {
		t.Errorf("EncodeClip with a cancelled context: %v, want context.Canceled", err)
	}
}

// limitWriter passes n packets on, then fails.
type limitWriter struct {
	w    packetWriter
	n    int
	last time.Duration // DTS of the last packet
}

var errEnough = errors.New("enough")

func (l *limitWriter) WritePacket(p *encode.Packet) error {
	if l.n == 0 {
		return errEnough
	}
	if p.DTS < l.last {
		return errors.New("DTS went back")
	}
	l.n--
	l.last = p.DTS
	return l.w.WritePacket(p)
}

// TestLoopDecodes writes the looped, padded clip (three loops) to an FLV
// file, which ffmpeg must decode without a single error.
func TestLoopDecodes(t *testing.T) {
	c := testClip(t)
	path := filepath.Join(t.TempDir(), "loop.flv")
	w, err := flv.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(encode.StreamInfo{Video: c.Video, Audio: c.Audio}); err != nil {
		t.Fatal(err)
	}
	// 3 s: 90 frames and 141 audio frames (and the one that ends it).
	lw := &limitWriter{w: w, n: 90 + 141}
	snd := newSender(c, lw, 8000)
	err = snd.run(context.Background(), time.Now().Add(-time.Hour)) // nothing is due later: no waiting
	if !errors.Is(err, errEnough) {
		t.Fatalf("sender: %v", err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := uint64(90*(8000*1000/8/30)) + 141*uint64(len(c.audio[0])); snd.sent < want*9/10 {
		t.Errorf("sent %d bytes, want about %d", snd.sent, want)
	}
	rec := testpeer.Probe(t, path)
	if rec.VideoCodec != "h264" || rec.AudioCodec != "aac" || rec.VideoFrames != 90 || rec.Width != 320 {
		t.Errorf("recording: %s %dx%d, %d frames; %s", rec.VideoCodec, rec.Width, rec.Height, rec.VideoFrames, rec.AudioCodec)
	}
	if g := testpeer.MaxGap(rec.VideoPTS); g > 0.04 {
		t.Errorf("a %.3f s gap in the video: the loop's timestamps do not continue", g)
	}
	if errs := testpeer.DecodeErrors(t, path); errs != "" {
		t.Errorf("the looped clip does not decode cleanly:\n%s", errs)
	}
}
