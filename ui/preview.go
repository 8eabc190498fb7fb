package ui

import (
	"image"
	"image/color"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// PreviewRates are the preview frame rates offered, in frames a second;
// "Off" shows no preview. DefaultPreviewRate is the first run's.
var PreviewRates = []string{"5", "15", "30", "Off"}

const DefaultPreviewRate = "15"

// previewRate returns the frames a second of a PreviewRates choice (0 for
// Off or anything unknown).
func previewRate(choice string) int32 {
	n, err := strconv.Atoi(choice)
	if err != nil || n < 0 {
		return 0
	}
	return int32(n)
}

// previewView shows the backend's preview frames in one canvas.Image, and
// does as little work as it can for that. A frame is converted to RGBA
// only when it will be shown: at most rate frames a second, never while
// the previous one waits to be drawn or while the window is hidden, and
// only at the size the preview is drawn (never above the frame's own; the
// GPU scales it up). It converts into one of two buffers that it reuses:
// one is shown while the other is written.
//
// On X11 the frames are drawn instead by a nativePreview, in a window of
// their own over the preview's area (see previewnative.go), and the
// canvas.Image stays empty: showing a frame then costs no redraw of the
// Fyne window.
//
// take runs on the backend's frame goroutine; show and the setters on
// the UI goroutine; the atomics are what they share.
type previewView struct {
	img *canvas.Image // UI goroutine only
	// back is the black screen shown while there is no frame; it is
	// hidden under a frame, so that the window does not fill that area
	// twice on every redraw (with a software renderer, a third of a
	// redraw's cost).
	back *canvas.Rectangle
	rate atomic.Int32 // frames a second; 0 shows none
	// hidden is set while the window cannot be seen.
	hidden  atomic.Bool
	box     atomic.Uint64 // drawn area in pixels, width<<32 | height; 0 before layout
	pending atomic.Bool   // a converted frame waits in ready to be shown
	ready   atomic.Pointer[image.RGBA]
	free    chan *image.RGBA // buffers to write (nil: not yet made); holds both
	last    atomic.Int64     // when the last frame was taken, unix nanos
	// nextAt is next in unix nanos, for wants (which must not lock).
	nextAt atomic.Int64
	shown  atomic.Uint64 // frames shown
	made   atomic.Uint64 // frames converted

	win      fyne.Window // the window shown in; nil: no native preview
	nativeMu sync.Mutex  // attaching and closing the native preview
	tried    bool        // a native preview was tried, or closed
	native   atomic.Pointer[nativePreview]

	mu   sync.Mutex // the frame goroutine's state below
	next time.Time  // the earliest time the next frame is taken
	conv rgbScaler
	now  func() time.Time
}

// newPreviewView makes the preview of the window w (nil for none: the
// preview is then always drawn by Fyne).
func newPreviewView(w fyne.Window) *previewView {
	p := &previewView{free: make(chan *image.RGBA, 2), now: time.Now, win: w}
	p.free <- nil
	p.free <- nil
	p.img = canvas.NewImageFromImage(nil)
	p.img.FillMode = canvas.ImageFillContain
	p.img.ScaleMode = canvas.ImageScaleFastest
	p.img.SetMinSize(fyne.NewSize(320, 180))
	p.back = canvas.NewRectangle(color.Black)
	p.rate.Store(previewRate(DefaultPreviewRate))
	return p
}

// wants reports whether take would take a frame now, so that the backend
// need not sample frames that would be skipped. Any goroutine; it never
// blocks.
func (p *previewView) wants() bool {
	return p.rate.Load() > 0 && !p.hidden.Load() && !p.pending.Load() &&
		p.now().UnixNano() >= p.nextAt.Load()
}

// take converts img for showing and returns true when it is to be shown
// (then show must run on the UI goroutine); it returns false at once for
// a frame that is skipped. img is not kept.
func (p *previewView) take(img image.Image) bool {
	rate := p.rate.Load()
	if rate <= 0 || p.hidden.Load() || p.pending.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Before(p.next) {
		return false
	}
	if n := p.native.Load(); n != nil {
		if n.draw(img) {
			p.made.Add(1)
		}
		p.taken(now, rate)
		return true // show places the child window, and maps it
	}
	var buf *image.RGBA
	select {
	case buf = <-p.free:
	default:
		return false // both buffers are shown or waiting
	}
	size := p.drawSize(img.Bounds().Size())
	if buf == nil || buf.Rect.Size() != size {
		buf = image.NewRGBA(image.Rectangle{Max: size})
	}
	p.conv.scale(buf, img)
	p.made.Add(1)
	p.ready.Store(buf)
	p.taken(now, rate)
	return true
}

// taken notes a frame taken at now, to be shown. p.mu held.
func (p *previewView) taken(now time.Time, rate int32) {
	// A tenth of the interval's slack, so that a source's jitter does not
	// skip every other frame.
	p.next = now.Add(time.Second * 9 / time.Duration(10*rate))
	p.nextAt.Store(p.next.UnixNano())
	p.last.Store(now.UnixNano())
	p.pending.Store(true)
}

// drawSize is the size in pixels at which a frame of the given size is
// drawn: the preview's area with the frame's aspect, at most the frame's
// own size.
func (p *previewView) drawSize(frame image.Point) image.Point {
	b := p.box.Load()
	bw, bh := int(b>>32), int(b&0xffffffff)
	if bw < 2 || bh < 2 || frame.X < 2 || frame.Y < 2 {
		return frame
	}
	w, h := bw, bw*frame.Y/frame.X
	if h > bh {
		w, h = bh*frame.X/frame.Y, bh
	}
	return image.Pt(max(min(w, frame.X), 2), max(min(h, frame.Y), 2))
}

// show puts the converted frame on screen and gives the buffer it
// replaces back. UI goroutine only.
func (p *previewView) show() {
	if n := p.nativeFor(); n != nil {
		p.showNative(n)
		return
	}
	buf := p.ready.Swap(nil)
	p.pending.Store(false)
	if buf == nil {
		return
	}
	if p.rate.Load() <= 0 {
		p.free <- buf
		return
	}
	old, _ := p.img.Image.(*image.RGBA)
	p.img.Image = buf
	p.img.Refresh()
	if p.back.Visible() {
		p.back.Hide()
	}
	if old != nil && old != buf {
		p.free <- old // never blocks: the channel holds both buffers
	}
	p.shown.Add(1)
	p.measure()
}

// measure notes the preview's drawn area, in pixels.
func (p *previewView) measure() {
	size := p.img.Size()
	scale := float32(1)
	if app := fyne.CurrentApp(); app != nil {
		if c := app.Driver().CanvasForObject(p.img); c != nil {
			scale = c.Scale()
		}
	}
	w, h := uint64(size.Width*scale), uint64(size.Height*scale)
	p.box.Store(w<<32 | h)
}

// setRate sets the frames a second shown; 0 clears the preview. UI
// goroutine only.
func (p *previewView) setRate(fps int32) {
	p.rate.Store(fps)
	if fps > 0 {
		return
	}
	if n := p.native.Load(); n != nil {
		p.placeNative(n)
	}
	if old, _ := p.img.Image.(*image.RGBA); old != nil {
		p.img.Image = nil
		p.img.Refresh()
		p.back.Show()
		p.free <- old
	}
}
