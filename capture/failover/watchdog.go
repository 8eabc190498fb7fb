package failover

import (
	"context"
	"sync"
	"time"
)

// watchdog bounds each device read by the stall time. It keeps one context
// and one timer for all reads, so a read that delivers in time allocates
// nothing. begin and end bracket one read and are called from the reading
// goroutine only; close may run on any goroutine.
type watchdog struct {
	stall time.Duration

	mu     sync.Mutex // guards the fields below against the timer's fire
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	fired  bool
	timer  *time.Timer
}

// begin returns the context for one read made under parent, with the stall
// timer running.
func (w *watchdog) begin(parent context.Context) context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || w.parent != parent || w.ctx.Err() != nil {
		if w.cancel != nil {
			w.cancel()
		}
		w.parent = parent
		w.ctx, w.cancel = context.WithCancel(parent)
	}
	w.fired = false
	if w.timer == nil {
		w.timer = time.AfterFunc(w.stall, w.fire)
	} else {
		w.timer.Reset(w.stall)
	}
	return w.ctx
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fired = true
	w.cancel()
}

// end stops the timer and reports whether the read ran out of time.
func (w *watchdog) end() (stalled bool) {
	w.timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// close releases the context and the timer.
func (w *watchdog) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.cancel != nil {
		w.cancel()
	}
}
