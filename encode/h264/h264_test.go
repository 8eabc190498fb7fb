package h264

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/x264"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
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

// parseAVCC splits an AVCC payload, failing the test if it is malformed.
func parseAVCC(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var nalus [][]byte
	for len(data) > 0 {
		if len(data) < 4 {
			t.Fatalf("AVCC: %d trailing bytes", len(data))
		}
		n := int(binary.BigEndian.Uint32(data))
		if n == 0 || n > len(data)-4 {
			t.Fatalf("AVCC: NAL length %d with %d bytes left", n, len(data)-4)
		}
		nalus = append(nalus, data[4:4+n])
		data = data[4+n:]
	}
	return nalus
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
	cfg := e.Config()
	if cfg.Width != 640 || cfg.Height != 360 || cfg.FPS != 30 || cfg.BitrateKbps != 800 || cfg.Encoder != EncoderName {
		t.Errorf("config %+v", cfg)
	}
	if len(cfg.SPS) == 0 || naluType(cfg.SPS) != naluSPS || len(cfg.PPS) == 0 || naluType(cfg.PPS) != naluPPS {
		t.Fatalf("SPS % x PPS % x", cfg.SPS, cfg.PPS)
	}
	var sps mch264.SPS
	if err := sps.Unmarshal(cfg.SPS); err != nil {
		t.Fatalf("SPS does not parse: %v", err)
	}
	if sps.Width() != 640 || sps.Height() != 360 {
		t.Errorf("SPS says %dx%d", sps.Width(), sps.Height())
	}
	if sps.ProfileIdc != 100 {
		t.Errorf("profile_idc %d, want 100 (High)", sps.ProfileIdc)
	}
	hasIDR := false
	for _, n := range parseAVCC(t, p.Data) {
		switch naluType(n) {
		case naluIDR:
			hasIDR = true
		case naluSPS, naluPPS, naluSEI, naluAUD:
			t.Errorf("packet carries NAL type %d", naluType(n))
		}
	}
	if !hasIDR {
		t.Error("first packet has no IDR slice")
	}
	if n := rec.Live(); n != 0 {
		t.Errorf("%d frames not released after encoding", n)
	}
}

func TestKeyframesPTSAndAVCC(t *testing.T) {
	rec := &recorder{VideoSource: newPattern(t, 320, 180, 30, synth.Unpaced())}
	e := newEncoder(t, rec, Config{BitrateKbps: 500, KeyInterval: time.Second, Preset: "ultrafast"})
	for n := range 100 {
		p := readPacket(t, e)
		if want := n%30 == 0; p.Keyframe != want {
			t.Errorf("packet %d: keyframe %v, want %v", n, p.Keyframe, want)
		}
		if p.PTS != rec.PTS()[n] || p.DTS != p.PTS {
			t.Errorf("packet %d: PTS %v DTS %v, frame PTS %v", n, p.PTS, p.DTS, rec.PTS()[n])
		}
		for _, nalu := range parseAVCC(t, p.Data) {
			typ := naluType(nalu)
			if typ != naluSlice && typ != naluIDR {
				t.Errorf("packet %d: NAL type %d", n, typ)
			}
			if (typ == naluIDR) != p.Keyframe {
				t.Errorf("packet %d: NAL type %d in a packet with keyframe %v", n, typ, p.Keyframe)
			}
		}
		p.Release()
	}
}

// Work counts the frames encoded and the time spent on them, without the
// time spent waiting for the source.
func TestWorkCountsEncodingOnly(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 20), Config{BitrateKbps: 300, Preset: "ultrafast"})
	began := time.Now()
	for range 6 {
		readPacket(t, e).Release()
	}
	waited := time.Since(began) // at least five frame intervals of a paced source
	frames, busy := e.Work()
	if frames != 6 || busy <= 0 {
		t.Fatalf("Work() = %d frames, %v; want 6 frames and some time", frames, busy)
	}
	if busy > waited/2 {
		t.Errorf("Work() says %v busy over %v, most of which was spent waiting for a 20 fps source", busy, waited)
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

func checkBitrate(t *testing.T, w, h, fps, kbps int) {
	e := newEncoder(t, newPattern(t, w, h, fps, synth.Unpaced()), Config{BitrateKbps: kbps})
	got := encodeSeconds(t, e, fps, 10)
	t.Logf("%dx%d@%d target %d kbit/s: got %.0f kbit/s (%+.1f%%)", w, h, fps, kbps, got, (got/float64(kbps)-1)*100)
	if got < float64(kbps)*0.9 || got > float64(kbps)*1.1 {
		t.Errorf("%dx%d@%d: %.0f kbit/s is not within 10%% of %d", w, h, fps, got, kbps)
	}
}

func TestBitrate(t *testing.T) {
	t.Run("360p30", func(t *testing.T) { checkBitrate(t, 640, 360, 30, 1000) })
	t.Run("360p60", func(t *testing.T) { checkBitrate(t, 640, 360, 60, 1000) })
	t.Run("720p30", func(t *testing.T) {
		if testing.Short() {
			t.Skip("slow: 10 s of 720p")
		}
		checkBitrate(t, 1280, 720, 30, 2500)
	})
}

func TestSetBitrate(t *testing.T) {
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{BitrateKbps: 1200})
	first := encodeSeconds(t, e, 30, 4)
	if err := e.SetBitrate(400); err != nil {
		t.Fatal(err)
	}
	if got := e.Config().BitrateKbps; got != 400 {
		t.Errorf("Config().BitrateKbps = %d after SetBitrate(400)", got)
	}
	// x264's ABR takes a few seconds to settle after a change: it
	// undershoots first (see the package doc).
	settle := encodeSeconds(t, e, 30, 4)
	second := encodeSeconds(t, e, 30, 8)
	t.Logf("1200 kbit/s target: %.0f; after SetBitrate(400): %.0f in the first 4 s, %.0f in the next 8 s", first, settle, second)
	if second < 400*0.75 || second > 400*1.25 {
		t.Errorf("after SetBitrate(400): %.0f kbit/s", second)
	}
	if err := e.SetBitrate(0); err == nil {
		t.Error("SetBitrate(0) succeeded")
	}
}

// Controls may be used from other goroutines while packets are read.
func TestConcurrentControl(t *testing.T) {
	e := newEncoder(t, newPattern(t, 320, 180, 30, synth.Unpaced()), Config{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
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
		}
	}()
	for range 60 {
		readPacket(t, e).Release()
	}
	close(done)
	wg.Wait()
}

func TestDecodesWithFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	e := newEncoder(t, newPattern(t, 640, 360, 30, synth.Unpaced()), Config{KeyInterval: time.Second})
	var file bytes.Buffer
	const frames = 90
	for n := range frames {
		if n == 45 {
			e.ForceKeyframe()
		}
		p := readPacket(t, e)
		if p.Keyframe {
			cfg := e.Config()
			for _, ps := range [][]byte{cfg.SPS, cfg.PPS} {
				file.Write([]byte{0, 0, 0, 1})
				file.Write(ps)
			}
		}
		for _, nalu := range parseAVCC(t, p.Data) {
			file.Write([]byte{0, 0, 0, 1})
			file.Write(nalu)
		}
		p.Release()
	}
	path := filepath.Join(t.TempDir(), "out.h264")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if ffprobe, err := exec.LookPath("ffprobe"); err == nil {
		out, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
			"-show_entries", "stream=width,height,nb_read_frames,profile", "-of", "csv=p=0", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "High,640,360,90" {
			t.Errorf("ffprobe: %q, want High,640,360,90", got)
		}
	}
}

func readFrame(t testing.TB, s capture.VideoSource) *capture.VideoFrame {
	t.Helper()
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Padded frames are compacted to tight strides before x264 sees them.
// (x264's output is not bit-reproducible from run to run with its sliced
// threads, so the test compares pictures, not bitstreams.)
func TestPaddedFrames(t *testing.T) {
	ring := encodetest.NewRing(t, 320, 180, 30, 3)
	padded := ring.WithPadding()
	e := newEncoder(t, padded, Config{})
	for n := range 3 {
		f := readFrame(t, padded)
		if f.Image.YStride == 320 {
			t.Fatal("padded source is not padded")
		}
		img, err := e.compact(f.Image)
		if err != nil {
			t.Fatal(err)
		}
		want := ring.Frames[n]
		if img.YStride != 320 || img.CStride != 160 || img.Rect.Min != (image.Point{}) ||
			!bytes.Equal(img.Y[:320*180], want.Y) || !bytes.Equal(img.Cb[:160*90], want.Cb) || !bytes.Equal(img.Cr[:160*90], want.Cr) {
			t.Errorf("frame %d: compacted picture differs from the original", n)
		}
	}
	// The encoder reads on from the fourth frame of the loop.
	for range 3 {
		readPacket(t, e).Release()
	}
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
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	for _, preset := range Presets() {
		if _, ok := presets[preset]; !ok {
			t.Errorf("preset %q not mapped", preset)
		}
	}
	if got := (Config{FPS: 30, KeyInterval: 2 * time.Second}).KeyIntervalFrames(); got != 60 {
		t.Errorf("KeyIntervalFrames = %d", got)
	}
	if got := (Config{FPS: 30, KeyInterval: time.Millisecond}).KeyIntervalFrames(); got != 1 {
		t.Errorf("KeyIntervalFrames = %d", got)
	}
	// 2500 × 25/30 (x264 assumes 25 fps) / 1.03 (its bias), in bit/s.
	if got := x264Bitrate(2500, 30); got != 2023000 {
		t.Errorf("x264Bitrate(2500, 30) = %d, want 2023000", got)
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

func TestAppendNALUs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "\x00\x00\x00\x01\x67\x01\x00\x00\x01\x68\x02\x00\x00\x00\x01\x65\x03\x04", want: []string{"\x67\x01", "\x68\x02", "\x65\x03\x04"}},
		{in: "\x00\x00\x01\x41\x9a\x00\x00\x00", want: []string{"\x41\x9a"}},
		{in: "\x00\x00\x01\x00\x00\x01\x41", want: []string{"\x41"}},
		{in: "\x00\x00\x03\x01", err: true},
		{in: "\x01\x00\x00\x01\x41", err: true},
		{in: "", err: true},
	} {
		got, err := AppendNALUs(nil, []byte(c.in))
		if (err != nil) != c.err {
			t.Errorf("% x: err %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("% x: %d NALUs, want %d", c.in, len(got), len(c.want))
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("% x: NALU %d = % x, want % x", c.in, i, got[i], c.want[i])
			}
		}
	}
}

func FuzzAppendNALUs(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01\x67\x01\x00\x00\x01\x68\x02"))
	f.Add([]byte("\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus, err := AppendNALUs(nil, b)
		if err != nil {
			return
		}
		// Re-joining with 4-byte start codes must split back the same way.
		var joined []byte
		for _, n := range nalus {
			if len(n) == 0 || n[len(n)-1] == 0 {
				t.Fatalf("bad NALU % x", n)
			}
			joined = append(joined, 0, 0, 0, 1)
			joined = append(joined, n...)
		}
		again, err := AppendNALUs(nil, joined)
		if len(nalus) == 0 {
			return
		}
		if err != nil || len(again) != len(nalus) {
			t.Fatalf("re-split: %v, %d vs %d NALUs", err, len(again), len(nalus))
		}
		for i := range again {
			if !bytes.Equal(again[i], nalus[i]) {
				t.Fatalf("NALU %d: % x vs % x", i, again[i], nalus[i])
			}
		}
	})
}

// rawX264 opens mediadevices' x264 encoder directly on the ring's frames,
// with the settings New would use.
func rawX264(t testing.TB, ring *encodetest.Ring, cfg Config) codec.ReadCloser {
	t.Helper()
	params, err := x264.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	params.Preset = presets[cfg.Preset]
	params.BitRate = x264Bitrate(cfg.BitrateKbps, ring.Props().FPS)
	params.KeyFrameInterval = 60
	n := 0
	enc, err := params.BuildVideoEncoder(video.ReaderFunc(func() (image.Image, func(), error) {
		img := ring.Frames[n%len(ring.Frames)]
		n++
		return img, noop, nil
	}), prop.Media{Video: prop.Video{
		Width: ring.Props().Width, Height: ring.Props().Height, FrameRate: float32(ring.Props().FPS), FrameFormat: frame.FormatI420,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// annexBFrames returns x264's raw output for an IDR and a P frame at 720p.
func annexBFrames(b *testing.B) (idr, p []byte) {
	ring := encodetest.NewRing(b, 1280, 720, 30, 2)
	enc := rawX264(b, ring, Config{Preset: "veryfast", BitrateKbps: 2500})
	defer enc.Close()
	idr, _, err := enc.Read()
	if err != nil {
		b.Fatal(err)
	}
	p, _, err = enc.Read()
	if err != nil {
		b.Fatal(err)
	}
	return idr, p
}

func BenchmarkAnnexBSplit(b *testing.B) {
	idr, p := annexBFrames(b)
	for _, c := range []struct {
		name  string
		frame []byte
	}{{"IDR", idr}, {"P", p}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			nalus := make([][]byte, 0, 16)
			for b.Loop() {
				var err error
				nalus, err = AppendNALUs(nalus[:0], c.frame)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/mediacommon", func(b *testing.B) {
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			for b.Loop() {
				var au mch264.AnnexB
				if err := au.Unmarshal(c.frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPacketize measures everything this package adds per frame after
// x264 returns: splitting, filtering, AVCC copy into a pooled packet.
func BenchmarkPacketize(b *testing.B) {
	idr, p := annexBFrames(b)
	e := &Encoder{started: true}
	for _, c := range []struct {
		name  string
		frame []byte
	}{{"IDR", idr}, {"P", p}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			for b.Loop() {
				pkt, err := e.packetize(c.frame, 0)
				if err != nil {
					b.Fatal(err)
				}
				pkt.Release()
			}
		})
	}
}

// BenchmarkEncode720p and BenchmarkRawX264720p encode the same pre-rendered
// frames, through this package and through mediadevices alone; the
// difference is this package's overhead per frame.
func BenchmarkEncode720p(b *testing.B) {
	ring := encodetest.NewRing(b, 1280, 720, 30, 30)
	e := newEncoder(b, ring, Config{BitrateKbps: 2500, KeyInterval: 2 * time.Second})
	b.ReportAllocs()
	for b.Loop() {
		readPacket(b, e).Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

func BenchmarkRawX264720p(b *testing.B) {
	ring := encodetest.NewRing(b, 1280, 720, 30, 30)
	enc := rawX264(b, ring, Config{Preset: DefaultPreset, BitrateKbps: 2500})
	defer enc.Close()
	b.ReportAllocs()
	for b.Loop() {
		_, release, err := enc.Read()
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}
