package app

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"studio/publish"
)

// Narration turns the events of one session into the lines studio prints
// on stderr in headless mode and logs from the window: one line per state
// change, server status, failed reconnect attempt and warning. Lines are
// not redacted: pass them through a Redactor.
//
// Line must be called from one goroutine at a time (publish calls OnEvent
// that way); SetDestination may be called from any goroutine.
type Narration struct {
	dest   atomic.Pointer[Destination] // nil while the session only records
	record string
	// many is set when the session streams to more than one destination:
	// lines about one of them then start with its name.
	many     bool
	destLast map[string]publish.State // each destination's state at its previous event
	// OmitEnd leaves out the lines of the session's end (stopping,
	// stopped, and the error that ended it), for a front end that says
	// itself how the session ended (headless mode, with Describe).
	OmitEnd bool

	last publish.State // the state of the previous event
}

// NewNarration narrates a session that streams to dest (the zero
// Destination: it only records) and records to record ("" for none).
func NewNarration(dest Destination, record string) *Narration {
	n := &Narration{record: record, last: publish.StateIdle, destLast: map[string]publish.State{}}
	n.SetDestination(dest)
	return n
}

// NewMultiNarration narrates a session that streams to dests at once (see
// SessionConfig) and records to record ("" for none).
func NewMultiNarration(dests []Destination, record string) *Narration {
	if len(dests) == 0 {
		return NewNarration(Destination{}, record)
	}
	n := NewNarration(dests[0], record)
	n.many = len(dests) > 1
	return n
}

// SetDestination says where the session streams from now on (the zero
// Destination: nowhere, it only records), after Live.StartStream or
// StopStream. An event that says the stream ended by itself
// (publish.ErrStreamEnded) clears it too.
func (n *Narration) SetDestination(d Destination) {
	if d.URL == "" {
		n.dest.Store(nil)
		return
	}
	n.dest.Store(&d)
}

// Line returns the line that tells ev, or "" when ev tells nothing new.
func (n *Narration) Line(ev publish.Event) string {
	changed := ev.State != n.last
	n.last = ev.State
	if ev.Destination != "" && n.many {
		return n.destinationLine(ev)
	}
	dest := n.dest.Load()
	switch {
	case ev.Status != nil:
		return fmt.Sprintf("server: %s", ev.Status)
	case ev.Attempt > 0:
		return fmt.Sprintf("reconnect attempt %d failed (%v); next in %s", ev.Attempt, ev.Err, ev.RetryIn.Round(10*time.Millisecond))
	case errors.Is(ev.Err, publish.ErrStreamEnded):
		n.dest.Store(nil) // it records on
		return fmt.Sprintf("warning: %v", ev.Err)
	case !changed && ev.Err != nil && ev.State != publish.StateError:
		return fmt.Sprintf("warning: %v", ev.Err)
	case !changed:
		return ""
	}
	switch ev.State {
	case publish.StateConnecting:
		if dest == nil {
			return "connecting"
		}
		return fmt.Sprintf("connecting to %s", dest.Redacted())
	case publish.StateLive:
		if dest != nil {
			return fmt.Sprintf("live on %s", dest.Redacted())
		}
		return fmt.Sprintf("recording to %s", n.record)
	case publish.StateReconnecting:
		if ev.Err == nil {
			return "connection lost: reconnecting"
		}
		return fmt.Sprintf("connection lost (%v): reconnecting", ev.Err)
	case publish.StateStopping:
		if n.OmitEnd {
			return ""
		}
		return "stopping"
	case publish.StateStopped:
		if n.OmitEnd {
			return ""
		}
		return "stopped"
	case publish.StateError:
		if n.OmitEnd || ev.Err == nil {
			return ""
		}
		if dest == nil {
			return "error: " + Describe(ev.Err, Destination{})
		}
		return Describe(ev.Err, *dest)
	}
	if ev.Err != nil {
		return fmt.Sprintf("warning: %v", ev.Err)
	}
	return ""
}

// destinationLine tells ev about one of several destinations: each line
// starts with the destination's name, and the session's own state changes
// are told only when they concern it as a whole.
func (n *Narration) destinationLine(ev publish.Event) string {
	name := ev.Destination
	prev, seen := n.destLast[name]
	n.destLast[name] = ev.DestinationState
	changed := !seen || prev != ev.DestinationState
	switch {
	case ev.Status != nil:
		return fmt.Sprintf("%s: server: %s", name, ev.Status)
	case ev.Attempt > 0:
		return fmt.Sprintf("%s: reconnect attempt %d failed (%v); next in %s", name, ev.Attempt, ev.Err, ev.RetryIn.Round(10*time.Millisecond))
	case !changed && ev.Err != nil:
		return fmt.Sprintf("%s: warning: %v", name, ev.Err)
	case !changed:
		return ""
	}
	switch ev.DestinationState {
	case publish.StateConnecting:
		return fmt.Sprintf("connecting to %s", name)
	case publish.StateLive:
		return fmt.Sprintf("live on %s", name)
	case publish.StateReconnecting:
		if ev.Err == nil {
			return fmt.Sprintf("%s: connection lost: reconnecting", name)
		}
		return fmt.Sprintf("%s: connection lost (%v): reconnecting", name, ev.Err)
	case publish.StateStopped:
		if ev.State == publish.StateStopping || ev.State == publish.StateStopped {
			return "" // the session's end says it
		}
		return fmt.Sprintf("%s: stopped", name)
	case publish.StateError:
		if ev.Err == nil || ev.State == publish.StateError && n.OmitEnd {
			return ""
		}
		msg := fmt.Sprintf("streaming to %s failed: %v", name, ev.Err)
		if h := Hint(ev.Err); h != "" {
			msg += " (" + clause(h) + ")"
		}
		return msg
	}
	return ""
}
