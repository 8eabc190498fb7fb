package av1

import (
	"bytes"
	"errors"
	"testing"
	"time"

	mcav1 "github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/encodetest"
)

func TestRecord(t *testing.T) {
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{BitrateKbps: 800})
	if rec := e.Config().Record; rec != nil {
		t.Errorf("Record before the first packet: % x", rec)
	}
	p := readPacket(t, e)
	defer p.Release()
	cfg := e.Config()
	if cfg.Codec != encode.AV1 || cfg.Width != 640 || cfg.Height != 360 || cfg.FPS != 30 ||
		cfg.BitrateKbps != 800 || cfg.Encoder != EncoderName || cfg.SPS != nil || cfg.PPS != nil {
		t.Errorf("Config() = %+v", cfg)
	}
	rec := cfg.Record
	if len(rec) < 5 {
		t.Fatalf("Record is %d bytes", len(rec))
	}
	if rec[0] != 0x81 {
		t.Errorf("av1C marker/version byte %#x, want 0x81", rec[0])
	}
	var sh mcav1.SequenceHeader
	if err := sh.Unmarshal(rec[4:]); err != nil {
		t.Fatalf("configOBUs: %v", err)
	}
	if sh.Width() != 640 || sh.Height() != 360 {
		t.Errorf("sequence header is %dx%d", sh.Width(), sh.Height())
	}
	profile, level := rec[1]>>5, rec[1]&0x1f
	if profile != 0 || profile != sh.SeqProfile || level != sh.SeqLevelIdx[0] {
		t.Errorf("av1C profile %d level %d; sequence header profile %d level %d", profile, level, sh.SeqProfile, sh.SeqLevelIdx[0])
	}
	// Main profile, 8 bits, 4:2:0: tier 0, high_bitdepth 0, twelve_bit 0,
	// monochrome 0, subsampling_x 1, subsampling_y 1.
	if rec[2]&0xfc != 0x0c || rec[3] != 0 {
		t.Errorf("av1C bytes 2-3 = %#x %#x", rec[2], rec[3])
	}
	// The first key frame starts with the sequence header in Record.
	if !p.Keyframe || !bytes.HasPrefix(p.Data, rec[4:]) {
		t.Errorf("first packet: keyframe %v, starts with Record's sequence header: %v", p.Keyframe, bytes.HasPrefix(p.Data, rec[4:]))
	}

}

func TestPacketsKeyframesPTS(t *testing.T) {
	rec := &recorder{VideoSource: newPattern(t, 320, 180, 30, synth.Unpaced())}
	e := newEncoder(t, rec, Config{KeyInterval: time.Second, BitrateKbps: 500})
	const n = 75
	for i := range n {
		p := readPacket(t, e)
		pts, live := rec.PTS(), rec.Live()
		read, want := len(pts), pts[i]
		if read != i+2 || live != 0 {
			t.Fatalf("packet %d: %d frames read (want %d), %d not released", i, read, i+2, live)
		}
		if p.Kind != encode.Video || p.PTS != want || p.DTS != want {
			t.Errorf("packet %d: kind %v PTS %v DTS %v, want PTS = DTS = %v", i, p.Kind, p.PTS, p.DTS, want)
		}
		if wantKey := i%30 == 0; p.Keyframe != wantKey {
			t.Errorf("packet %d: keyframe %v, want %v", i, p.Keyframe, wantKey)
		}
		types := obuTypes(t, p.Data)
		if hasType(types, obuTemporalDelimiter) {
			t.Errorf("packet %d has a temporal delimiter: OBU types %v", i, types)
		}
		if hasType(types, obuSequenceHeader) != p.Keyframe {
			t.Errorf("packet %d: keyframe %v but OBU types %v", i, p.Keyframe, types)
		}
		p.Release()
	}
	if frames, busy := e.Work(); frames != n || busy <= 0 {
		t.Errorf("Work() = %d, %v; want %d frames and some time", frames, busy, n)
	}
}

// keyframesOf reads n packets and returns the indexes of the key frames,
// calling at(i) before reading packet i.
func keyframesOf(t *testing.T, e *Encoder, n int, at func(i int)) []int {
	t.Helper()
	var keys []int
	for i := range n {
		at(i)
		p := readPacket(t, e)
		if p.Keyframe {
			keys = append(keys, i)
		}
		p.Release()
	}
	return keys
}

func TestForceKeyframe(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30, synth.Unpaced()), Config{KeyInterval: 10 * time.Second})
	keys := keyframesOf(t, e, 40, func(i int) {
		if i == 10 || i == 25 || i == 26 {
			if err := e.ForceKeyframe(); err != nil {
				t.Fatal(err)
			}
		}
	})
	// The packet returned next is of a frame already in the encoder: the
	// key frame is the one after it (see the package doc). A request while
	// a key frame is in the encoder needs no other.
	if want := []int{0, 11, 26}; !equalInts(keys, want) {
		t.Errorf("key frames at %v, want %v", keys, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// encodeSeconds encodes secs seconds and returns the payload bitrate in
// kbit/s.
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

func TestSetBitrate(t *testing.T) {
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{BitrateKbps: 1200, KeyInterval: 10 * time.Second})
	first := encodeSeconds(t, e, 30, 3)
	if err := e.SetBitrate(300); err != nil {
		t.Fatal(err)
	}
	if got := e.Config().BitrateKbps; got != 300 {
		t.Errorf("Config().BitrateKbps = %d after SetBitrate(300)", got)
	}
	keys := keyframesOf(t, e, 3, func(int) {})
	second := encodeSeconds(t, e, 30, 4)
	t.Logf("1200 kbit/s target: %.0f kbit/s; after SetBitrate(300): %.0f kbit/s", first, second)
	if !equalInts(keys, []int{1}) {
		t.Errorf("key frames after SetBitrate at %v, want [1]", keys)
	}
	if first < 1200*0.8 || first > 1200*1.2 {
		t.Errorf("at 1200 kbit/s: %.0f", first)
	}
	if second < 300*0.7 || second > 300*1.3 {
		t.Errorf("after SetBitrate(300): %.0f kbit/s", second)
	}
	for _, bad := range []int{0, -1, maxBitrateKbps + 1} {
		if err := e.SetBitrate(bad); !errors.Is(err, errBitrate) {
			t.Errorf("SetBitrate(%d) = %v", bad, err)
		}
	}
	// The same bitrate again restarts nothing.
	if err := e.SetBitrate(300); err != nil {
		t.Fatal(err)
	}
	if keys := keyframesOf(t, e, 5, func(int) {}); len(keys) != 0 {
		t.Errorf("key frames at %v after setting the same bitrate", keys)
	}
}

// Controls may be used from other goroutines while packets are read.
func TestConcurrentControl(t *testing.T) {
	e := newEncoder(t, newPattern(t, 160, 96, 30, synth.Unpaced()), Config{})
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if err := e.SetBitrate(300 + i%5*100); err != nil {
				errc <- err
				return
			}
			if err := e.ForceKeyframe(); err != nil {
				errc <- err
				return
			}
			_ = e.Config()
			_, _ = e.Work()
			time.Sleep(time.Millisecond) // pace the control calls, not a wait
		}
	}()
	for range 40 {
		readPacket(t, e).Release()
	}
	close(done)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Padded frames with an offset origin encode to the same stream as
// compact ones.
func TestPaddedFrames(t *testing.T) {
	ring := newRing(t, 320, 180, 30, 4)
	padded := ring.WithPadding()
	a := newEncoder(t, ring, Config{})
	b := newEncoder(t, padded, Config{})
	for i := range 8 {
		pa, pb := readPacket(t, a), readPacket(t, b)
		if !bytes.Equal(pa.Data, pb.Data) {
			t.Errorf("packet %d differs: %d bytes compact, %d padded", i, len(pa.Data), len(pb.Data))
		}
		pa.Release()
		pb.Release()
	}
}

func TestNewValidates(t *testing.T) {
	for _, c := range []struct {
		name  string
		props capture.VideoProps
		cfg   Config
	}{
		{"size mismatch", capture.VideoProps{Width: 320, Height: 180, FPS: 30}, Config{Width: 640}},
		{"too small", capture.VideoProps{Width: 32, Height: 32, FPS: 30}, Config{}},
		{"odd", capture.VideoProps{Width: 321, Height: 180, FPS: 30}, Config{}},
		{"bitrate", capture.VideoProps{Width: 320, Height: 180, FPS: 30}, Config{BitrateKbps: -5}},
		{"key interval", capture.VideoProps{Width: 320, Height: 180, FPS: 30}, Config{KeyInterval: -time.Second}},
		{"preset low", capture.VideoProps{Width: 320, Height: 180, FPS: 30}, Config{Preset: -1}},
		{"preset high", capture.VideoProps{Width: 320, Height: 180, FPS: 30}, Config{Preset: 14}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &propsOnly{props: c.props}
			if e, err := New(src, c.cfg); err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if src.closed {
				t.Error("New closed the source on error")
			}
		})
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) succeeded")
	}
}

type propsOnly struct {
	capture.VideoSource
	props  capture.VideoProps
	closed bool
}

func (p *propsOnly) Props() capture.VideoProps { return p.props }
func (p *propsOnly) Close() error              { p.closed = true; return nil }

func TestWrongFrameSize(t *testing.T) {
	e := newEncoder(t, &sizeLiar{newPattern(t, 320, 180, 30, synth.Unpaced())}, Config{})
	if _, err := e.ReadPacket(t.Context()); err == nil {
		t.Fatal("ReadPacket accepted a 320x180 frame from a 640x360 source")
	}
}

type sizeLiar struct{ *synth.Pattern }

func (s *sizeLiar) Props() capture.VideoProps {
	return capture.VideoProps{Width: 640, Height: 360, FPS: 30}
}

func TestCloseAndCancel(t *testing.T) {
	// One frame per second: after the first packet, ReadPacket blocks in
	// the source.
	e := newEncoder(t, newPattern(t, 160, 96, 1), Config{})
	began := time.Now()
	readPacket(t, e).Release()
	t.Logf("first packet after %v (two frames of a 1 fps source)", time.Since(began))
	encodetest.CloseAndCancel(t, e)
	if err := e.SetBitrate(1000); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("SetBitrate after Close = %v", err)
	}
	if err := e.ForceKeyframe(); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("ForceKeyframe after Close = %v", err)
	}
}

// Close with frames in flight and right after New both release SVT-AV1.
func TestCloseStates(t *testing.T) {
	e, err := New(newPattern(t, 160, 96, 30, synth.Unpaced()), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = newEncoder(t, newPattern(t, 160, 96, 30, synth.Unpaced()), Config{})
	for range 3 {
		readPacket(t, e).Release()
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}
