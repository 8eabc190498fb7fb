package main

import (
	"context"
	"image"
	"image/draw"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
)

// PreviewWidth is the widest preview frame handed to the window.
const PreviewWidth = 640

// previewInterval is the least time between two preview frames (30 fps).
const previewInterval = 33 * time.Millisecond

// videoTap is a VideoSource that passes its source's frames on unchanged
// and, at most every previewInterval, hands a downsized copy to a
// converter goroutine that makes an RGBA image and calls the preview
// callback. The copy is a nearest-neighbour sample (about 0.3 ms for
// 1280x720 to 640x360); when the converter is still busy the frame is
// skipped, so a slow preview never slows the encoder.
type videoTap struct {
	src     capture.VideoSource
	onFrame atomic.Pointer[func(image.Image)]
	last    time.Duration // PTS of the last frame tapped; Read's goroutine only
	tapped  bool
	free    chan *image.YCbCr // buffers the tap may fill
	full    chan *image.YCbCr // buffers waiting for the converter
	done    chan struct{}     // closed when the converter has returned
	close   sync.Once
}

func newVideoTap(src capture.VideoSource) *videoTap {
	p := src.Props()
	pw := min(PreviewWidth, p.Width) &^ 1
	ph := max(pw*p.Height/p.Width, 2) &^ 1
	t := &videoTap{src: src, free: make(chan *image.YCbCr, 2), full: make(chan *image.YCbCr, 2), done: make(chan struct{})}
	for range 2 {
		t.free <- image.NewYCbCr(image.Rect(0, 0, pw, ph), image.YCbCrSubsampleRatio420)
	}
	go t.convert()
	return t
}

// setCallback sets (or, with nil, clears) the preview callback.
func (t *videoTap) setCallback(fn func(image.Image)) {
	if fn == nil {
		t.onFrame.Store(nil)
		return
	}
	t.onFrame.Store(&fn)
}

func (t *videoTap) Props() capture.VideoProps { return t.src.Props() }

// Read returns the source's next frame, after tapping it when a preview is
// due.
func (t *videoTap) Read(ctx context.Context) (*capture.VideoFrame, error) {
	f, err := t.src.Read(ctx)
	if err != nil {
		return nil, err
	}
	if t.onFrame.Load() != nil && (!t.tapped || f.PTS-t.last >= previewInterval-2*time.Millisecond) {
		select {
		case buf := <-t.free:
			downsize(buf, f.Image)
			t.full <- buf // never blocks: it holds as many buffers as exist
			t.last, t.tapped = f.PTS, true
		default: // the converter is behind: skip this frame
		}
	}
	return f, nil
}

// Close closes the source and stops the converter. No Read may be in
// progress or follow.
func (t *videoTap) Close() error {
	err := t.src.Close()
	t.close.Do(func() { close(t.full) })
	<-t.done
	return err
}

// convert turns tapped frames into RGBA images for the callback.
func (t *videoTap) convert() {
	defer close(t.done)
	for buf := range t.full {
		fn := t.onFrame.Load()
		if fn == nil {
			t.free <- buf
			continue
		}
		// A fresh image each time: the window may still be drawing the
		// previous one.
		rgba := image.NewRGBA(buf.Rect)
		draw.Draw(rgba, rgba.Rect, buf, buf.Rect.Min, draw.Src)
		t.free <- buf
		(*fn)(rgba)
	}
}

// downsize samples src into dst (both 4:2:0) by nearest neighbour.
func downsize(dst, src *image.YCbCr) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	sample := func(d []byte, dstride, dw, dh int, s []byte, sstride, sw, sh int) {
		for y := range dh {
			srow := s[(y*sh/dh)*sstride:]
			drow := d[y*dstride : y*dstride+dw]
			for x := range drow {
				drow[x] = srow[x*sw/dw]
			}
		}
	}
	sample(dst.Y, dst.YStride, dw, dh, src.Y, src.YStride, sw, sh)
	sample(dst.Cb, dst.CStride, dw/2, dh/2, src.Cb, src.CStride, sw/2, sh/2)
	sample(dst.Cr, dst.CStride, dw/2, dh/2, src.Cr, src.CStride, sw/2, sh/2)
}

// levelInterval is the least time between two level callbacks.
const levelInterval = 50 * time.Millisecond

// audioTap is an AudioSource that measures its source's level, silences
// it when muted, and plays it on the monitor when one is set. The level
// callback runs on the reading goroutine and must return at once.
type audioTap struct {
	src     capture.AudioSource
	muted   atomic.Bool
	onLevel atomic.Pointer[func(peakDB, rmsDB float64)]
	monitor atomic.Pointer[func([]int16)]
	// Read's goroutine only:
	peak    float64
	sumSq   float64
	n       int
	started bool
	since   time.Duration
}

func newAudioTap(src capture.AudioSource) *audioTap { return &audioTap{src: src} }

func (t *audioTap) setCallback(fn func(peakDB, rmsDB float64)) {
	if fn == nil {
		t.onLevel.Store(nil)
		return
	}
	t.onLevel.Store(&fn)
}

func (t *audioTap) setMonitor(fn func([]int16)) {
	if fn == nil {
		t.monitor.Store(nil)
		return
	}
	t.monitor.Store(&fn)
}

func (t *audioTap) Props() capture.AudioProps { return t.src.Props() }
func (t *audioTap) Close() error              { return t.src.Close() }

func (t *audioTap) Read(ctx context.Context) (*capture.AudioFrame, error) {
	f, err := t.src.Read(ctx)
	if err != nil {
		return nil, err
	}
	if t.muted.Load() {
		clear(f.Samples)
	}
	if m := t.monitor.Load(); m != nil {
		(*m)(f.Samples)
	}
	if fn := t.onLevel.Load(); fn != nil {
		t.measure(f, *fn)
	}
	return f, nil
}

// measure accumulates the level and reports it every levelInterval.
func (t *audioTap) measure(f *capture.AudioFrame, fn func(peakDB, rmsDB float64)) {
	if !t.started {
		t.started, t.since = true, f.PTS
	}
	for _, s := range f.Samples {
		v := math.Abs(float64(s))
		t.peak = max(t.peak, v)
		t.sumSq += v * v
	}
	t.n += len(f.Samples)
	if f.PTS-t.since < levelInterval || t.n == 0 {
		return
	}
	fn(dbfs(t.peak), dbfs(math.Sqrt(t.sumSq/float64(t.n))))
	t.peak, t.sumSq, t.n, t.since = 0, 0, 0, f.PTS
}

// dbfs converts a 16-bit sample magnitude to dBFS (-Inf for silence).
func dbfs(v float64) float64 { return 20 * math.Log10(v/32768) }

// lease lends a source to an encoder: Close ends the loan without closing
// the source, which the backend keeps for the preview.
type lease[F any, P any] struct {
	src interface {
		Read(context.Context) (F, error)
		Props() P
	}
	closed atomic.Bool
}

func (l *lease[F, P]) Read(ctx context.Context) (F, error) {
	if l.closed.Load() {
		var zero F
		return zero, capture.ErrClosed
	}
	return l.src.Read(ctx)
}

func (l *lease[F, P]) Props() P { return l.src.Props() }

func (l *lease[F, P]) Close() error {
	l.closed.Store(true)
	return nil
}
