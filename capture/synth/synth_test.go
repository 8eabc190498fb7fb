package synth

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Both sources satisfy the capture interfaces.
var (
	_ capture.VideoSource = (*Pattern)(nil)
	_ capture.AudioSource = (*Tone)(nil)
)

func mustPattern(t testing.TB, w, h, fps int, opts ...Option) *Pattern {
	t.Helper()
	p, err := NewPattern(capture.NewClock(), capture.VideoProps{Width: w, Height: h, FPS: fps}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func readFrame(t testing.TB, s capture.VideoSource) *capture.VideoFrame {
	t.Helper()
	f, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewPatternValidates(t *testing.T) {
	clock := capture.NewClock()
	for _, props := range []capture.VideoProps{
		{Width: 15, Height: 16, FPS: 30},
		{Width: 16, Height: 17, FPS: 30},
		{Width: 14, Height: 16, FPS: 30},
		{Width: 0, Height: 0, FPS: 30},
		{Width: 64, Height: 64, FPS: 0},
		{Width: 64, Height: 64, FPS: -1},
	} {
		if _, err := NewPattern(clock, props); err == nil {
			t.Errorf("NewPattern(%+v) succeeded, want an error", props)
		}
	}
	if _, err := NewPattern(nil, capture.VideoProps{Width: 16, Height: 16, FPS: 1}); err == nil {
		t.Error("NewPattern with a nil clock succeeded")
	}
	for _, props := range []capture.VideoProps{
		{Width: 16, Height: 16, FPS: 1},
		{Width: 1920, Height: 1080, FPS: 60},
		{Width: 18, Height: 720, FPS: 25},
		{Width: 720, Height: 18, FPS: 25},
	} {
		p, err := NewPattern(clock, props, Unpaced())
		if err != nil {
			t.Errorf("NewPattern(%+v): %v", props, err)
			continue
		}
		// Every size must render without going out of bounds.
		for range 3 {
			readFrame(t, p).Release()
		}
		p.Close()
	}
}

func TestPatternFrameLayout(t *testing.T) {
	p := mustPattern(t, 320, 180, 30, Unpaced())
	f := readFrame(t, p)
	defer f.Release()
	img := f.Image
	if img.Rect != image.Rect(0, 0, 320, 180) || img.YStride != 320 || img.CStride != 160 ||
		len(img.Y) != 320*180 || len(img.Cb) != 160*90 || len(img.Cr) != 160*90 {
		t.Fatalf("frame layout: rect %v strides %d/%d lens %d/%d/%d", img.Rect, img.YStride, img.CStride, len(img.Y), len(img.Cb), len(img.Cr))
	}
	if f.Seq != 0 {
		t.Errorf("first Seq = %d, want 0", f.Seq)
	}
}

func TestPatternPixelsChange(t *testing.T) {
	p := mustPattern(t, 320, 180, 30, Unpaced())
	f1 := readFrame(t, p)
	defer f1.Release()
	f2 := readFrame(t, p)
	defer f2.Release()
	if f1.Image == f2.Image {
		t.Fatal("two live frames share an image")
	}
	if bytes.Equal(f1.Image.Y, f2.Image.Y) {
		t.Error("luma did not change between frames")
	}
	if bytes.Equal(f1.Image.Cb, f2.Image.Cb) {
		t.Error("chroma did not change between frames")
	}
	// The background stays still: away from the box and the text panel a
	// bars row is the same in both frames, and only the new stripe of the
	// noise band changes.
	row := func(f *capture.VideoFrame, y int) []byte { return f.Image.Y[y*320 : (y+1)*320] }
	y := max(p.boxVY+p.boxSize, p.panelY+p.panelH) + 1
	if y >= p.noiseTop/2 {
		t.Fatalf("no free bars row: y %d, bars end at %d", y, p.noiseTop/2)
	}
	if !bytes.Equal(row(f1, y), row(f2, y)) {
		t.Errorf("bars row %d changed between frames", y)
	}
	changed := 0
	for y := p.noiseTop; y < 180; y++ {
		if !bytes.Equal(row(f1, y), row(f2, y)) {
			changed++
		}
	}
	if changed == 0 || changed > 2*p.stripeRows {
		t.Errorf("%d noise rows changed between frames, want 1 to %d (two stripes)", changed, 2*p.stripeRows)
	}
}

// A reused frame buffer, where only what moved is redrawn, must hold the
// same picture as a fresh one.
func TestPatternReusedBufferMatchesFresh(t *testing.T) {
	for _, size := range [][2]int{{320, 180}, {1280, 720}, {16, 16}, {18, 720}} {
		p := mustPattern(t, size[0], size[1], 30, Unpaced())
		reused := p.get()
		for slot := range int64(200) {
			pts := p.slotTime(slot)
			p.render(reused, slot, uint64(slot), pts)
			fresh := p.get()
			p.render(fresh, slot, uint64(slot), pts)
			r, f := &reused.img, &fresh.img
			if !bytes.Equal(r.Y, f.Y) || !bytes.Equal(r.Cb, f.Cb) || !bytes.Equal(r.Cr, f.Cr) {
				t.Fatalf("%dx%d slot %d: a reused buffer differs from a fresh one", size[0], size[1], slot)
			}
		}
	}
}

// readText reads n characters of burned-in text at (x, y) by matching each
// cell against the font.
func readText(img []byte, stride int, g *glyphSet, x, y, n int) string {
	out := make([]byte, 0, n)
	for i := range n {
		best := byte('?')
		for c := range 256 {
			px := g.rows[c]
			if px == nil {
				continue
			}
			ok := true
			for yy := 0; yy < g.h && ok; yy++ {
				row := img[(y+yy)*stride+x+i*g.w:]
				ok = bytes.Equal(row[:g.w], px[yy*g.w:(yy+1)*g.w])
			}
			if ok {
				best = byte(c)
				break
			}
		}
		out = append(out, best)
	}
	return string(out)
}

func TestPatternDigitsRender(t *testing.T) {
	p := mustPattern(t, 1280, 720, 30, Unpaced())
	if h := p.glyphs.h; h < 720*4/100 || h > 720*6/100 {
		t.Errorf("glyph height %d px is not 4-6%% of 720", h)
	}
	var frames []*capture.VideoFrame
	for range 3 {
		frames = append(frames, readFrame(t, p))
	}
	defer func() {
		for _, f := range frames {
			f.Release()
		}
	}()
	g := p.glyphs
	counter := func(f *capture.VideoFrame) string { return readText(f.Image.Y, 1280, g, p.textX, p.textY, 8) }
	clock := func(f *capture.VideoFrame) string {
		return readText(f.Image.Y, 1280, g, p.textX, p.textY+lineH*g.scale, 9)
	}
	for i, f := range frames {
		want := "#000000" + string(rune('0'+i))
		if got := counter(f); got != want {
			t.Errorf("frame %d counter reads %q, want %q", i, got, want)
		}
		ms := f.PTS.Milliseconds()
		wantClock := string([]byte{
			byte('0' + ms/600000%10), byte('0' + ms/60000%10), ':',
			byte('0' + ms/10000%6), byte('0' + ms/1000%10), '.',
			byte('0' + ms/100%10), byte('0' + ms/10%10), byte('0' + ms%10),
		})
		if got := clock(f); got != wantClock {
			t.Errorf("frame %d clock reads %q, want %q (PTS %v)", i, got, wantClock, f.PTS)
		}
	}
	// The counter region differs between consecutive frames.
	region := func(f *capture.VideoFrame) []byte {
		var b []byte
		for y := p.textY; y < p.textY+g.h; y++ {
			b = append(b, f.Image.Y[y*1280+p.textX:y*1280+p.textX+8*g.w]...)
		}
		return b
	}
	if bytes.Equal(region(frames[1]), region(frames[2])) {
		t.Error("counter region is the same in frames 1 and 2")
	}
}

func TestFormatClock(t *testing.T) {
	p := mustPattern(t, 64, 64, 30)
	for d, want := range map[time.Duration]string{
		0:                                "00:00.000",
		1234 * time.Millisecond:          "00:01.234",
		(59*60 + 59) * time.Second:       "59:59.000",
		101*time.Minute + 7*time.Second:  "101:07.000",
		-time.Second:                     "00:00.000",
		time.Hour + 999*time.Millisecond: "60:00.999",
	} {
		if got := string(p.formatClock(d)); got != want {
			t.Errorf("formatClock(%v) = %q, want %q", d, got, want)
		}
	}
	if got := string(p.formatCounter(12_345_678)); got != "#2345678" {
		t.Errorf("formatCounter = %q", got)
	}
}

func TestPatternPTSExact(t *testing.T) {
	for _, fps := range []int{25, 30, 60, 7} {
		p := mustPattern(t, 32, 32, fps, Unpaced())
		var first time.Duration
		for n := range 200 {
			f := readFrame(t, p)
			if n == 0 {
				first = f.PTS
			}
			want := first + time.Duration(int64(n)*int64(time.Second)/int64(fps))
			if f.PTS != want || f.Seq != uint64(n) {
				t.Fatalf("fps %d frame %d: PTS %v Seq %d, want %v %d", fps, n, f.PTS, f.Seq, want, n)
			}
			f.Release()
		}
		p.Close()
	}
}

// Paced frames are never early, land exactly on the frame grid and are
// numbered without gaps. (How late they are depends on the machine, so the
// test does not bound it.)
func TestPatternPaced(t *testing.T) {
	clock := capture.NewClock()
	p, err := NewPattern(clock, capture.VideoProps{Width: 32, Height: 32, FPS: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var first, prev time.Duration
	for n := range 10 {
		f := readFrame(t, p)
		now := clock.Now()
		if now < f.PTS {
			t.Errorf("frame %d returned at %v, before its PTS %v", n, now, f.PTS)
		}
		if n == 0 {
			first = f.PTS
		} else {
			if d := f.PTS - first; d%(10*time.Millisecond) != 0 || f.PTS <= prev {
				t.Errorf("frame %d PTS %v is not on the 10 ms grid after %v", n, f.PTS, first)
			}
		}
		if f.Seq != uint64(n) {
			t.Errorf("frame %d Seq = %d", n, f.Seq)
		}
		prev = f.PTS
		f.Release()
	}
}

// A reader that falls behind gets the latest due slot, not a burst.
func TestPatternSkipsWhenLate(t *testing.T) {
	p := mustPattern(t, 32, 32, 100)
	f := readFrame(t, p)
	f.Release()
	// Pretend the timeline started 1 s earlier: ~100 slots are overdue.
	p.mu.Lock()
	p.start -= time.Second
	p.mu.Unlock()
	f = readFrame(t, p)
	defer f.Release()
	slot := int64((f.PTS - p.start) / (10 * time.Millisecond))
	if slot < 100 {
		t.Errorf("after falling 1 s behind the next frame is slot %d, want ≥ 100", slot)
	}
	if f.Seq != 1 {
		t.Errorf("Seq = %d, want 1 (frames produced, not slots)", f.Seq)
	}
}

// A reader a frame or two late catches up on every slot.
func TestPatternCatchesUpWhenSlightlyLate(t *testing.T) {
	// 10 fps, so that a stall of the test itself up to 150 ms does not
	// make the reader more than catchUpSlots late.
	p := mustPattern(t, 32, 32, 10)
	f := readFrame(t, p)
	f.Release()
	// Pretend the timeline started 250 ms earlier: slots 1 and 2 are due.
	p.mu.Lock()
	p.start -= 250 * time.Millisecond
	p.mu.Unlock()
	for want := int64(1); want <= 3; want++ {
		f = readFrame(t, p)
		slot := int64((f.PTS - p.start) / (100 * time.Millisecond))
		f.Release()
		if slot != want {
			t.Fatalf("frame %d is slot %d, want %d", want, slot, want)
		}
	}
}

func TestPatternFramesReused(t *testing.T) {
	p := mustPattern(t, 32, 32, 30, Unpaced())
	f := readFrame(t, p)
	img := f.Image
	f.Release()
	f.Release() // a second Release is harmless
	f = readFrame(t, p)
	defer f.Release()
	if f.Image != img {
		t.Error("a released frame buffer was not reused")
	}
}

func TestPatternZeroAllocs(t *testing.T) {
	p := mustPattern(t, 640, 360, 30, Unpaced())
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		f, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	})
	if allocs != 0 {
		t.Errorf("Read+Release allocates %.1f times per frame, want 0", allocs)
	}
}

type source interface {
	Close() error
}

// readErr runs read in a goroutine and returns its error, failing the test if
// it does not return within a generous bound (it should return at once).
func readErr(t *testing.T, read func() error, unblock func()) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- read() }()
	unblock()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return")
		return nil
	}
}

func TestReadHonoursContextAndClose(t *testing.T) {
	clock := capture.NewClock()
	newVideo := func() (func(context.Context) error, source) {
		p, err := NewPattern(clock, capture.VideoProps{Width: 32, Height: 32, FPS: 1})
		if err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context) error {
			f, err := p.Read(ctx)
			f.Release()
			return err
		}, p
	}
	newAudio := func() (func(context.Context) error, source) {
		tone, err := NewTone(clock, capture.AudioProps{SampleRate: 8000, Channels: 1}, 440, 8000)
		if err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context) error {
			f, err := tone.Read(ctx)
			f.Release()
			return err
		}, tone
	}
	for name, mk := range map[string]func() (func(context.Context) error, source){"pattern": newVideo, "tone": newAudio} {
		t.Run(name, func(t *testing.T) {
			read, src := mk()
			defer src.Close()
			// The first frame is immediate; the second is due in 1 s.
			if err := read(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			err := readErr(t, func() error { return read(ctx) }, cancel)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Read after cancel = %v, want context.Canceled", err)
			}
			if err := read(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Read with a done ctx = %v, want context.Canceled", err)
			}
			err = readErr(t, func() error { return read(context.Background()) }, func() { src.Close() })
			if !errors.Is(err, capture.ErrClosed) {
				t.Errorf("Read blocked across Close = %v, want capture.ErrClosed", err)
			}
			if err := read(context.Background()); !errors.Is(err, capture.ErrClosed) {
				t.Errorf("Read after Close = %v, want capture.ErrClosed", err)
			}
			if err := src.Close(); err != nil {
				t.Errorf("second Close = %v", err)
			}
		})
	}
}

func TestNewToneValidates(t *testing.T) {
	clock := capture.NewClock()
	bad := []struct {
		props capture.AudioProps
		freq  float64
		n     int
	}{
		{capture.AudioProps{SampleRate: 0, Channels: 2}, 1000, 0},
		{capture.AudioProps{SampleRate: 48000, Channels: 0}, 1000, 0},
		{capture.AudioProps{SampleRate: 48000, Channels: 9}, 1000, 0},
		{capture.AudioProps{SampleRate: 48000, Channels: 2}, -1, 0},
		{capture.AudioProps{SampleRate: 48000, Channels: 2}, 24000, 0},
		{capture.AudioProps{SampleRate: 48000, Channels: 2}, math.NaN(), 0},
		{capture.AudioProps{SampleRate: 48000, Channels: 2}, 1000, -5},
	}
	for _, c := range bad {
		if _, err := NewTone(clock, c.props, c.freq, c.n); err == nil {
			t.Errorf("NewTone(%+v, %g, %d) succeeded", c.props, c.freq, c.n)
		}
	}
	tone, err := NewTone(clock, capture.AudioProps{SampleRate: 44100, Channels: 1}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tone.FrameSamples() != DefaultFrameSamples {
		t.Errorf("default frame size %d", tone.FrameSamples())
	}
}

func TestTonePTSAndPhase(t *testing.T) {
	const rate, ch, n = 48000, 2, 1024
	tone, err := NewTone(capture.NewClock(), capture.AudioProps{SampleRate: rate, Channels: ch}, 1000, n, Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	defer tone.Close()
	var first time.Duration
	sample := 0
	const amp = ToneLevel * 32767
	for k := range 500 {
		f, err := tone.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.SampleRate != rate || f.Channels != ch || len(f.Samples) != n*ch {
			t.Fatalf("frame %d: %d Hz %d ch %d samples", k, f.SampleRate, f.Channels, len(f.Samples))
		}
		if k == 0 {
			first = f.PTS
		}
		// Exact to the nanosecond: k*1024/48000 s, rounded down.
		want := first + time.Duration(int64(k)*n*int64(time.Second)/rate)
		if f.PTS != want {
			t.Fatalf("frame %d PTS %v, want %v", k, f.PTS, want)
		}
		for i := 0; i < len(f.Samples); i += ch {
			exp := amp * math.Sin(2*math.Pi*1000*float64(sample)/rate)
			for c := range ch {
				if d := math.Abs(float64(f.Samples[i+c]) - exp); d > 1.01 {
					t.Fatalf("frame %d sample %d ch %d = %d, want %.1f", k, i/ch, c, f.Samples[i+c], exp)
				}
			}
			sample++
		}
		f.Release()
	}
	// 500 frames of 1024 samples at 48 kHz span 10.666... s, to the ns.
	if d := tone.frameTime(500); d != 10666666666 {
		t.Errorf("frameTime(500) = %d", d)
	}
}

func TestSilence(t *testing.T) {
	s, err := NewSilence(capture.NewClock(), capture.AudioProps{SampleRate: 48000, Channels: 2}, 480, Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 5 {
		f, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Samples) != 960 {
			t.Fatalf("%d samples", len(f.Samples))
		}
		for _, v := range f.Samples {
			if v != 0 {
				t.Fatal("silence is not silent")
			}
		}
		f.Samples[0] = 1 // a careless consumer must not leak into the next frame
		f.Release()
	}
}

func TestToneZeroAllocs(t *testing.T) {
	tone, err := NewTone(capture.NewClock(), capture.AudioProps{SampleRate: 48000, Channels: 2}, 1000, 1024, Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	defer tone.Close()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		f, err := tone.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	})
	if allocs != 0 {
		t.Errorf("Read+Release allocates %.1f times per frame, want 0", allocs)
	}
}

// Video and audio from one clock, read for the first time together, start
// within one video frame of each other.
func TestAudioVideoStartTogether(t *testing.T) {
	clock := capture.NewClock()
	p, err := NewPattern(clock, capture.VideoProps{Width: 32, Height: 32, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tone, err := NewTone(clock, capture.AudioProps{SampleRate: 48000, Channels: 2}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tone.Close()
	vf := readFrame(t, p)
	defer vf.Release()
	before := clock.Now()
	af, err := tone.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := clock.Now()
	defer af.Release()
	// The audio timeline starts at its first Read, on the same clock: its
	// PTS lies within that Read, never before the video's. (How far apart
	// the two are is then only how long the test took between the reads.)
	if af.PTS < vf.PTS || af.PTS < before || af.PTS > after {
		t.Errorf("first audio PTS %v (read between %v and %v), first video PTS %v", af.PTS, before, after, vf.PTS)
	}
}

func BenchmarkPattern720p(b *testing.B) {
	p := mustPattern(b, 1280, 720, 30, Unpaced())
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(1280 * 720 * 3 / 2)
	for b.Loop() {
		f, err := p.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

func BenchmarkTone48kStereo(b *testing.B) {
	tone, err := NewTone(capture.NewClock(), capture.AudioProps{SampleRate: 48000, Channels: 2}, 1000, 1024, Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	defer tone.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, err := tone.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
}
