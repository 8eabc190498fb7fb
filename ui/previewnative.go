package ui

import (
	"image"
	"time"

	"fyne.io/fyne/v2"
)

// nativeFor returns the native preview, trying once to make it when the
// window is an X11 window that exists (until then it tries again at each
// call); nil while frames are drawn by Fyne. UI goroutine only.
func (p *previewView) nativeFor() *nativePreview {
	if n := p.native.Load(); n != nil {
		return n
	}
	p.nativeMu.Lock()
	defer p.nativeMu.Unlock()
	if p.tried || p.win == nil {
		return nil
	}
	handle, isX11 := x11Handle(p.win)
	if !isX11 {
		p.tried = true
		return nil
	}
	if handle == 0 {
		return nil // not yet shown
	}
	p.tried = true
	n, err := openNativePreview(handle)
	if err != nil {
		return nil
	}
	p.native.Store(n)
	return n
}

// showNative ends a frame's showing once the native preview has drawn it:
// it frees what the canvas.Image held (frames taken before the native
// preview was made) and places the child window. UI goroutine only.
func (p *previewView) showNative(n *nativePreview) {
	if buf := p.ready.Swap(nil); buf != nil {
		p.free <- buf
	}
	p.pending.Store(false)
	if old, _ := p.img.Image.(*image.RGBA); old != nil {
		p.img.Image = nil
		p.img.Refresh()
		p.back.Show()
		p.free <- old
	}
	p.placeNative(n)
	p.shown.Add(1)
}

// placeNative puts the child window over the preview's area, and lets it
// be seen only while nothing of Fyne's is drawn over that area (no
// overlay: dialog, pop-up menu) and the preview is on. UI goroutine only.
func (p *previewView) placeNative(n *nativePreview) {
	c := p.win.Canvas()
	allow := p.rate.Load() > 0 && c.Overlays().Top() == nil
	var r image.Rectangle
	if app := fyne.CurrentApp(); app != nil && p.back.Visible() {
		pos := app.Driver().AbsolutePositionForObject(p.back)
		r = pixelRect(pos, p.back.Size(), c.Scale())
	}
	n.place(r, allow)
}

// nativeStale is how long after the last frame taken the child window's
// place is checked on the tick rather than with the next frame.
const nativeStale = 150 * time.Millisecond

// stale returns whether the native preview's place should be checked
// now: frames stopped coming (or never came), so that no frame will do it.
// Any goroutine.
func (p *previewView) stale() bool {
	return p.native.Load() != nil && time.Since(time.Unix(0, p.last.Load())) > nativeStale
}

// recheck places the native preview's child window again (an overlay
// opened or closed, the layout changed). UI goroutine only.
func (p *previewView) recheck() {
	if n := p.native.Load(); n != nil {
		p.placeNative(n)
	}
}

// close destroys the native preview's window; frames are not drawn
// natively after it. Any goroutine, once the frames have stopped.
func (p *previewView) close() {
	p.nativeMu.Lock()
	defer p.nativeMu.Unlock()
	p.tried = true
	if n := p.native.Load(); n != nil {
		n.close()
	}
}
