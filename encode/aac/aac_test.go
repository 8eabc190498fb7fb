package aac

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goaac "github.com/tphakala/go-aac"
	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/encodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ encode.AudioEncoder = (*Encoder)(nil)

func newTone(t testing.TB, rate, ch int, freq float64, frameSamples int, opts ...synth.Option) *synth.Tone {
	t.Helper()
	s, err := synth.NewTone(capture.NewClock(), capture.AudioProps{SampleRate: rate, Channels: ch}, freq, frameSamples, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newEncoder(t testing.TB, src capture.AudioSource, cfg Config) *Encoder {
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
	p, err := e.ReadPacket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// limited passes through exactly samples samples per channel of its source,
// then fails with errEnd.
type limited struct {
	capture.AudioSource
	left  int
	first time.Duration
	seen  bool
}

var errEnd = errors.New("end of test audio")

func (l *limited) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if l.left <= 0 {
		return nil, errEnd
	}
	f, err := l.AudioSource.Read(ctx)
	if err != nil {
		return nil, err
	}
	if !l.seen {
		l.seen, l.first = true, f.PTS
	}
	if n := len(f.Samples) / f.Channels; n > l.left {
		f.Samples = f.Samples[:l.left*f.Channels]
	}
	l.left -= len(f.Samples) / f.Channels
	return f, nil
}

func TestASC(t *testing.T) {
	for _, c := range []struct {
		rate, ch int
		asc      []byte
	}{
		{48000, 2, []byte{0x11, 0x90}},
		{48000, 1, []byte{0x11, 0x88}},
		{44100, 2, []byte{0x12, 0x10}},
	} {
		e := newEncoder(t, newTone(t, c.rate, c.ch, 1000, 0), Config{})
		cfg := e.Config()
		if !bytes.Equal(cfg.ASC, c.asc) || cfg.SampleRate != c.rate || cfg.Channels != c.ch || cfg.BitrateKbps != DefaultBitrateKbps {
			t.Errorf("%d Hz %d ch: config %+v, want ASC % x", c.rate, c.ch, cfg, c.asc)
		}
		e.Close()
	}
}

func TestNewValidates(t *testing.T) {
	for _, c := range []struct {
		rate, ch, kbps int
	}{
		{32000, 2, 0}, {96000, 2, 0}, {48000, 3, 0}, {48000, 2, -1}, {48000, 2, 4}, {48000, 1, 300},
	} {
		src := newTone(t, c.rate, c.ch, 1000, 0)
		if e, err := New(src, Config{BitrateKbps: c.kbps}); err == nil {
			e.Close()
			t.Errorf("New(%d Hz, %d ch, %d kbit/s) succeeded", c.rate, c.ch, c.kbps)
		}
		src.Close()
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) succeeded")
	}
}

// Packets are one per 1024 samples, the first held back by the encoder's
// priming, with sample-exact PTS from the first captured sample, whatever
// the source's frame size. For 8 s at 48 kHz that is 375 - 1 packets.
func TestPacketsAndPTS(t *testing.T) {
	for _, c := range []struct{ frameSamples, samples int }{
		{1024, 8 * 48000}, // 8 s at 48 kHz is exactly 375 AAC frames
		{480, 64 * 1024},
		{1000, 64 * 1024},
		{4096, 64 * 1024},
		{1, 8 * 1024},
	} {
		frameSamples := c.frameSamples
		src := &limited{AudioSource: newTone(t, 48000, 2, 1000, frameSamples, synth.Unpaced()), left: c.samples}
		e := newEncoder(t, src, Config{})
		var pts []time.Duration
		for {
			p, err := e.ReadPacket(context.Background())
			if errors.Is(err, errEnd) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != encode.Audio || !p.Keyframe || p.DTS != p.PTS || len(p.Data) == 0 {
				t.Fatalf("packet %d: %+v", len(pts), p)
			}
			pts = append(pts, p.PTS)
			p.Release()
		}
		if want := c.samples/1024 - 1; len(pts) != want {
			t.Errorf("frames of %d: %d packets for %d samples, want %d (one per 1024 samples, less the priming frame)", frameSamples, len(pts), c.samples, want)
		}
		for n, got := range pts {
			want := src.first + time.Duration(int64(n)*1024*int64(time.Second)/48000)
			if got != want {
				t.Fatalf("frames of %d: packet %d PTS %v, want %v", frameSamples, n, got, want)
			}
			if n > 0 {
				if d := got - pts[n-1]; d != 21333333 && d != 21333334 {
					t.Fatalf("packet %d spacing %v", n, d)
				}
			}
		}
		e.Close()
	}
}

// encodeADTS encodes secs seconds of src and returns it as an ADTS stream,
// with the payload byte count.
func encodeADTS(t *testing.T, e *Encoder, secs int) ([]byte, int) {
	t.Helper()
	cfg := e.Config()
	n := secs * cfg.SampleRate / FrameSamples
	var out []byte
	payload := 0
	for range n {
		p := readPacket(t, e)
		var err error
		out, err = goaac.AppendADTSHeader(out, cfg.SampleRate, cfg.Channels, len(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Data...)
		payload += len(p.Data)
		p.Release()
	}
	return out, payload
}

func TestDecodesWithFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	e := newEncoder(t, newTone(t, 48000, 2, 1000, 960, synth.Unpaced()), Config{})
	adts, _ := encodeADTS(t, e, 5)
	path := filepath.Join(t.TempDir(), "tone.aac")
	if err := os.WriteFile(path, adts, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if ffprobe, err := exec.LookPath("ffprobe"); err == nil {
		out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "a:0",
			"-show_entries", "stream=codec_name,profile,sample_rate,channels", "-of", "csv=p=0", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "aac,LC,48000,2" {
			t.Errorf("ffprobe: %q, want aac,LC,48000,2", got)
		}
	}
	// A -12 dBFS peak sine has an RMS level of -15 dBFS.
	out, err = exec.Command(ffmpeg, "-i", path, "-af", "volumedetect", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg volumedetect: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`mean_volume: (-?[0-9.]+) dB`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no mean_volume in\n%s", out)
	}
	if v, _ := strconv.ParseFloat(string(m[1]), 64); v < -16 || v > -14 {
		t.Errorf("decoded mean volume %.1f dB, want about -15 dB", v)
	}
}

// noise is an unpaced source of white noise at -12 dBFS peak, 1024-sample
// frames: broadband content that uses the whole bit budget.
type noise struct {
	props capture.AudioProps
	rng   *rand.Rand
	pts   time.Duration
}

func (n *noise) Props() capture.AudioProps { return n.props }
func (n *noise) Close() error              { return nil }
func (n *noise) Read(ctx context.Context) (*capture.AudioFrame, error) {
	s := make([]int16, 1024*n.props.Channels)
	for i := range s {
		s[i] = int16(n.rng.IntN(16384) - 8192)
	}
	f := capture.NewAudioFrame(s, n.props.SampleRate, n.props.Channels, n.pts, nil)
	n.pts += time.Duration(1024 * int64(time.Second) / int64(n.props.SampleRate))
	return f, nil
}

// The encoder meets its bitrate on broadband content. On a pure tone it
// needs far fewer bits and does not pad, so the test only bounds it.
func TestBitrate(t *testing.T) {
	for _, c := range []struct {
		name     string
		src      capture.AudioSource
		kbps     int
		min, max float64 // fraction of kbps
	}{
		{"noise 128", &noise{props: capture.AudioProps{SampleRate: 48000, Channels: 2}, rng: rand.New(rand.NewPCG(1, 2))}, 128, 0.85, 1.15},
		{"noise 160", &noise{props: capture.AudioProps{SampleRate: 48000, Channels: 2}, rng: rand.New(rand.NewPCG(1, 2))}, 160, 0.85, 1.15},
		{"noise 96 mono 44.1k", &noise{props: capture.AudioProps{SampleRate: 44100, Channels: 1}, rng: rand.New(rand.NewPCG(1, 2))}, 96, 0.85, 1.15},
		{"tone 128", newTone(t, 48000, 2, 1000, 0, synth.Unpaced()), 128, 0.5, 1.15},
		{"tone 160", newTone(t, 48000, 2, 1000, 0, synth.Unpaced()), 160, 0.5, 1.15},
		{"tone 128 44.1k", newTone(t, 44100, 2, 1000, 0, synth.Unpaced()), 128, 0.5, 1.15},
		{"silence 128", newTone(t, 48000, 2, 0, 0, synth.Unpaced()), 128, 0, 1.15},
	} {
		if testing.Short() && c.kbps != 128 {
			c.src.Close()
			continue
		}
		e := newEncoder(t, c.src, Config{BitrateKbps: c.kbps})
		rate := c.src.Props().SampleRate
		_, payload := encodeADTS(t, e, 10)
		n := 10 * rate / FrameSamples
		got := float64(payload) * 8 / 1000 / (float64(n) * FrameSamples / float64(rate))
		t.Logf("%s: %.1f kbit/s (%+.1f%%)", c.name, got, (got/float64(c.kbps)-1)*100)
		if got < float64(c.kbps)*c.min || got > float64(c.kbps)*c.max {
			t.Errorf("%s: %.1f kbit/s is outside %.0f%%..%.0f%% of %d", c.name, got, c.min*100, c.max*100, c.kbps)
		}
		e.Close()
	}
}

func TestZeroAllocsPerPacket(t *testing.T) {
	e := newEncoder(t, newTone(t, 48000, 2, 1000, 480, synth.Unpaced()), Config{})
	for range 20 {
		readPacket(t, e).Release()
	}
	allocs := testing.AllocsPerRun(200, func() { readPacket(t, e).Release() })
	if allocs != 0 {
		t.Errorf("%.2f allocations per packet, want 0", allocs)
	}
}

// stall serves its source's first allow frames, then blocks in Read until
// ctx ends or it is closed, as a paced source does between frames.
type stall struct {
	capture.AudioSource
	allow  int
	closed chan struct{}
	once   sync.Once
}

func (s *stall) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if s.allow > 0 {
		s.allow--
		return s.AudioSource.Read(ctx)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closed:
		return nil, capture.ErrClosed
	}
}

func (s *stall) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.AudioSource.Close()
}

func TestCloseAndCancel(t *testing.T) {
	src := &stall{AudioSource: newTone(t, 48000, 2, 1000, 1024, synth.Unpaced()), allow: 3, closed: make(chan struct{})}
	e := newEncoder(t, src, Config{})
	// Three source frames: one primes the encoder, two give packets.
	for range 2 {
		readPacket(t, e).Release()
	}
	encodetest.CloseAndCancel(t, e)
}

// A paced source: Close unblocks a ReadPacket waiting for the next frame.
func TestCloseUnblocksPacedSource(t *testing.T) {
	e := newEncoder(t, newTone(t, 48000, 2, 1000, 48000), Config{}) // one frame per second
	readPacket(t, e).Release()
	errc := make(chan error, 1)
	go func() {
		for {
			p, err := e.ReadPacket(context.Background())
			if err != nil {
				errc <- err
				return
			}
			p.Release()
		}
	}()
	e.Close()
	if err := encodetest.WaitErr(t, errc); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("ReadPacket across Close = %v", err)
	}
}

// wrongRate claims 48 kHz but delivers frames marked 44.1 kHz.
type wrongRate struct{ *synth.Tone }

func (w wrongRate) Props() capture.AudioProps {
	return capture.AudioProps{SampleRate: 48000, Channels: 2}
}

func TestMismatchedFrames(t *testing.T) {
	e := newEncoder(t, wrongRate{newTone(t, 44100, 2, 1000, 0, synth.Unpaced())}, Config{})
	if _, err := e.ReadPacket(context.Background()); err == nil || !strings.Contains(err.Error(), "44100") {
		t.Errorf("ReadPacket = %v", err)
	}
}

// BenchmarkEncode1s encodes one second of 48 kHz stereo per op (46.875 AAC
// frames on average), tone generation and conversion included.
func BenchmarkEncode1s(b *testing.B) {
	e := newEncoder(b, newTone(b, 48000, 2, 1000, 1024, synth.Unpaced()), Config{})
	b.ReportAllocs()
	var frames, ops int64
	for b.Loop() {
		ops++
		for frames*FrameSamples < ops*48000 {
			readPacket(b, e).Release()
			frames++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/packet")
}

// BenchmarkGoAAC1s is go-aac alone on the same tone, already planar float32
// (8 s of it, which loops seamlessly): the baseline for BenchmarkEncode1s.
func BenchmarkGoAAC1s(b *testing.B) {
	tone := newTone(b, 48000, 2, 1000, 1024, synth.Unpaced())
	defer tone.Close()
	var planes [375][2][]float32
	for i := range planes {
		f, err := tone.Read(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for c := range 2 {
			planes[i][c] = make([]float32, 1024)
			for j := range 1024 {
				planes[i][c][j] = float32(f.Samples[2*j+c]) / 32768
			}
		}
		f.Release()
	}
	enc, err := goaac.NewEncoder(goaac.EncoderConfig{SampleRate: 48000, Channels: 2, Bitrate: 128000})
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 2048)
	b.ReportAllocs()
	var frames, ops int64
	for b.Loop() {
		ops++
		for frames*FrameSamples < ops*48000 {
			if _, err := enc.EncodeFrame(dst[:0], planes[frames%375][:]); err != nil {
				b.Fatal(err)
			}
			frames++
		}
	}
}
