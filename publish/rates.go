package publish

import (
	"sync"
	"sync/atomic"
	"time"

	"studio/encode"
)

// mediaRate counts the media bytes and video frames that pass one point
// (the connection, or the recording) and reports their rates over about
// the last second. Its methods are safe for concurrent use.
type mediaRate struct {
	video, audio, frames atomic.Uint64
	window               rateWindow
}

func (m *mediaRate) init(now time.Time) { m.window.init(now) }

// count counts one packet of kind with n bytes.
func (m *mediaRate) count(kind encode.Kind, n int) {
	if kind == encode.Video {
		m.video.Add(uint64(n))
		m.frames.Add(1)
	} else {
		m.audio.Add(uint64(n))
	}
}

func (m *mediaRate) sample(now time.Time) rateSample {
	return rateSample{at: now, video: m.video.Load(), audio: m.audio.Load(), frames: m.frames.Load()}
}

// tick keeps a sample of the counters for later rates.
func (m *mediaRate) tick(now time.Time) { m.window.add(m.sample(now)) }

// rates returns video kbps, audio kbps and frames per second over about
// the last second.
func (m *mediaRate) rates(now time.Time) (videoKbps, audioKbps, fps float64) {
	return m.window.rates(now, m.sample(now))
}

// bytes is every byte counted so far.
func (m *mediaRate) bytes() uint64 { return m.video.Load() + m.audio.Load() }

type rateSample struct {
	at                   time.Time
	video, audio, frames uint64
}

// rateWindow keeps the last few counter samples so that rates can be
// reported over about one second.
type rateWindow struct {
	mu      sync.Mutex
	samples [8]rateSample // ring, guarded by mu
	next    int
	n       int
}

func (w *rateWindow) init(now time.Time) { w.add(rateSample{at: now}) }

func (w *rateWindow) add(s rateSample) {
	w.mu.Lock()
	w.samples[w.next] = s
	w.next = (w.next + 1) % len(w.samples)
	w.n = min(w.n+1, len(w.samples))
	w.mu.Unlock()
}

// rates returns video kbps, audio kbps and frames per second between the
// newest sample at least one second older than cur (or the oldest kept,
// then counted over one second) and cur.
func (w *rateWindow) rates(now time.Time, cur rateSample) (videoKbps, audioKbps, fps float64) {
	w.mu.Lock()
	base := rateSample{}
	found := false
	for i := 1; i <= w.n; i++ {
		s := w.samples[(w.next-i+len(w.samples))%len(w.samples)]
		base, found = s, true
		if now.Sub(s.at) >= time.Second {
			break
		}
	}
	w.mu.Unlock()
	if !found {
		return 0, 0, 0
	}
	// Within the first second, the counters started at zero less than a
	// second ago: the rate over the last second still divides by one, so
	// that a first keyframe does not read as a burst of many Mbit/s.
	dt := max(now.Sub(base.at).Seconds(), 1)
	return float64(cur.video-base.video) * 8 / 1000 / dt,
		float64(cur.audio-base.audio) * 8 / 1000 / dt,
		float64(cur.frames-base.frames) / dt
}
