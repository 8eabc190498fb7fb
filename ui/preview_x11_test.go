//go:build linux && !wayland

package ui

import (
	"image"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.uber.org/goleak"

	"studio/capture/screen/screentest"
)

// halvesFrame returns a 4:2:0 frame whose left half is the colour (y, cb,
// cr) a and right half b.
func halvesFrame(w, h int, a, b color.YCbCr) *image.YCbCr {
	f := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			c := a
			if x >= w/2 {
				c = b
			}
			f.Y[f.YOffset(x, y)] = c.Y
			f.Cb[f.COffset(x, y)] = c.Cb
			f.Cr[f.COffset(x, y)] = c.Cr
		}
	}
	return f
}

var (
	ycRed   = color.YCbCr{Y: 81, Cb: 90, Cr: 240}
	ycGreen = color.YCbCr{Y: 145, Cb: 54, Cr: 34}
)

// xServer starts Xvfb for the test (skipping without it, unless CI is
// set) and points $DISPLAY at it.
func xServer(t *testing.T) *x11Probe {
	t.Helper()
	x := screentest.StartXvfb(t, 640, 480)
	t.Setenv("DISPLAY", x.Display)
	probe, err := openX11Probe(image.Rect(0, 0, 400, 300))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(probe.close)
	return probe
}

// wantColour fails unless the screen shows c (within 2 a channel) at p.
func wantColour(t *testing.T, probe *x11Probe, p image.Point, c color.Color, what string) {
	t.Helper()
	got, err := probe.at(p.X, p.Y)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	r, g, b, _ := c.RGBA()
	if diff(got.R, uint8(r>>8)) > 2 || diff(got.G, uint8(g>>8)) > 2 || diff(got.B, uint8(b>>8)) > 2 {
		t.Errorf("%s: the screen shows %v at %v, want %v", what, got, p, c)
	}
}

func TestNativePreviewDrawsFramesInPlace(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // after Xvfb has stopped
	probe := xServer(t)
	n, err := openNativePreview(probe.handle())
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	frame := halvesFrame(160, 90, ycRed, ycGreen)
	swapped := halvesFrame(160, 90, ycGreen, ycRed)
	rect := image.Rect(40, 30, 360, 230) // 320x200: bars of 10 above and below
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}

	if n.draw(frame) {
		t.Error("a frame was drawn before the window was placed")
	}
	n.place(rect, true)
	if v := probe.viewableChildren(); v != 0 {
		t.Errorf("placed with no frame: %d child windows viewable, want 0", v)
	}
	if !n.draw(frame) {
		t.Fatal("frame not drawn once placed")
	}
	n.place(rect, true)
	if v := probe.viewableChildren(); v != 1 {
		t.Fatalf("placed with a frame: %d child windows viewable, want 1", v)
	}
	wantColour(t, probe, image.Pt(40+80, 30+100), ycRed, "left half")
	wantColour(t, probe, image.Pt(40+240, 30+100), ycGreen, "right half")
	wantColour(t, probe, image.Pt(40+160, 30+5), color.Black, "bar above")
	wantColour(t, probe, image.Pt(40+160, 30+195), color.Black, "bar below")
	wantColour(t, probe, image.Pt(20, 20), white, "outside the preview")
	wantColour(t, probe, image.Pt(370, 100), white, "right of the preview")

	// While mapped, a frame goes straight to the screen.
	n.draw(swapped)
	wantColour(t, probe, image.Pt(40+80, 30+100), ycGreen, "next frame, left half")

	// Not allowed (an overlay): unmapped, and no frame is converted.
	n.place(rect, false)
	if v := probe.viewableChildren(); v != 0 {
		t.Errorf("not allowed: %d child windows viewable, want 0", v)
	}
	wantColour(t, probe, image.Pt(40+80, 30+100), white, "not allowed")
	if n.draw(frame) {
		t.Error("a frame was converted while not allowed")
	}
	n.place(rect, true) // the kept frame is shown again at once
	wantColour(t, probe, image.Pt(40+80, 30+100), ycGreen, "allowed again")

	// Moved: the frame follows. Resized: unmapped until a frame of the new
	// size is drawn.
	moved := rect.Add(image.Pt(20, 40))
	n.place(moved, true)
	n.draw(frame)
	wantColour(t, probe, image.Pt(60+80, 70+100), ycRed, "moved")
	small := image.Rect(0, 0, 160, 90)
	n.place(small, true)
	if v := probe.viewableChildren(); v != 0 {
		t.Errorf("resized, no frame yet: %d child windows viewable, want 0", v)
	}
	n.draw(frame)
	n.place(small, true)
	wantColour(t, probe, image.Pt(40, 45), ycRed, "resized, left half")
	wantColour(t, probe, image.Pt(120, 45), ycGreen, "resized, right half")

	n.close()
	if v := probe.viewableChildren(); v != 0 {
		t.Errorf("closed: %d child windows viewable", v)
	}
	if n.draw(frame) {
		t.Error("a frame was drawn after close")
	}
	n.place(rect, true) // nothing, no crash
	n.close()
}

// TestNativePreviewUnderOverlay runs the preview's own placing (the Fyne
// side, on the test driver) against a real child window: an overlay over
// the canvas (a dialog, a Select's pop-up) unmaps it, and so does Off.
func TestNativePreviewUnderOverlay(t *testing.T) {
	probe := xServer(t)
	test.NewTempApp(t)
	p := newPreviewView(nil)
	w := test.NewWindow(container.NewStack(p.back, p.img))
	defer w.Close()
	w.Resize(fyne.NewSize(400, 300))
	p.win = w
	n, err := openNativePreview(probe.handle())
	if err != nil {
		t.Fatal(err)
	}
	p.native.Store(n)
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	frame := halvesFrame(160, 90, ycRed, ycGreen)
	step := func() {
		now = now.Add(time.Second)
		if !p.take(frame) {
			t.Fatal("frame not taken")
		}
		p.show()
	}
	step() // places the window
	step() // draws, then maps
	if v := probe.viewableChildren(); v != 1 {
		t.Fatalf("a frame shown: %d child windows viewable, want 1", v)
	}
	if p.made.Load() != 1 || p.shown.Load() != 2 {
		t.Errorf("%d frames converted, %d shown; want 1 (the first only placed the window), 2", p.made.Load(), p.shown.Load())
	}
	if p.img.Image != nil || !p.back.Visible() {
		t.Error("Fyne draws the frame too")
	}
	r := pixelRect(fyne.CurrentApp().Driver().AbsolutePositionForObject(p.back), p.back.Size(), w.Canvas().Scale())
	at := letterbox(r.Size(), image.Pt(160, 90)).Add(r.Min)
	wantColour(t, probe, image.Pt(at.Min.X+at.Dx()/4, at.Min.Y+at.Dy()/2), ycRed, "the preview's left half")

	menu := widget.NewLabel("pop-up")
	w.Canvas().Overlays().Add(menu)
	p.recheck()
	if v := probe.viewableChildren(); v != 0 {
		t.Errorf("under an overlay: %d child windows viewable, want 0", v)
	}
	step()
	if v := probe.viewableChildren(); v != 0 || p.made.Load() != 1 {
		t.Errorf("a frame under an overlay: %d child windows viewable, %d converted; want 0, 1", v, p.made.Load())
	}
	w.Canvas().Overlays().Remove(menu)
	p.recheck()
	if v := probe.viewableChildren(); v != 1 {
		t.Errorf("overlay gone: %d child windows viewable, want 1", v)
	}
	p.setRate(0)
	if v := probe.viewableChildren(); v != 0 {
		t.Errorf("preview Off: %d child windows viewable, want 0", v)
	}
	p.close()
	if p.nativeFor() != n {
		t.Error("the native preview was replaced after close")
	}
}
