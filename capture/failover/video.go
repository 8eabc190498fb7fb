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

// Video wraps a video source (see the package documentation). Its frames are
// renumbered (Seq counts the frames the wrapper returned) and their PTS
// strictly increase. While the device is lost it returns slate frames
// (synth.Slate saying SlateMessage, with the clock) of src's size and frame
// rate, paced in real time. Read returns an error only for ctx or Close,
// never the device's.
//
// The wrapper implements capture.Reporter. Its Skipped counts the frame
// intervals that passed without a frame, from the frames' PTS, whoever made
// them.
//
// Close closes the device and the slate; it is safe from any goroutine and
// more than once, and returns within about CloseBound whatever the device
// does.
func Video(src capture.VideoSource, clock *capture.Clock, opts Options[capture.VideoSource]) *VideoSource {
	return newVideo(src, clock, opts)
}

func newVideo(src capture.VideoSource, clock *capture.Clock, opts Options[capture.VideoSource], slateOpts ...synth.Option) *VideoSource {
	opts.defaults()
	v := &VideoSource{src: src, clock: clock, opts: opts, props: src.Props(), done: make(chan struct{})}
	v.slate, v.slateErr = synth.NewSlate(clock, v.props, SlateMessage, slateOpts...)
	v.watch.stall = opts.Stall
	v.st.s.Device = opts.Device
	v.st.set(capture.SourceOK, nil, clock.Now(), src)
	if p := v.props.FPS; p > 0 {
		v.interval = time.Second / time.Duration(p)
	}
	return v
}

// VideoSource is the wrapper Video returns.
type VideoSource struct {
	clock    *capture.Clock
	opts     Options[capture.VideoSource]
	props    capture.VideoProps
	interval time.Duration
	slate    *synth.Slate // made up front, so a failure costs no set-up
	slateErr error
	st       status
	watch    watchdog

	// Guarded by the VideoSource contract (Read is not concurrent), and
	// by mu against Close.
	mu      sync.Mutex
	src     capture.VideoSource // nil while lost
	reopen  *reopener[capture.VideoSource]
	started bool
	last    time.Duration // PTS of the last frame returned
	seq     uint64

	done      chan struct{}
	closeOnce sync.Once
}

// Props returns the props of the source first wrapped.
func (v *VideoSource) Props() capture.VideoProps { return v.props }

// Status reports whether the device delivers, and the frames skipped.
func (v *VideoSource) Status() capture.SourceStatus { return v.st.report() }

func (v *VideoSource) closed() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

// current returns the device delivering now, taking over a reopened one.
func (v *VideoSource) current() capture.VideoSource {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.src == nil && v.reopen != nil {
		if s, ok := v.reopen.take(); ok {
			v.src, v.reopen = s, nil
			v.notify(v.st.set(capture.SourceOK, nil, v.clock.Now(), s))
		}
	}
	return v.src
}

func (v *VideoSource) notify(s capture.SourceStatus) {
	if v.opts.Notify != nil {
		v.opts.Notify(s)
	}
}

func (v *VideoSource) Read(ctx context.Context) (*capture.VideoFrame, error) {
	if v.closed() {
		return nil, capture.ErrClosed
	}
	if src := v.current(); src != nil {
		f, err := src.Read(v.watch.begin(ctx))
		if v.watch.end() && err != nil && ctx.Err() == nil {
			err = ErrStalled
		}
		switch {
		case err == nil:
			if v.started && f.PTS <= v.last {
				f.PTS = v.last + time.Microsecond
			}
			return v.out(f), nil
		case v.closed():
			return nil, capture.ErrClosed
		case !lost(ctx, err):
			return nil, err
		}
		v.lose(src, err)
	}
	if v.slate == nil {
		return nil, fmt.Errorf("failover: camera lost and no slate: %w", v.slateErr)
	}
	f, err := v.slate.Read(ctx)
	if err != nil {
		if v.closed() && !errors.Is(err, context.Canceled) {
			return nil, capture.ErrClosed
		}
		return nil, err
	}
	if v.started && f.PTS <= v.last {
		// The slate's timeline is on the same clock; keep PTS strictly
		// increasing even if both read it within its resolution.
		f.PTS = v.last + time.Microsecond
	}
	return v.out(f), nil
}

// lose records the loss of src, closes it and starts reopening.
func (v *VideoSource) lose(src capture.VideoSource, err error) {
	v.mu.Lock()
	v.src = nil
	if v.opts.Reopen != nil && !v.closed() {
		v.reopen = startReopen(v.opts.Reopen, v.opts.Retry)
	}
	v.mu.Unlock()
	v.notify(v.st.set(capture.SourceLost, err, v.clock.Now(), nil))
	closeBounded(src, v.opts.Device, v.opts.Logger)
}

func (v *VideoSource) out(f *capture.VideoFrame) *capture.VideoFrame {
	if v.started && v.interval > 0 {
		if gap := f.PTS - v.last; gap > v.interval*3/2 {
			v.st.addSkipped(uint64((gap+v.interval/2)/v.interval - 1))
		}
	}
	f.Seq = v.seq
	v.seq++
	v.started, v.last = true, f.PTS
	return f
}

// Close stops the device (bounded), the reopening and the slate.
func (v *VideoSource) Close() error {
	var err error
	v.closeOnce.Do(func() {
		close(v.done)
		v.mu.Lock()
		src, re := v.src, v.reopen
		v.src, v.reopen = nil, nil
		v.mu.Unlock()
		if re != nil {
			re.stop(v.opts.Device, v.opts.Logger)
		}
		if src != nil {
			err = closeBounded(src, v.opts.Device, v.opts.Logger)
		}
		if v.slate != nil {
			_ = v.slate.Close()
		}
		v.watch.close()
	})
	return err
}
