package audiosync

import (
	"sync"
	"time"

	"studio/capture"
)

// maxFree bounds the frames kept for reuse.
const maxFree = 64

// framePool recycles output frames and their sample buffers. Release may be
// called from any goroutine.
type framePool struct {
	mu   sync.Mutex
	free []*pooled
	size int // int16 values per frame
}

// pooled is one reusable frame; rel is bound once so that handing a frame
// out allocates nothing.
type pooled struct {
	frame capture.AudioFrame
	buf   []int16
	rel   func()
	pool  *framePool
}

func (p *framePool) get() *pooled {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		f := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return f
	}
	p.mu.Unlock()
	f := &pooled{buf: make([]int16, p.size), pool: p}
	f.rel = f.put
	return f
}

func (f *pooled) put() {
	p := f.pool
	p.mu.Lock()
	if len(p.free) < maxFree {
		p.free = append(p.free, f)
	}
	p.mu.Unlock()
}

// writer assembles output samples into frames of a fixed size on a
// contiguous timeline: frame k's PTS is base + k·frameSamples/rate, computed
// from the integer sample count so that it never drifts.
type writer struct {
	rate, ch     int
	frameSamples int
	base         time.Duration
	frames       int64   // frames emitted
	cur          *pooled // frame being filled, or nil
	fill         int     // frames (per channel) in cur
	pool         framePool
}

// ptsOf returns the time of output sample n.
func (w *writer) ptsOf(n int64) time.Duration {
	r := int64(w.rate)
	return w.base + time.Duration(n/r)*time.Second + time.Duration((n%r)*int64(time.Second)/r)
}

// samples returns the number of output samples written so far.
func (w *writer) samples() int64 { return w.frames*int64(w.frameSamples) + int64(w.fill) }

// next returns the PTS of the next frame to be emitted.
func (w *writer) next() time.Duration { return w.ptsOf(w.frames * int64(w.frameSamples)) }

// room returns the current frame's buffer space, starting a frame if needed.
func (w *writer) room() []int16 {
	if w.cur == nil {
		w.cur = w.pool.get()
		w.fill = 0
	}
	return w.cur.buf[w.fill*w.ch:]
}

// advance records that n samples were written into room() and emits the
// frame onto dst when it is full.
func (w *writer) advance(n int, dst []*capture.AudioFrame) []*capture.AudioFrame {
	w.fill += n
	if w.fill < w.frameSamples {
		return dst
	}
	f := w.cur
	w.cur = nil
	f.frame = *capture.NewAudioFrame(f.buf, w.rate, w.ch, w.next(), f.rel)
	w.frames++
	w.fill = 0
	return append(dst, &f.frame)
}

// writeFloat writes frames of src (srcCh interleaved channels, srcCh ≤ w.ch)
// converted to int16 with rounding and clipping.
func (w *writer) writeFloat(src []float32, srcCh int, dst []*capture.AudioFrame) []*capture.AudioFrame {
	for len(src) > 0 {
		out := w.room()
		n := min(len(out)/w.ch, len(src)/srcCh)
		if srcCh == w.ch {
			for i, v := range src[:n*srcCh] {
				out[i] = toInt16(v)
			}
		} else {
			for i, v := range src[:n] {
				s := toInt16(v)
				out[2*i], out[2*i+1] = s, s
			}
		}
		src = src[n*srcCh:]
		dst = w.advance(n, dst)
	}
	return dst
}

// writeSilence writes n silent samples.
func (w *writer) writeSilence(n int64, dst []*capture.AudioFrame) []*capture.AudioFrame {
	for n > 0 {
		out := w.room()
		k := min(int64(len(out)/w.ch), n)
		clear(out[:int(k)*w.ch])
		n -= k
		dst = w.advance(int(k), dst)
	}
	return dst
}

func toInt16(v float32) int16 {
	v *= 32768
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
