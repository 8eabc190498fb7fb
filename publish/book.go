package publish

import (
	"sync"
	"time"
)

// book is the one place where the session's state, its destinations' states
// and the error that ended it are kept and changed. Every change is made
// under one lock, and its event queued under that lock and delivered in
// that order, so events arrive in the order of the changes and the
// session's state is always the one computed from its destinations:
//
//   - stopped or error once the session has ended, stopping once Stop was
//     called or the duration reached;
//   - otherwise the worst state of the active destinations (reconnecting,
//     then connecting, then live);
//   - live when no destination is active: the session records, or waits for
//     Connect.
type book struct {
	mu       sync.Mutex
	emitMu   sync.Mutex // held while events are handed to onEvent
	pending  []Event    // guarded by mu; made, not yet handed over
	onEvent  func(Event)
	state    State // the session's
	stopping bool
	// draining is set once the session reached its duration: it shows
	// stopping, but what it still sends ends as it would have.
	draining bool
	ended    bool
	err      error // the first error that ended the session
	dests    []*destState
	// liveSince is when the session went live: its first destination
	// connected, or, while it only records, when it started.
	liveSince time.Time
	started   time.Time
	clock     Clock
}

// destState is one destination's entry in the book.
type destState struct {
	name  string
	state State
	err   error
}

func newBook(onEvent func(Event), clock Clock) *book {
	return &book{onEvent: onEvent, state: StateIdle, started: clock.Now(), clock: clock}
}

// add enters a destination, in state connecting, and returns its entry.
func (b *book) add(name string) *destState {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	d := &destState{name: name, state: StateIdle}
	b.dests = append(b.dests, d)
	b.changeLocked(d, StateConnecting, nil, Event{})
	return d
}

// set moves destination d to state st; err says why (nil for none).
func (b *book) set(d *destState, st State, err error) {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.changeLocked(d, st, err, Event{})
}

// finish ends destination d with err: as stopped when err is nil, else as
// error. With failSession, err also ends the session, in the same event;
// finish reports whether it did.
func (b *book) finish(d *destState, err error, failSession bool) (failed bool) {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := StateStopped
	if err != nil {
		st = StateError
	}
	if failSession && err != nil && b.err == nil && !b.ended {
		b.err, failed = err, true
	}
	b.changeLocked(d, st, err, Event{})
	return failed
}

// note emits ev about d (or the session, with d nil) without a change of
// state: a server status, a warning, a failed reconnect attempt.
func (b *book) note(d *destState, ev Event) {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.emitLocked(d, ev)
}

// refresh recomputes the session's state, emitting an event with err when
// it changes or err is set.
func (b *book) refresh(err error) {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.changeLocked(nil, 0, err, Event{})
}

// stop marks the session stopping.
func (b *book) stop() { b.mark(&b.stopping) }

// drain marks the session as having reached its duration.
func (b *book) drain() { b.mark(&b.draining) }

// mark sets flag (a field of b, guarded by mu) and recomputes the
// session's state, unless the session ended or flag was set already.
func (b *book) mark(flag *bool) {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended || *flag {
		return
	}
	*flag = true
	b.changeLocked(nil, 0, nil, Event{})
}

// fail records err as the error that ends the session, unless one is
// already recorded; it reports whether err was the first.
func (b *book) fail(err error) bool {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil || b.ended {
		return false
	}
	b.err = err
	b.changeLocked(nil, 0, err, Event{})
	return true
}

// end marks the session ended.
func (b *book) end() {
	defer b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ended = true
	b.changeLocked(nil, 0, nil, Event{})
}

func (b *book) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *book) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// stopRequested reports whether Stop was called or the session failed.
func (b *book) stopRequested() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopping || b.err != nil || b.ended
}

// othersActive reports whether a destination other than d streams or tries
// to.
func (b *book) othersActive(d *destState) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, o := range b.dests {
		if o != d && o.state.active() {
			return true
		}
	}
	return false
}

// get returns d's state and last error.
func (b *book) get(d *destState) (State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return d.state, d.err
}

// uptime is how long the session has been live at now.
func (b *book) uptime(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.liveSince.IsZero() || (b.state != StateLive && b.state != StateReconnecting) {
		return 0
	}
	return now.Sub(b.liveSince)
}

// changeLocked moves d (when set) to st, recomputes the session's state
// and emits one event when anything changed or err is set.
func (b *book) changeLocked(d *destState, st State, err error, ev Event) {
	changed := false
	if d != nil && d.state != st {
		old := d.state
		d.state, changed = st, true
		switch {
		case st == StateLive && old != StateReconnecting && !b.anyLiveLocked(d):
			b.liveSince = b.clock.Now()
		case old.active() && !st.active() && !b.anyActiveLocked():
			// Back to recording only: uptime is the session's again.
			b.liveSince = b.started
		}
	}
	if d != nil && err != nil {
		d.err = err
	}
	if s := b.computeLocked(); s != b.state {
		if s == StateLive && !b.anyLiveLocked(nil) {
			// Only recording: uptime is the session's.
			b.liveSince = b.started
		}
		b.state, changed = s, true
	}
	if !changed && err == nil {
		return
	}
	ev.Err = err
	b.emitLocked(d, ev)
}

func (b *book) anyActiveLocked() bool {
	for _, o := range b.dests {
		if o.state.active() {
			return true
		}
	}
	return false
}

func (b *book) anyLiveLocked(except *destState) bool {
	for _, o := range b.dests {
		if o != except && o.state == StateLive {
			return true
		}
	}
	return false
}

func (b *book) computeLocked() State {
	switch {
	case b.ended && b.err != nil:
		return StateError
	case b.ended:
		return StateStopped
	case b.err != nil:
		return StateError
	case b.stopping || b.draining:
		return StateStopping
	}
	worst := StateLive
	for _, d := range b.dests {
		if d.state.active() && d.state.severity() > worst.severity() {
			worst = d.state
		}
	}
	return worst
}

func (b *book) emitLocked(d *destState, ev Event) {
	if b.onEvent == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = b.clock.Now()
	}
	ev.State = b.state
	if d != nil {
		ev.Destination, ev.DestinationState = d.name, d.state
	}
	b.pending = append(b.pending, ev)
}

// flush hands the events made so far to OnEvent, in order, one call at a
// time and without mu held, so that OnEvent may read the session (State,
// Stats). A flush that finds another one running leaves its events to it;
// so a session method called from OnEvent does not deadlock, and its
// events follow once OnEvent returns.
func (b *book) flush() {
	for {
		if !b.emitMu.TryLock() {
			return
		}
		for {
			b.mu.Lock()
			evs := b.pending
			b.pending = nil
			b.mu.Unlock()
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				b.onEvent(ev)
			}
		}
		b.emitMu.Unlock()
		// An event queued after the last look, by a flush that found
		// emitMu taken, is delivered here.
		b.mu.Lock()
		more := len(b.pending) > 0
		b.mu.Unlock()
		if !more {
			return
		}
	}
}
