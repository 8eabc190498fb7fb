// Package tap lets the window look at media on its way to the encoders
// without slowing it down: Video hands a preview frame to a callback at most
// once per interval, and Audio measures levels, mutes, and copies PCM to
// monitors.
//
// Taps run their callbacks on the reading goroutine (the encoder's), so the
// callbacks must return quickly and copy what they keep. Subscribers to an
// AudioTap are the exception: each gets its own goroutine and a bounded
// queue, so a slow one loses audio rather than delaying the stream.
package tap

import (
	"context"
	"image"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
)

// Video wraps src: every frame passes through unchanged, and at most once per
// interval of capture time (measured on the frames' PTS; the first frame
// always) fn gets the frame to look at. fn runs on the reading goroutine
// before Read returns, must not keep img or write to it, and must return
// fast. The wrapper never blocks or allocates on its own. Close closes src.
// fn may be nil (the wrapper is then a pass-through).
func Video(src capture.VideoSource, interval time.Duration, fn func(img *image.YCbCr, pts time.Duration)) capture.VideoSource {
	return &videoTap{src: src, interval: interval, fn: fn}
}

type videoTap struct {
	src      capture.VideoSource
	interval time.Duration
	fn       func(*image.YCbCr, time.Duration)

	// Guarded by the VideoSource contract (Read is not concurrent).
	started bool
	last    time.Duration
}

func (v *videoTap) Props() capture.VideoProps { return v.src.Props() }
func (v *videoTap) Close() error              { return v.src.Close() }

func (v *videoTap) Read(ctx context.Context) (*capture.VideoFrame, error) {
	f, err := v.src.Read(ctx)
	if err != nil || v.fn == nil {
		return f, err
	}
	if !v.started || f.PTS-v.last >= v.interval || f.PTS < v.last {
		v.started, v.last = true, f.PTS
		v.fn(f.Image, f.PTS)
	}
	return f, nil
}

// Level is the loudness of one audio frame, in dB relative to full scale
// (a square wave at ±32768 is 0 dBFS; a sine reaching ±full scale has an RMS
// of about -3 dBFS). Digital silence is -Inf.
type Level struct {
	PeakDBFS, RMSDBFS float64
	// PTS is the capture time of the frame's first sample.
	PTS time.Duration
}

// AudioTap is a capture.AudioSource that passes its source's frames through,
// measuring each one and optionally silencing it. Levels are measured on what
// is passed on, so a muted tap reports -Inf.
//
// SetMuted, Muted, Subscribe and the cancel functions are safe from any
// goroutine. Read does not allocate in steady state.
type AudioTap struct {
	src   capture.AudioSource
	fn    func(Level)
	muted atomic.Bool

	subs    atomic.Pointer[[]*subscriber] // copy on write, under subMu
	subMu   sync.Mutex
	closed  bool // guarded by subMu
	closeMu sync.Once
}

// Audio wraps src. fn, if not nil, gets the level of every frame on the
// reading goroutine, before Read returns; it must return fast.
func Audio(src capture.AudioSource, fn func(l Level)) *AudioTap {
	return &AudioTap{src: src, fn: fn}
}

// SetMuted silences (or restores) the frames Read returns from the next one
// on. Timestamps and frame sizes do not change.
func (t *AudioTap) SetMuted(m bool) { t.muted.Store(m) }

// Muted reports whether the tap is muted.
func (t *AudioTap) Muted() bool { return t.muted.Load() }

// Props returns the source's properties.
func (t *AudioTap) Props() capture.AudioProps { return t.src.Props() }

// Read returns the source's next frame, silenced when muted, after reporting
// its level and queueing a copy for each subscriber.
func (t *AudioTap) Read(ctx context.Context) (*capture.AudioFrame, error) {
	f, err := t.src.Read(ctx)
	if err != nil {
		return f, err
	}
	if t.muted.Load() {
		clear(f.Samples)
	}
	if t.fn != nil {
		peak, rms := measure(f.Samples)
		t.fn(Level{PeakDBFS: dbfs(peak), RMSDBFS: dbfs(rms), PTS: f.PTS})
	}
	if subs := t.subs.Load(); subs != nil {
		for _, s := range *subs {
			s.offer(f.Samples, f.SampleRate, f.Channels)
		}
	}
	return f, nil
}

// measure returns the peak and RMS of s as fractions of full scale (32768).
func measure(s []int16) (peak, rms float64) {
	if len(s) == 0 {
		return 0, 0
	}
	var pk int32
	var sum float64
	for _, v := range s {
		a := int32(v)
		if a < 0 {
			a = -a
		}
		pk = max(pk, a)
		f := float64(v)
		sum += f * f
	}
	const fs = 32768
	return float64(pk) / fs, math.Sqrt(sum/float64(len(s))) / fs
}

func dbfs(x float64) float64 {
	if x <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(x)
}

// Close stops every subscriber's goroutine, then closes the source. Safe to
// call more than once.
func (t *AudioTap) Close() error {
	t.closeMu.Do(func() {
		t.subMu.Lock()
		t.closed = true
		var subs []*subscriber
		if p := t.subs.Swap(nil); p != nil {
			subs = *p
		}
		t.subMu.Unlock()
		for _, s := range subs {
			s.stop()
		}
	})
	return t.src.Close()
}

// subQueue is how many frames may wait for a subscriber before new ones are
// dropped (about 170 ms of 1024-sample frames at 48 kHz).
const subQueue = 8

// Subscribe makes fn receive a copy of every frame's samples (after muting)
// on a goroutine of its own, in order. When fn falls more than a few frames
// behind, frames are dropped for it; the stream never waits. fn must not keep
// samples after it returns. cancel stops the goroutine and waits for fn to
// return; it is safe to call more than once. After Close, Subscribe does
// nothing.
func (t *AudioTap) Subscribe(fn func(samples []int16, rate, channels int)) (cancel func()) {
	s := &subscriber{
		fn:     fn,
		queue:  make(chan pcm, subQueue),
		free:   make(chan []int16, subQueue),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	for range subQueue {
		s.free <- nil
	}
	t.subMu.Lock()
	if t.closed {
		t.subMu.Unlock()
		return func() {}
	}
	var next []*subscriber
	if p := t.subs.Load(); p != nil {
		next = append(next, *p...)
	}
	next = append(next, s)
	t.subs.Store(&next)
	t.subMu.Unlock()
	go s.run()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.subMu.Lock()
			if p := t.subs.Load(); p != nil {
				var rest []*subscriber
				for _, o := range *p {
					if o != s {
						rest = append(rest, o)
					}
				}
				t.subs.Store(&rest)
			}
			t.subMu.Unlock()
			s.stop()
		})
	}
}

type pcm struct {
	samples        []int16
	rate, channels int
}

// subscriber owns one goroutine (run) that feeds fn from queue. Buffers
// circulate between free and queue, so a steady stream does not allocate.
type subscriber struct {
	fn       func([]int16, int, int)
	queue    chan pcm
	free     chan []int16
	done     chan struct{}
	exited   chan struct{}
	stopOnce sync.Once
	dropped  atomic.Uint64
}

// offer queues a copy of samples, or drops it when fn is behind.
func (s *subscriber) offer(samples []int16, rate, channels int) {
	var buf []int16
	select {
	case buf = <-s.free:
	default:
		s.dropped.Add(1)
		return
	}
	buf = append(buf[:0], samples...)
	select {
	case s.queue <- pcm{buf, rate, channels}:
	default: // cannot happen: queue has room for every free buffer
		s.free <- buf
		s.dropped.Add(1)
	}
}

func (s *subscriber) run() {
	defer close(s.exited)
	for {
		select {
		case p := <-s.queue:
			s.fn(p.samples, p.rate, p.channels)
			s.free <- p.samples
		case <-s.done:
			return
		}
	}
}

func (s *subscriber) stop() {
	s.stopOnce.Do(func() { close(s.done) })
	<-s.exited
}
