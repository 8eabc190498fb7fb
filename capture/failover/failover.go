// Package failover keeps a stream going when a camera or microphone goes
// away: the wrapped source's frames pass through until it fails, and from
// then on the wrapper makes stand-in frames — a "CAMERA LOST" slate, or
// silence — at the same size, rate and channel count, with timestamps that
// carry on from the device's. The encoder never sees the device's error.
package failover

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"studio/capture"
	"studio/capture/synth"
)

// SlateMessage is what the slate says when the camera is lost.
const SlateMessage = "CAMERA LOST"

// lost reports whether err from a source's Read means the device failed,
// rather than the read being cancelled or the source closed.
func lost(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, capture.ErrClosed)
}

// Video wraps a camera source. Its frames pass through (renumbered: Seq
// counts the frames this wrapper returned) until a Read fails with anything
// but a ctx error or capture.ErrClosed. Then it calls onLost once with that
// error (on the reading goroutine; onLost may be nil), closes src, and from
// then on returns slate frames (synth.Slate saying SlateMessage, with the
// clock) of src's size and frame rate, paced in real time, their PTS after
// the last camera frame's and on the clock from then on. Read returns an
// error only for ctx or Close, never the device's.
//
// Close closes src and the slate; it is safe from any goroutine and more
// than once.
func Video(src capture.VideoSource, clock *capture.Clock, onLost func(error)) capture.VideoSource {
	return newVideo(src, clock, onLost)
}

func newVideo(src capture.VideoSource, clock *capture.Clock, onLost func(error), opts ...synth.Option) *video {
	v := &video{src: src, clock: clock, onLost: onLost, done: make(chan struct{})}
	v.slate, v.slateErr = synth.NewSlate(clock, src.Props(), SlateMessage, opts...)
	return v
}

type video struct {
	src      capture.VideoSource
	clock    *capture.Clock
	onLost   func(error)
	slate    *synth.Slate // made up front, so a failure costs no set-up
	slateErr error

	// Guarded by the VideoSource contract (Read is not concurrent).
	failed  bool
	started bool
	last    time.Duration // PTS of the last frame returned
	seq     uint64

	done      chan struct{}
	closeOnce sync.Once
}

func (v *video) Props() capture.VideoProps { return v.src.Props() }

func (v *video) Read(ctx context.Context) (*capture.VideoFrame, error) {
	if v.closed() {
		return nil, capture.ErrClosed
	}
	if !v.failed {
		f, err := v.src.Read(ctx)
		switch {
		case err == nil:
			return v.out(f), nil
		case v.closed():
			return nil, capture.ErrClosed
		case !lost(ctx, err):
			return nil, err
		}
		v.failed = true
		_ = v.src.Close()
		if v.onLost != nil {
			v.onLost(err)
		}
	}
	if v.slate == nil {
		return nil, fmt.Errorf("failover: camera lost and no slate: %w", v.slateErr)
	}
	f, err := v.slate.Read(ctx)
	if err != nil {
		return nil, err
	}
	if v.started && f.PTS <= v.last {
		// The slate's timeline starts at its first Read, on the same
		// clock; keep PTS strictly increasing even if both read the
		// clock within its resolution.
		f.PTS = v.last + time.Microsecond
	}
	return v.out(f), nil
}

func (v *video) out(f *capture.VideoFrame) *capture.VideoFrame {
	f.Seq = v.seq
	v.seq++
	v.started, v.last = true, f.PTS
	return f
}

func (v *video) closed() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

func (v *video) Close() error {
	var err error
	v.closeOnce.Do(func() {
		close(v.done)
		err = v.src.Close()
		if v.slate != nil {
			_ = v.slate.Close()
		}
	})
	return err
}

// silenceSamples is the size of the silent frames, per channel: one AAC
// frame.
const silenceSamples = 1024

// Audio wraps a microphone source. Its frames pass through until a Read
// fails with anything but a ctx error or capture.ErrClosed. Then it calls
// onLost once with that error (on the reading goroutine; onLost may be nil),
// closes src, and from then on returns silence in frames of 1024 samples per
// channel at the rate and channel count of the last frame (src.Props() if
// there was none), sample-accurate: the first silent frame starts exactly
// where the last real one ended, and each later one where the previous ended.
// Silent frames are paced in real time (a frame is returned when the clock
// reaches its PTS, at once while catching up). Read returns an error only for
// ctx or Close, never the device's.
//
// Close closes src; it is safe from any goroutine and more than once.
func Audio(src capture.AudioSource, clock *capture.Clock, onLost func(error)) capture.AudioSource {
	return newAudio(src, clock, onLost, false)
}

func newAudio(src capture.AudioSource, clock *capture.Clock, onLost func(error), unpaced bool) *audio {
	p := src.Props()
	return &audio{src: src, clock: clock, onLost: onLost, unpaced: unpaced,
		rate: p.SampleRate, channels: p.Channels, done: make(chan struct{})}
}

type audio struct {
	src     capture.AudioSource
	clock   *capture.Clock
	onLost  func(error)
	unpaced bool

	// Guarded by the AudioSource contract (Read is not concurrent).
	failed         bool
	started        bool
	rate, channels int
	end            time.Duration // PTS just after the last sample returned
	base           time.Duration // PTS of the first silent sample
	silent         int64         // silent samples per channel returned so far
	timer          *time.Timer
	buf            []int16 // zeros

	done      chan struct{}
	closeOnce sync.Once
}

func (a *audio) Props() capture.AudioProps { return a.src.Props() }

func (a *audio) closed() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

func (a *audio) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if a.closed() {
		return nil, capture.ErrClosed
	}
	if !a.failed {
		f, err := a.src.Read(ctx)
		switch {
		case err == nil:
			if f.SampleRate > 0 && f.Channels > 0 {
				a.rate, a.channels = f.SampleRate, f.Channels
				a.end = f.PTS + samplesDur(int64(len(f.Samples)/f.Channels), f.SampleRate)
				a.started = true
			}
			return f, nil
		case a.closed():
			return nil, capture.ErrClosed
		case !lost(ctx, err):
			return nil, err
		}
		a.failed = true
		_ = a.src.Close()
		if a.onLost != nil {
			a.onLost(err)
		}
		if a.rate <= 0 || a.channels <= 0 {
			return nil, fmt.Errorf("failover: microphone lost, and its format is unknown: %w", err)
		}
		a.base = a.end
		if !a.started {
			a.base = a.clock.Now()
		}
		a.buf = make([]int16, silenceSamples*a.channels)
	}
	pts := a.base + samplesDur(a.silent, a.rate)
	if !a.unpaced {
		if err := a.waitUntil(ctx, pts); err != nil {
			return nil, err
		}
	}
	a.silent += silenceSamples
	// Every silent frame shares one buffer of zeros: nothing writes
	// anything but zeros into a frame it passes on (a muted tap clears).
	return capture.NewAudioFrame(a.buf, a.rate, a.channels, pts, nil), nil
}

// samplesDur is the duration of n samples at rate, exact to the nanosecond
// for any n a stream reaches.
func samplesDur(n int64, rate int) time.Duration {
	q, r := n/int64(rate), n%int64(rate)
	return time.Duration(q)*time.Second + time.Duration(r*int64(time.Second)/int64(rate))
}

func (a *audio) waitUntil(ctx context.Context, due time.Duration) error {
	d := due - a.clock.Now()
	if d <= 0 {
		return nil
	}
	if a.timer == nil {
		a.timer = time.NewTimer(d)
	} else {
		a.timer.Reset(d)
	}
	select {
	case <-a.timer.C:
		return nil
	case <-ctx.Done():
		a.timer.Stop()
		return ctx.Err()
	case <-a.done:
		a.timer.Stop()
		return capture.ErrClosed
	}
}

func (a *audio) Close() error {
	var err error
	a.closeOnce.Do(func() {
		close(a.done)
		err = a.src.Close()
	})
	return err
}
