package failover

import (
	"context"
	"sync"
	"time"

	"studio/capture"
)

// silenceSamples is the size of the silent frames, per channel: one AAC
// frame.
const silenceSamples = 1024

// Audio wraps a microphone source (see the package documentation). Its
// output is one sample-exact timeline in the format of the first source's
// Props (the sample rate and channel count of every device frame must match
// it): each frame starts exactly where the previous one ended. While the
// device is lost, silence fills the timeline in frames of 1024 samples per
// channel, paced in real time (a frame is returned when the clock reaches
// its PTS, at once while catching up). When a reopened device's frames
// start later than the timeline's end the gap is filled with silence; when
// they start earlier the overlap is cut off. Read returns an error only for
// ctx or Close, never the device's.
//
// The wrapper implements capture.Reporter (with the device's drift, when it
// reports one).
//
// Close closes the device; it is safe from any goroutine and more than once,
// and returns within about CloseBound whatever the device does.
func Audio(src capture.AudioSource, clock *capture.Clock, opts Options[capture.AudioSource]) *AudioSource {
	return newAudio(src, clock, opts, false)
}

func newAudio(src capture.AudioSource, clock *capture.Clock, opts Options[capture.AudioSource], unpaced bool) *AudioSource {
	opts.defaults()
	p := src.Props()
	a := &AudioSource{src: src, clock: clock, opts: opts, unpaced: unpaced, props: p, done: make(chan struct{}),
		pace: capture.NewPacer(clock)}
	a.watch.stall = opts.Stall
	a.st.s.Device = opts.Device
	a.st.set(capture.SourceOK, nil, clock.Now(), src)
	return a
}

// AudioSource is the wrapper Audio returns.
type AudioSource struct {
	clock   *capture.Clock
	opts    Options[capture.AudioSource]
	unpaced bool
	props   capture.AudioProps
	st      status
	watch   watchdog

	// Guarded by the AudioSource contract (Read is not concurrent), and
	// by mu against Close.
	mu     sync.Mutex
	src    capture.AudioSource // nil while lost
	reopen *reopener[capture.AudioSource]

	// The timeline; only Read touches these.
	started bool
	end     time.Duration // PTS just after the last sample returned
	base    time.Duration // PTS of sample 0 of the timeline
	count   int64         // samples per channel returned since base
	pending *capture.AudioFrame
	zeros   []int16
	pace    *capture.Pacer

	done      chan struct{}
	closeOnce sync.Once
}

// Props returns the props of the source first wrapped.
func (a *AudioSource) Props() capture.AudioProps { return a.props }

// Status reports whether the device delivers, and its drift.
func (a *AudioSource) Status() capture.SourceStatus { return a.st.report() }

func (a *AudioSource) closed() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

func (a *AudioSource) notify(s capture.SourceStatus) {
	if a.opts.Notify != nil {
		a.opts.Notify(s)
	}
}

// current returns the device delivering now, taking over a reopened one.
func (a *AudioSource) current() capture.AudioSource {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.src == nil && a.reopen != nil {
		if s, ok := a.reopen.take(); ok {
			a.src, a.reopen = s, nil
			a.notify(a.st.set(capture.SourceOK, nil, a.clock.Now(), s))
		}
	}
	return a.src
}

func (a *AudioSource) Read(ctx context.Context) (*capture.AudioFrame, error) {
	for {
		if a.closed() {
			return nil, capture.ErrClosed
		}
		if f := a.pending; f != nil {
			if f.PTS-a.end > time.Millisecond {
				// A gap before the device's frame: silence first.
				return a.silence(ctx, f.PTS)
			}
			a.pending = nil
			if f = a.trim(f); f != nil {
				return a.out(f), nil
			}
			continue
		}
		src := a.current()
		if src == nil {
			return a.silence(ctx, a.end+samplesDur(silenceSamples, a.props.SampleRate))
		}
		f, err := src.Read(a.watch.begin(ctx))
		if a.watch.end() && err != nil && ctx.Err() == nil {
			err = ErrStalled
		}
		switch {
		case err == nil:
			if f.SampleRate != a.props.SampleRate || f.Channels != a.props.Channels || len(f.Samples) < f.Channels {
				f.Release()
				continue
			}
			if !a.started {
				a.started, a.base, a.end = true, f.PTS, f.PTS
				return a.out(f), nil
			}
			a.pending = f
			continue
		case a.closed():
			return nil, capture.ErrClosed
		case !lost(ctx, err):
			return nil, err
		}
		a.lose(src, err)
	}
}

// trim cuts off the part of a device frame that starts before the
// timeline's end (nil when nothing is left).
func (a *AudioSource) trim(f *capture.AudioFrame) *capture.AudioFrame {
	if over := a.end - f.PTS; over > 0 {
		cut := int(int64(over)*int64(f.SampleRate)/int64(time.Second)) * f.Channels
		if cut >= len(f.Samples) {
			f.Release()
			return nil
		}
		f.Samples = f.Samples[cut:]
	}
	return f
}

// out puts f on the timeline: its PTS is where the timeline ends.
func (a *AudioSource) out(f *capture.AudioFrame) *capture.AudioFrame {
	f.PTS = a.base + samplesDur(a.count, a.props.SampleRate)
	a.count += int64(len(f.Samples) / f.Channels)
	a.end = a.base + samplesDur(a.count, a.props.SampleRate)
	return f
}

// silence returns one silent frame starting at the timeline's end and
// ending no later than until (a whole frame when the device is lost, the
// gap before a held-back frame otherwise), paced in real time.
func (a *AudioSource) silence(ctx context.Context, until time.Duration) (*capture.AudioFrame, error) {
	if !a.started {
		now := a.clock.Now()
		a.started, a.base, a.end = true, now, now
		until = now + samplesDur(silenceSamples, a.props.SampleRate)
	}
	n := int64((until - a.end) * time.Duration(a.props.SampleRate) / time.Second)
	n = max(1, min(n, silenceSamples))
	if !a.unpaced {
		if err := a.pace.WaitUntil(ctx, a.end); err != nil {
			return nil, err
		}
	}
	if a.zeros == nil {
		a.zeros = make([]int16, silenceSamples*a.props.Channels)
	}
	// Every silent frame shares one buffer of zeros: nothing writes
	// anything but zeros into a frame it passes on (a muted tap clears).
	f := capture.NewAudioFrame(a.zeros[:n*int64(a.props.Channels)], a.props.SampleRate, a.props.Channels, 0, nil)
	return a.out(f), nil
}

// lose records the loss of src, closes it and starts reopening.
func (a *AudioSource) lose(src capture.AudioSource, err error) {
	a.mu.Lock()
	a.src = nil
	if a.opts.Reopen != nil && !a.closed() {
		a.reopen = startReopen(a.opts.Reopen, a.opts.Retry)
	}
	a.mu.Unlock()
	a.notify(a.st.set(capture.SourceLost, err, a.clock.Now(), nil))
	closeBounded(src, a.opts.Device, a.opts.Logger)
}

// samplesDur is the duration of n samples at rate, exact to the nanosecond
// for any n a stream reaches.
func samplesDur(n int64, rate int) time.Duration {
	q, r := n/int64(rate), n%int64(rate)
	return time.Duration(q)*time.Second + time.Duration(r*int64(time.Second)/int64(rate))
}

// Close stops the device (bounded) and the reopening.
func (a *AudioSource) Close() error {
	var err error
	a.closeOnce.Do(func() {
		close(a.done)
		a.pace.Close()
		a.watch.close()
		a.mu.Lock()
		src, re := a.src, a.reopen
		a.src, a.reopen = nil, nil
		a.mu.Unlock()
		if re != nil {
			re.stop(a.opts.Device, a.opts.Logger)
		}
		if src != nil {
			err = closeBounded(src, a.opts.Device, a.opts.Logger)
		}
	})
	return err
}
