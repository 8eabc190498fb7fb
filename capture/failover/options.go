// Package failover keeps a stream going when a camera or microphone goes
// away and picks the device up again when it comes back.
//
// A wrapped source's frames pass through while the device delivers. When a
// Read fails, or no frame comes for Options.Stall, the device counts as lost:
// the wrapper says so once through Options.Notify, closes the device (giving
// up on it after a bounded wait, with a log line, if the backend hangs),
// and from then on makes stand-in frames — a "CAMERA LOST" slate, or
// silence — with timestamps that carry on from the device's. Meanwhile it
// tries Options.Reopen every Options.Retry; when that succeeds the device's
// frames pass through again, spliced so that timestamps stay continuous
// (audio sample-exact), and Notify says so. The encoder never sees the
// device's error.
package failover

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"studio/capture"
)

// SlateMessage is what the slate says when the camera is lost.
const SlateMessage = "CAMERA LOST"

// Defaults for Options.
const (
	DefaultStall = time.Second
	DefaultRetry = time.Second
	// CloseBound is how long closing a lost device may take before it is
	// left behind (its goroutine leaked on purpose, with a log line).
	CloseBound = time.Second
)

// ErrStalled is the cause reported when a device delivered nothing for
// Options.Stall.
var ErrStalled = errors.New("failover: no data from the device")

// Options configure a wrapper. The zero value is usable: no reopening, no
// notifications, the default stall and retry times.
type Options[S any] struct {
	// Device is the device's readable name, used in Status and log lines.
	Device string
	// Reopen opens the device again after a loss; nil never retries.
	// It is called on a goroutine the wrapper owns; ctx ends at Close.
	Reopen func(ctx context.Context) (S, error)
	// Notify is called with the new status each time the device is lost or
	// comes back, on the goroutine that called Read. It must not block.
	Notify func(capture.SourceStatus)
	// Stall is how long a Read may wait for the device before it counts as
	// lost. Default DefaultStall.
	Stall time.Duration
	// Retry is the wait between reopen attempts. Default DefaultRetry.
	Retry time.Duration
	// Logger gets the line about a device left behind. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options[S]) defaults() {
	if o.Stall <= 0 {
		o.Stall = DefaultStall
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// lost reports whether err from a device's Read (made with a child of ctx)
// means the device failed, rather than the read being cancelled or the
// source closed.
func lost(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && !errors.Is(err, capture.ErrClosed) &&
		!errors.Is(err, context.Canceled)
}

// closeBounded closes c, waiting at most CloseBound, and returns its error.
// A close that does not return in time is left running and logged, and
// counts as done.
func closeBounded(c io.Closer, device string, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- c.Close() }()
	t := time.NewTimer(CloseBound)
	defer t.Stop()
	select {
	case err := <-errc:
		return err
	case <-t.C:
		log.Warn("device did not close in time; leaving it", "device", device, "waited", CloseBound)
		return nil
	}
}

// status is a wrapper's shared view of its device, safe for concurrent use.
type status struct {
	mu  sync.Mutex
	s   capture.SourceStatus
	dev any // the device delivering now, nil while lost
}

// set changes the state and the device delivering (nil while lost), and
// returns the new status.
func (st *status) set(state capture.SourceState, err error, now time.Duration, dev any) capture.SourceStatus {
	// A device that stops delivering hands its dropout counts over to the
	// wrapper's, which last across devices.
	var gone capture.SourceStatus
	st.mu.Lock()
	old := st.dev
	st.mu.Unlock()
	if r, ok := old.(capture.Reporter); ok && dev == nil {
		gone = r.Status()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Gaps += gone.Gaps
	st.s.GapSilence += gone.GapSilence
	st.s.State, st.s.Err, st.s.Since, st.dev = state, err, now, dev
	if state == capture.SourceLost {
		st.s.DriftPPM = 0
	}
	return st.s
}

func (st *status) addSkipped(n uint64) {
	st.mu.Lock()
	st.s.Skipped += n
	st.mu.Unlock()
}

// report is the status with what the delivering device itself measures
// (its drift, its dropouts) filled in.
func (st *status) report() capture.SourceStatus {
	st.mu.Lock()
	s, dev := st.s, st.dev
	st.mu.Unlock()
	if r, ok := dev.(capture.Reporter); ok {
		ds := r.Status()
		s.DriftPPM = ds.DriftPPM
		s.Gaps += ds.Gaps
		s.GapSilence += ds.GapSilence
	}
	return s
}
