package ui

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// testFrame returns a 4:2:0 frame of noise.
func testFrame(w, h int, seed uint64) *image.YCbCr {
	f := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(seed, 1))
	for _, p := range [][]byte{f.Y, f.Cb, f.Cr} {
		for i := range p {
			p[i] = byte(r.IntN(256))
		}
	}
	return f
}

func TestRGBScalerMatchesImageDraw(t *testing.T) {
	src := testFrame(64, 36, 1)
	full := image.NewRGBA(src.Rect)
	draw.Draw(full, full.Rect, src, image.Point{}, draw.Src)
	for _, size := range []image.Point{{64, 36}, {32, 18}, {50, 28}, {2, 2}} {
		var sc rgbScaler
		got := image.NewRGBA(image.Rectangle{Max: size})
		sc.scale(got, src)
		for y := range size.Y {
			for x := range size.X {
				g := got.RGBAAt(x, y)
				w := full.RGBAAt(x*64/size.X, y*36/size.Y)
				if diff(g.R, w.R) > 1 || diff(g.G, w.G) > 1 || diff(g.B, w.B) > 1 || g.A != 0xff {
					t.Fatalf("%v: pixel (%d,%d) = %v, image/draw gives %v", size, x, y, g, w)
				}
			}
		}
	}
	// Any other image goes through the slow path, with the same sampling.
	var sc rgbScaler
	got := image.NewRGBA(image.Rect(0, 0, 32, 18))
	sc.scale(got, full)
	if g, w := got.RGBAAt(5, 7), full.RGBAAt(10, 14); g != w {
		t.Errorf("RGBA source: pixel (5,7) = %v, want %v", g, w)
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// previewHarness is a studio whose preview runs on a clock the test moves.
func previewHarness(t *testing.T, prefs fyne.Preferences) (*harness, *time.Time) {
	h := newHarness(t, prefs, &memKeys{})
	now := time.Unix(1000, 0)
	h.s.preview.mu.Lock()
	h.s.preview.now = func() time.Time { return now }
	h.s.preview.mu.Unlock()
	return h, &now
}

func TestPreviewConvertsOnlyShownFramesAtDrawnSize(t *testing.T) {
	h, now := previewHarness(t, test.NewTempApp(t).Preferences())
	p := h.s.preview
	frame := testFrame(640, 360, 2)
	// Under the test driver onFrame shows a taken frame before it returns.
	h.s.onFrame(frame)
	if p.made.Load() != 1 || h.s.PreviewFrames() != 1 {
		t.Fatalf("first frame: %d converted, %d shown", p.made.Load(), h.s.PreviewFrames())
	}
	*now = now.Add(10 * time.Millisecond) // within 1/15 s
	h.s.onFrame(frame)
	if p.made.Load() != 1 {
		t.Errorf("a frame 10 ms after the last was converted at 15 fps")
	}
	seen := map[*image.RGBA]bool{}
	for range 6 {
		*now = now.Add(time.Second / 15)
		h.s.onFrame(frame)
		h.s.Do(func() { seen[p.img.Image.(*image.RGBA)] = true })
	}
	if p.made.Load() != 7 || h.s.PreviewFrames() != 7 {
		t.Errorf("at 15 fps, 7 frames 1/15 s apart: %d converted, %d shown", p.made.Load(), h.s.PreviewFrames())
	}
	if len(seen) != 2 {
		t.Errorf("the preview used %d image buffers, want 2 reused", len(seen))
	}
	h.s.Do(func() {
		img := p.img.Image.(*image.RGBA)
		size := p.img.Size()
		b := img.Rect.Size()
		if b.X > int(size.Width)+1 || b.Y > int(size.Height)+1 || b.X > 640 || b.Y > 360 {
			t.Errorf("preview drawn at %v converted at %v: more than drawn or than the frame", size, b)
		}
		if b.X < int(size.Width)-1 && b.Y < int(size.Height)-1 && b.X < 640 {
			t.Errorf("preview drawn at %v converted at %v: less than drawn", size, b)
		}
		if r := float64(b.X) / float64(b.Y); r < 1.7 || r > 1.85 {
			t.Errorf("converted at %v: not 16:9", b)
		}
	})

	// A frame waiting to be drawn makes the next ones skip.
	*now = now.Add(time.Second)
	if !p.take(frame) {
		t.Fatal("frame not taken")
	}
	*now = now.Add(time.Second)
	if p.take(frame) {
		t.Error("a frame was taken while the previous one waits to be drawn")
	}
	h.s.Do(p.show)
}

func TestPreviewSkipsWhileHidden(t *testing.T) {
	h, now := previewHarness(t, test.NewTempApp(t).Preferences())
	p := h.s.preview
	frame := testFrame(640, 360, 3)
	visible := false
	h.s.Do(func() {
		h.s.cfg.Visible = func() bool { return visible }
		h.s.tick()
	})
	for range 5 {
		*now = now.Add(time.Second)
		h.s.onFrame(frame)
	}
	h.s.onLevel(-10, -20)
	h.s.Do(func() {
		if p.made.Load() != 0 {
			t.Errorf("%d frames converted while hidden", p.made.Load())
		}
		if _, rms := h.s.meter.Level(); rms == -20 {
			t.Error("the meter was redrawn while hidden")
		}
		visible = true
		h.s.tick()
	})
	*now = now.Add(time.Second)
	h.s.onFrame(frame)
	if p.made.Load() != 1 || h.s.PreviewFrames() != 1 {
		t.Errorf("visible again: %d converted, %d shown", p.made.Load(), h.s.PreviewFrames())
	}
	h.s.Do(func() {
		if _, rms := h.s.meter.Level(); rms != -20 {
			t.Errorf("visible again: the meter shows %v dB, want the level kept while hidden", rms)
		}
	})
}

func TestPreviewRateChoiceSavedAndOff(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	h, now := previewHarness(t, prefs)
	p := h.s.preview
	frame := testFrame(320, 180, 4)
	h.do(func(c Controls) {
		if c.PreviewRate.Selected != "15" {
			t.Errorf("default preview rate %q, want 15", c.PreviewRate.Selected)
		}
		c.PreviewRate.SetSelected("30")
	})
	h.s.onFrame(frame)
	*now = now.Add(time.Second / 30)
	h.s.onFrame(frame)
	if p.made.Load() != 2 {
		t.Errorf("at 30 fps, 2 frames 1/30 s apart: %d converted", p.made.Load())
	}
	h.s.Do(func() {
		if p.back.Visible() {
			t.Error("the black screen is drawn under a frame")
		}
	})
	h.do(func(c Controls) { c.PreviewRate.SetSelected("Off") })
	*now = now.Add(time.Second)
	h.s.onFrame(frame)
	h.s.Do(func() {
		if p.made.Load() != 2 || p.img.Image != nil || !p.back.Visible() {
			t.Errorf("preview Off: %d converted, image %T, black screen shown %v", p.made.Load(), p.img.Image, p.back.Visible())
		}
	})
	if got := prefs.String(prefPrefix + "preview_fps"); got != "Off" {
		t.Errorf("saved preview rate %q, want Off", got)
	}
	h.do(func(c Controls) { c.PreviewRate.SetSelected("5") })
	h.s.Shutdown(nil, time.Second)
	h2 := newHarness(t, prefs, &memKeys{})
	h2.do(func(c Controls) {
		if c.PreviewRate.Selected != "5" || h2.s.preview.rate.Load() != 5 {
			t.Errorf("after a restart: preview rate %q (%d fps), want 5", c.PreviewRate.Selected, h2.s.preview.rate.Load())
		}
	})
}

func TestMeterRedrawsOnlyWhenItChanges(t *testing.T) {
	m := NewLevelMeter()
	w := test.NewWindow(m)
	defer w.Close()
	w.Resize(fyne.NewSize(300, 40))
	m.SetLevel(-10, -20)
	n := m.redraws
	m.SetLevel(-10, -20)
	m.SetLevel(-10.01, -20.01) // far less than a pixel
	if m.redraws != n {
		t.Errorf("%d redraws for levels that draw the same", m.redraws-n)
	}
	m.SetLevel(-10, -30)
	if m.redraws != n+1 {
		t.Errorf("%d redraws for a level 10 dB lower, want 1", m.redraws-n)
	}
}

func TestGraphDrawsLineAndTarget(t *testing.T) {
	g := NewBitrateGraph()
	w := test.NewWindow(g)
	defer w.Close()
	for range GraphSeconds {
		g.Add(2000, 2500)
	}
	r := test.WidgetRenderer(g).(*graphRenderer)
	const wd, ht = 120, 61
	img := r.draw(wd, ht)
	top := r.top() // 3500: a round number above 2500 × 1.25
	at := func(kbps float64) int { return int(float64(ht-1) - kbps/top*float64(ht-1) + 0.5) }
	near := func(c color.RGBA, want color.NRGBA) bool {
		return diff(c.R, want.R) < 8 && diff(c.G, want.G) < 8 && diff(c.B, want.B) < 8
	}
	if c := img.(*image.RGBA).RGBAAt(wd/2, at(2000)); !near(c, graphVideo) {
		t.Errorf("at the samples' height the graph is %v, want the line's colour", c)
	}
	if c := img.(*image.RGBA).RGBAAt(wd/2, at(2500)); near(c, graphBack) || near(c, graphVideo) {
		t.Errorf("at the target's height the graph is %v, want the target line", c)
	}
	if c := img.(*image.RGBA).RGBAAt(wd/2, ht-2); !near(c, graphBack) {
		t.Errorf("below the line the graph is %v, want the background", c)
	}
}

// TestPreviewWantsOnlyFramesItWouldTake: the backend is told to sample a
// frame exactly when take would take it.
func TestPreviewWantsOnlyFramesItWouldTake(t *testing.T) {
	h, now := previewHarness(t, test.NewTempApp(t).Preferences())
	p := h.s.preview
	if !p.wants() {
		t.Fatal("nothing shown yet, and no frame wanted")
	}
	h.s.onFrame(testFrame(640, 360, 2))
	*now = now.Add(10 * time.Millisecond)
	if p.wants() {
		t.Error("a frame 10 ms after the last is wanted at 15 fps")
	}
	*now = now.Add(time.Second / 15)
	if !p.wants() {
		t.Error("a frame 1/15 s after the last is not wanted at 15 fps")
	}
	p.hidden.Store(true)
	if p.wants() {
		t.Error("a frame is wanted while the window is hidden")
	}
	p.hidden.Store(false)
	p.rate.Store(0)
	if p.wants() {
		t.Error("a frame is wanted with the preview off")
	}
}
