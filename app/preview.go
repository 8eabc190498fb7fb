package app

import (
	"image"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
	"studio/capture/tap"
)

// PreviewWidth is the widest preview frame handed to the window.
const PreviewWidth = 640

// PreviewMaxFPS is the most preview frames a second handed to the window:
// as many as a 30 fps camera gives. The window shows fewer (it picks its
// own rate) and skips the rest at the cost of a check.
const PreviewMaxFPS = 30

// previewInterval is the least capture time between two preview frames:
// a little under 1/PreviewMaxFPS, so that a 30 fps source's timestamps,
// rounded, give every frame.
const previewInterval = time.Second/PreviewMaxFPS - 3*time.Millisecond

// levelInterval is the least capture time between two level callbacks:
// 20 a second.
const levelInterval = 50 * time.Millisecond

// previewer makes the window's preview frames. Its tap (given to
// tap.Video) runs on the encoder's goroutine: it copies a downsized sample
// of the frame, at most PreviewWidth wide, into a free buffer (about
// 0.1 ms for 1280x720 to 640x360) and hands it to a goroutine of its own
// that calls the callback with it. When that goroutine is still busy the
// frame is skipped, so a slow preview never slows the encoder.
//
// The frame given to the callback is a 4:2:0 *image.YCbCr that stays
// valid only until the callback returns: the previewer writes into it
// again afterwards. Nothing is converted to RGB here; the window converts
// the frames it shows, at the size it shows them.
type previewer struct {
	onFrame atomic.Pointer[func(image.Image)]
	// wants, when it holds a check, says whether the next frame will be
	// shown; frames it declines are not sampled.
	wants *atomic.Pointer[func() bool]
	// Column and row maps from preview to source pixels, made for the
	// source's size on the first frame; the tap's goroutine only.
	srcSize    image.Point
	xs, ys     []int // luma
	cxs, cys   []int // chroma
	free, full chan *image.YCbCr
	done       chan struct{} // closed when the caller goroutine has returned
	stop       sync.Once
}

// newPreviewer returns a previewer for frames of p; wants (nil for none)
// is read before each frame.
func newPreviewer(p capture.VideoProps, wants *atomic.Pointer[func() bool]) *previewer {
	pw := min(PreviewWidth, p.Width) &^ 1
	ph := max(pw*p.Height/max(p.Width, 1), 2) &^ 1
	if wants == nil {
		wants = new(atomic.Pointer[func() bool])
	}
	v := &previewer{wants: wants, free: make(chan *image.YCbCr, 2), full: make(chan *image.YCbCr, 2), done: make(chan struct{})}
	for range 2 {
		v.free <- image.NewYCbCr(image.Rect(0, 0, pw, ph), image.YCbCrSubsampleRatio420)
	}
	go v.deliver()
	return v
}

// setCallback sets (or, with nil, clears) the preview callback.
func (v *previewer) setCallback(fn func(image.Image)) {
	if fn == nil {
		v.onFrame.Store(nil)
		return
	}
	v.onFrame.Store(&fn)
}

// tap is the tap.Video callback: it samples img into a free buffer, if
// there is one and a preview is wanted.
func (v *previewer) tap(img *image.YCbCr, _ time.Duration) {
	if v.onFrame.Load() == nil || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return
	}
	if w := v.wants.Load(); w != nil && !(*w)() {
		return
	}
	select {
	case buf := <-v.free:
		v.downsize(buf, img)
		v.full <- buf // never blocks: it holds as many buffers as exist
	default: // the callback is behind: skip this frame
	}
}

// close stops the caller goroutine; no tap may run during or after it.
func (v *previewer) close() {
	v.stop.Do(func() { close(v.full) })
	<-v.done
}

// deliver hands sampled frames to the callback, one at a time.
func (v *previewer) deliver() {
	defer close(v.done)
	for buf := range v.full {
		if fn := v.onFrame.Load(); fn != nil {
			(*fn)(buf)
		}
		v.free <- buf
	}
}

// downsize samples src into dst (both 4:2:0) by nearest neighbour, through
// column and row maps made once per source size.
func (v *previewer) downsize(dst, src *image.YCbCr) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	if v.srcSize != (image.Point{sw, sh}) {
		v.srcSize = image.Point{sw, sh}
		v.xs, v.ys = sampleMap(dw, sw), sampleMap(dh, sh)
		v.cxs, v.cys = sampleMap(dw/2, (sw+1)/2), sampleMap(dh/2, (sh+1)/2)
	}
	sample(dst.Y, dst.YStride, src.Y[src.YOffset(src.Rect.Min.X, src.Rect.Min.Y):], src.YStride, v.xs, v.ys)
	co := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	sample(dst.Cb, dst.CStride, src.Cb[co:], src.CStride, v.cxs, v.cys)
	sample(dst.Cr, dst.CStride, src.Cr[co:], src.CStride, v.cxs, v.cys)
}

// sampleMap maps each of n preview positions to one of from source
// positions.
func sampleMap(n, from int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i * from / n
	}
	return m
}

func sample(d []byte, dstride int, s []byte, sstride int, xs, ys []int) {
	for y, sy := range ys {
		srow := s[sy*sstride:]
		drow := d[y*dstride : y*dstride+len(xs)]
		for x, sx := range xs {
			drow[x] = srow[sx]
		}
	}
}

// levels turns the audio tap's per-frame levels into one report per
// levelInterval: the highest peak and the RMS over the interval.
type levels struct {
	onLevel atomic.Pointer[func(peakDB, rmsDB float64)]
	// The reading goroutine only:
	peak, sumSq float64
	n           int
	started     bool
	since       time.Duration
}

func (l *levels) setCallback(fn func(peakDB, rmsDB float64)) {
	if fn == nil {
		l.onLevel.Store(nil)
		return
	}
	l.onLevel.Store(&fn)
}

// add is the tap.Audio callback.
func (l *levels) add(lv tap.Level) {
	fn := l.onLevel.Load()
	if fn == nil {
		return
	}
	if !l.started {
		l.started, l.since = true, lv.PTS
	}
	l.peak = max(l.peak, lv.PeakDBFS)
	if l.n == 0 {
		l.peak = lv.PeakDBFS
	}
	l.sumSq += math.Pow(10, lv.RMSDBFS/10) // -Inf gives 0
	l.n++
	if lv.PTS-l.since < levelInterval {
		return
	}
	(*fn)(l.peak, 10*math.Log10(l.sumSq/float64(l.n)))
	l.peak, l.sumSq, l.n, l.since = 0, 0, 0, lv.PTS
}
