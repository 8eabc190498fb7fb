package hevc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/encodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ encode.VideoEncoder = (*Encoder)(nil)

// recorder notes the frames an encoder reads.
type recorder = encodetest.Recorder

func newPattern(t testing.TB, w, h, fps int, opts ...synth.Option) *synth.Pattern {
	t.Helper()
	return encodetest.NewPattern(t, w, h, fps, opts...)
}

func newEncoder(t testing.TB, src capture.VideoSource, cfg Config) *Encoder {
	t.Helper()
	e, err := New(src, cfg)
	if err != nil {
		src.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func readPacket(t testing.TB, e *Encoder) *encode.Packet {
	t.Helper()
	return encodetest.ReadPacket(t, e)
}

// splitLengths splits a packet's length-prefixed NAL units, failing the
// test if it is malformed.
func splitLengths(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var nals [][]byte
	for len(data) > 0 {
		if len(data) < 4 {
			t.Fatalf("%d trailing bytes", len(data))
		}
		n := int(binary.BigEndian.Uint32(data))
		if n < 2 || n > len(data)-4 {
			t.Fatalf("NAL length %d with %d bytes left", n, len(data)-4)
		}
		nals = append(nals, data[4:4+n])
		data = data[4+n:]
	}
	return nals
}

// checkSlices fails the test unless p holds only coded slices, IDR ones
// exactly when p is a keyframe.
func checkSlices(t testing.TB, n int, p *encode.Packet) {
	t.Helper()
	nals := splitLengths(t, p.Data)
	if len(nals) == 0 {
		t.Errorf("packet %d: no NAL units", n)
	}
	for _, nal := range nals {
		typ := nalType(nal)
		if typ >= nalFirstNonVCL {
			t.Errorf("packet %d: NAL type %d (not a slice)", n, typ)
		}
		if isIDR(typ) != p.Keyframe {
			t.Errorf("packet %d: NAL type %d in a packet with keyframe %v", n, typ, p.Keyframe)
		}
	}
}

func TestFirstPacketAndConfig(t *testing.T) {
	rec := &recorder{VideoSource: newPattern(t, 640, 360, 30, synth.Unpaced())}
	e := newEncoder(t, rec, Config{BitrateKbps: 800})
	p := readPacket(t, e)
	defer p.Release()
	if !p.Keyframe || p.Kind != encode.Video {
		t.Fatalf("first packet: kind %v keyframe %v", p.Kind, p.Keyframe)
	}
	if p.PTS != rec.PTS()[0] || p.DTS != p.PTS {
		t.Errorf("first packet PTS %v DTS %v, frame PTS %v", p.PTS, p.DTS, rec.PTS()[0])
	}
	checkSlices(t, 0, p)
	cfg := e.Config()
	if cfg.Codec != encode.HEVC || cfg.Width != 640 || cfg.Height != 360 || cfg.FPS != 30 ||
		cfg.BitrateKbps != 800 || cfg.Encoder != EncoderName || cfg.SPS != nil || cfg.PPS != nil || len(cfg.Record) == 0 {
		t.Errorf("config %+v", cfg)
	}
	if n := rec.Live(); n != 0 {
		t.Errorf("%d frames not released after encoding", n)
	}
}

func TestKeyframesAndPTS(t *testing.T) {
	rec := &recorder{VideoSource: newPattern(t, 320, 180, 30, synth.Unpaced())}
	e := newEncoder(t, rec, Config{BitrateKbps: 500, KeyInterval: time.Second})
	for n := range 100 {
		p := readPacket(t, e)
		if want := n%30 == 0; p.Keyframe != want {
			t.Errorf("packet %d: keyframe %v, want %v", n, p.Keyframe, want)
		}
		if p.PTS != rec.PTS()[n] || p.DTS != p.PTS {
			t.Errorf("packet %d: PTS %v DTS %v, frame PTS %v", n, p.PTS, p.DTS, rec.PTS()[n])
		}
		checkSlices(t, n, p)
		p.Release()
	}
}

// Work counts the frames encoded and the time spent on them, without the
// time spent waiting for the source.
func TestWorkCountsEncodingOnly(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 5), Config{BitrateKbps: 300})
	began := time.Now()
	for range 6 {
		readPacket(t, e).Release()
	}
	waited := time.Since(began) // at least five frame intervals (1 s) of a paced source
	frames, busy := e.Work()
	if frames != 6 || busy <= 0 {
		t.Fatalf("Work() = %d frames, %v; want 6 frames and some time", frames, busy)
	}
	if busy > waited/2 {
		t.Errorf("Work() says %v busy over %v, most of which was spent waiting for a 5 fps source", busy, waited)
	}
}

func TestForceKeyframe(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30, synth.Unpaced()), Config{KeyInterval: 10 * time.Second})
	for n := range 40 {
		if n == 10 || n == 25 {
			if err := e.ForceKeyframe(); err != nil {
				t.Fatal(err)
			}
		}
		p := readPacket(t, e)
		if want := n == 0 || n == 10 || n == 25; p.Keyframe != want {
			t.Errorf("packet %d: keyframe %v, want %v", n, p.Keyframe, want)
		}
		checkSlices(t, n, p)
		p.Release()
	}
}

// encodeSeconds encodes secs seconds of the unpaced pattern and returns the
// packets' payload bitrate in kbit/s.
func encodeSeconds(t testing.TB, e *Encoder, fps int, secs float64) float64 {
	t.Helper()
	n := int(secs * float64(fps))
	total := 0
	for range n {
		p := readPacket(t, e)
		total += len(p.Data)
		p.Release()
	}
	return float64(total) * 8 / 1000 / (float64(n) / float64(fps))
}

func TestBitrate(t *testing.T) {
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{BitrateKbps: 1000})
	got := encodeSeconds(t, e, 30, 6)
	t.Logf("640x360@30 target 1000 kbit/s: got %.0f kbit/s", got)
	if got < 900 || got > 1100 {
		t.Errorf("%.0f kbit/s is not within 10%% of 1000", got)
	}
}

func TestSetBitrate(t *testing.T) {
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{BitrateKbps: 1200})
	first := encodeSeconds(t, e, 30, 3)
	if err := e.SetBitrate(400); err != nil {
		t.Fatal(err)
	}
	if got := e.Config().BitrateKbps; got != 400 {
		t.Errorf("Config().BitrateKbps = %d after SetBitrate(400)", got)
	}
	settle := encodeSeconds(t, e, 30, 1)
	second := encodeSeconds(t, e, 30, 3)
	t.Logf("1200 kbit/s target: %.0f; after SetBitrate(400): %.0f in the first second, %.0f in the next 3 s", first, settle, second)
	if first < 1200*0.8 || first > 1200*1.2 { // the first IDR frame weighs on 3 s
		t.Errorf("before SetBitrate: %.0f kbit/s", first)
	}
	if second < 400*0.85 || second > 400*1.15 {
		t.Errorf("after SetBitrate(400): %.0f kbit/s", second)
	}
	if err := e.SetBitrate(0); err == nil {
		t.Error("SetBitrate(0) succeeded")
	}
	// 360p30 at 1200 kbit/s is level 2.1, which allows 3 Mbit/s at most.
	if err := e.SetBitrate(3001); !errors.Is(err, ErrBitrateAboveLevel) {
		t.Errorf("SetBitrate(3001) = %v, want ErrBitrateAboveLevel", err)
	}
	if err := e.SetBitrate(3000); err != nil {
		t.Errorf("SetBitrate(3000) = %v", err)
	}
	if err := e.SetBitrate(400); err != nil {
		t.Fatal(err)
	}
	if got := e.Config().BitrateKbps; got != 400 {
		t.Errorf("Config().BitrateKbps = %d after a refused SetBitrate", got)
	}
	readPacket(t, e).Release()
}

// A starting bitrate that needs a higher level than the picture does
// (180p30 at 2.5 Mbit/s: level 2.1, where the picture fits level 2 up to
// 1.5 Mbit/s) must not stop the bitrate from going lower: x265 would
// ignore a change of level, so the level is pinned.
func TestSetBitrateBelowStartingLevel(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30, synth.Unpaced()), Config{BitrateKbps: 2500})
	r, err := parseRecord(e.Config().Record)
	if err != nil {
		t.Fatal(err)
	}
	if r.level != 63 {
		t.Errorf("level_idc %d, want 63 (2.1)", r.level)
	}
	first := encodeSeconds(t, e, 30, 2)
	if err := e.SetBitrate(300); err != nil {
		t.Fatal(err)
	}
	encodeSeconds(t, e, 30, 1)
	second := encodeSeconds(t, e, 30, 3)
	t.Logf("2500 kbit/s target: %.0f; after SetBitrate(300): %.0f", first, second)
	if second < 300*0.8 || second > 300*1.2 {
		t.Errorf("after SetBitrate(300): %.0f kbit/s", second)
	}
}

// A rise in bitrate waits for the next IDR frame due: no frame more is an
// IDR frame for it. A drop by more than a third makes the next frame one.
func TestSetBitrateAtKeyframes(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30, synth.Unpaced()), Config{BitrateKbps: 150, KeyInterval: time.Second})
	record := e.Config().Record
	var sizes [4]int // bytes per second
	for n := range 120 {
		switch n {
		case 10:
			if err := e.SetBitrate(600); err != nil {
				t.Fatal(err)
			}
		case 70:
			if err := e.SetBitrate(150); err != nil {
				t.Fatal(err)
			}
		}
		p := readPacket(t, e)
		// The forced IDR frame at 70 starts the next interval.
		if want := n == 0 || n == 30 || n == 60 || n == 70 || n == 100; p.Keyframe != want {
			t.Errorf("packet %d: keyframe %v, want %v", n, p.Keyframe, want)
		}
		sizes[n/30] += len(p.Data)
		p.Release()
	}
	t.Logf("kbit/s per second: %d %d %d %d (150, 600 from 1 s, 150 from 70/30 s)",
		sizes[0]*8/1000, sizes[1]*8/1000, sizes[2]*8/1000, sizes[3]*8/1000)
	if sizes[1] < 2*sizes[0] || sizes[3] > sizes[1]/2 {
		t.Errorf("bytes per second %v: the rise did not apply at 1 s or the drop at 70/30 s", sizes)
	}
	if !bytes.Equal(e.Config().Record, record) {
		t.Error("Record changed")
	}
}

// Controls may be used from other goroutines while packets are read.
func TestConcurrentControl(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30, synth.Unpaced()), Config{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if err := e.SetBitrate(300 + i%5*100); err != nil {
				t.Error(err)
				return
			}
			if err := e.ForceKeyframe(); err != nil {
				t.Error(err)
				return
			}
			_ = e.Config()
			_, _ = e.Work()
		}
	})
	for n := range 60 {
		p := readPacket(t, e)
		checkSlices(t, n, p)
		p.Release()
	}
	close(done)
	wg.Wait()
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{Width: 640},
		{FPS: 25},
		{BitrateKbps: -1},
		{KeyInterval: -time.Second},
		{Preset: "warp"},
	} {
		src := newPattern(t, 320, 180, 30)
		if e, err := New(src, cfg); err == nil {
			e.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
		src.Close()
	}
	src := newPattern(t, 320, 180, 30)
	if _, err := New(src, Config{Preset: "warp"}); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("New with preset warp = %v", err)
	}
	src.Close()
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	for _, preset := range Presets() {
		src := newPattern(t, 320, 180, 30)
		e, err := New(src, Config{Preset: strings.ToUpper(preset)})
		if err != nil {
			src.Close()
			t.Errorf("preset %s: %v", preset, err)
			continue
		}
		e.Close()
	}
	if got := (Config{FPS: 30, KeyInterval: 2 * time.Second}).KeyIntervalFrames(); got != 60 {
		t.Errorf("KeyIntervalFrames = %d", got)
	}
	if got := (Config{FPS: 30, KeyInterval: time.Millisecond}).KeyIntervalFrames(); got != 1 {
		t.Errorf("KeyIntervalFrames = %d", got)
	}
}

// A source that fails with a frame of the wrong size gives a clear error.
func TestWrongFrameSize(t *testing.T) {
	src := &sizeLiar{newPattern(t, 320, 180, 30, synth.Unpaced())}
	e := newEncoder(t, src, Config{})
	if _, err := e.ReadPacket(context.Background()); err == nil || !strings.Contains(err.Error(), "want 640x360") {
		t.Errorf("ReadPacket = %v", err)
	}
}

type sizeLiar struct{ *synth.Pattern }

func (s *sizeLiar) Props() capture.VideoProps {
	return capture.VideoProps{Width: 640, Height: 360, FPS: 30}
}

func TestCloseAndCancel(t *testing.T) {
	// One frame per second: the second ReadPacket blocks in the source.
	e := newEncoder(t, newPattern(t, 320, 180, 1), Config{})
	readPacket(t, e).Release()
	encodetest.CloseAndCancel(t, e)
	if err := e.SetBitrate(1000); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("SetBitrate after Close = %v", err)
	}
	if err := e.ForceKeyframe(); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("ForceKeyframe after Close = %v", err)
	}
}

// needFFmpeg returns ffmpeg's path, skipping the test when it is missing
// unless CI=true.
func needFFmpeg(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg is needed in CI")
		}
		t.Skip("ffmpeg not installed")
	}
	return path
}
