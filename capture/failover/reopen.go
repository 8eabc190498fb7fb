package failover

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// reopener tries to open a lost device again, every retry, on a goroutine of
// its own, until it succeeds or is stopped. The device it opened is handed
// over on ready; one that nobody takes is closed by stop.
type reopener[S io.Closer] struct {
	ready  chan S
	cancel context.CancelFunc
	done   chan struct{}
}

func startReopen[S io.Closer](open func(context.Context) (S, error), retry time.Duration) *reopener[S] {
	ctx, cancel := context.WithCancel(context.Background())
	r := &reopener[S]{ready: make(chan S, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTimer(retry)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s, err := open(ctx)
			if err == nil {
				r.ready <- s
				return
			}
			t.Reset(retry)
		}
	}()
	return r
}

// take returns the reopened device if there is one now.
func (r *reopener[S]) take() (s S, ok bool) {
	select {
	case s = <-r.ready:
		return s, true
	default:
		return s, false
	}
}

// stop ends the attempts. An open that hangs in its backend is waited for
// at most CloseBound and then left behind, with a log line.
func (r *reopener[S]) stop(device string, log *slog.Logger) {
	r.cancel()
	t := time.NewTimer(CloseBound)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
		log.Warn("device reopen did not return in time; leaving it", "device", device, "waited", CloseBound)
		return
	}
	if s, ok := r.take(); ok {
		closeBounded(s, device, log)
	}
}
