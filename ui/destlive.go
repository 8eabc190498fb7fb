package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"studio/app"
	"studio/publish"
	"studio/publish/health"
)

// joinedName is the name publish gives the destination that StartStream
// adds to a session that only records.
const joinedName = "stream"

// markStreaming notes that the session streams to rows, named names in
// its stats and events; the other rows do not stream.
func (s *Studio) markStreaming(rows []*destRow, names []string) {
	for _, r := range s.rows {
		r.liveName, r.state, r.err, r.stopping = "", publish.StateIdle, nil, false
		r.stats = publish.DestinationStats{}
		r.status.SetText("")
	}
	for i, r := range rows {
		r.liveName, r.state = names[i], publish.StateConnecting
		s.showRow(r)
	}
}

// streamingRows are the rows the running session streams to (in any state).
func (s *Studio) streamingRows() []*destRow {
	var out []*destRow
	for _, r := range s.rows {
		if r.liveName != "" {
			out = append(out, r)
		}
	}
	return out
}

// rowNamed returns the row that streams as name, or nil.
func (s *Studio) rowNamed(name string) *destRow {
	for _, r := range s.rows {
		if name != "" && r.liveName == name {
			return r
		}
	}
	return nil
}

// refreshDestinations enables what can be done with the list: edit it
// while no session runs (busy false), else stop or retry a destination.
func (s *Studio) refreshDestinations(busy bool) {
	many := len(s.streamingRows()) > 1
	for _, r := range s.rows {
		r.refresh(busy, len(s.rows) > 1, many)
	}
	setEnabled(!busy && len(s.rows) < MaxDestinations, s.addDest)
}

// destinationEvent applies an event about one destination to its row, and
// returns the status line it calls for ("" for none).
func (s *Studio) destinationEvent(ev publish.Event) string {
	r := s.rowNamed(ev.Destination)
	if r == nil {
		return ""
	}
	r.state = ev.DestinationState
	if ev.Err != nil {
		r.err = ev.Err
	}
	s.showRow(r)
	s.refreshControls()
	if len(s.streamingRows()) < 2 || ev.State == publish.StateError {
		return "" // the session's own lines tell it
	}
	label := s.rowLabel(r)
	switch {
	case ev.Status != nil:
		return label + ": " + ev.Status.String()
	case ev.Attempt > 0 && ev.Err != nil:
		return fmt.Sprintf("%s: reconnect attempt %d failed (%s); next in %s", label, ev.Attempt, ev.Err,
			ev.RetryIn.Round(100*time.Millisecond))
	case ev.DestinationState == publish.StateError && ev.Err != nil:
		return label + ": streaming failed: " + ev.Err.Error() + "; the other destinations go on"
	case ev.DestinationState == publish.StateReconnecting && ev.Err != nil:
		return label + ": connection lost (" + ev.Err.Error() + "): reconnecting by itself"
	case ev.Err != nil:
		return label + ": warning: " + ev.Err.Error()
	}
	return ""
}

// showDestinationStats shows each destination's share of st on its row.
func (s *Studio) showDestinationStats(st publish.Stats) {
	for _, d := range st.Destinations {
		r := s.rowNamed(d.Name)
		if r == nil {
			continue
		}
		r.stats, r.state = d, d.State
		if d.Err != nil {
			r.err = d.Err
		}
		s.showRow(r)
	}
	if len(st.Destinations) > 0 {
		s.refreshControls()
	}
}

// showRow shows the row's state and stats on its status line.
func (s *Studio) showRow(r *destRow) {
	text, imp := s.rowStatus(r)
	if r.status.Text != text || r.status.Importance != imp {
		r.status.Importance = imp
		r.status.SetText(text)
	}
}

// rowStatus is the status line of a row that streams, and its colour.
func (s *Studio) rowStatus(r *destRow) (string, widget.Importance) {
	st := r.stats
	flow := fmt.Sprintf("%.0f kbps · queue %d ms · %d dropped", st.VideoKbps, st.Queue.Milliseconds(), st.FramesDropped)
	if st.LowRendition {
		flow += " · low rendition"
	}
	switch r.state {
	case publish.StateConnecting:
		return "● " + StateText(r.state), widget.WarningImportance
	case publish.StateLive:
		switch st.Health.Status {
		case health.Warning:
			return "● Live · " + flow + " · " + string(st.Health.Cause) + " warning", widget.WarningImportance
		case health.Bad:
			return "● Live · " + flow + " · " + string(st.Health.Cause) + " problem", widget.DangerImportance
		}
		return "● Live · " + flow, widget.SuccessImportance
	case publish.StateReconnecting:
		text := "● " + StateText(r.state)
		if r.err != nil {
			text += " (" + s.scrub(r.err.Error()) + ")"
		}
		return text + " · " + flow, widget.WarningImportance
	case publish.StateError:
		return s.failedText(r.err), widget.DangerImportance
	case publish.StateStopped:
		return "● Stopped", widget.LowImportance
	}
	return "", widget.MediumImportance
}

// failedText says why a destination failed and what to do about it.
func (s *Studio) failedText(err error) string {
	if err == nil {
		return "● Failed"
	}
	text := "● Failed: " + s.scrub(strings.TrimPrefix(err.Error(), publish.ErrStreamEnded.Error()+": "))
	if h := app.Hint(err); h != "" {
		text += "\nWhat to do: " + h
	}
	return text
}

// stopDestination ends one destination, on a goroutine; the others go
// on. Once none streams, the session stops, or records on when it
// records.
func (s *Studio) stopDestination(r *destRow) {
	live, name := s.live, r.liveName
	if live == nil || name == "" || r.stopping {
		return
	}
	r.stopping = true
	s.logf("stopping %s", name)
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := contextWithTimeout(StopTimeout)
		defer cancel()
		err := live.StopDestination(ctx, name)
		s.do(func() {
			r.stopping = false
			if s.live != live || r.liveName != name {
				return
			}
			if err != nil && !errors.Is(err, publish.ErrNotStreaming) {
				s.setStatus(s.rowLabel(r) + ": stopping: " + err.Error())
			}
			if activeState(r.state) {
				r.state = publish.StateStopped
				s.showRow(r)
			}
			s.afterDestinationStopped()
		})
	}()
}

// afterDestinationStopped stops the session once no destination streams,
// unless it records.
func (s *Studio) afterDestinationStopped() {
	for _, r := range s.rows {
		if r.streaming() {
			s.refreshControls()
			return
		}
	}
	if s.liveRecording == "" {
		s.stopSession()
		return
	}
	s.setStreaming(false)
	s.narration.SetDestination(app.Destination{})
	s.showState(publish.StateLive)
	s.setStatus("Stream ended; still recording to " + s.liveRecording)
}

// reconnectDestination makes a destination that waits to reconnect try
// at once, on a goroutine.
func (s *Studio) reconnectDestination(r *destRow) {
	live, name := s.live, r.liveName
	if live == nil || name == "" {
		return
	}
	s.logf("reconnecting %s now", name)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := live.ReconnectDestination(name); err != nil && !errors.Is(err, publish.ErrNotStreaming) {
			s.do(func() { s.setStatus(s.rowLabel(r) + ": reconnect: " + err.Error()) })
		}
	}()
}

// endDestinations forgets which rows the ended session streamed to; the
// rows that failed keep their error until edited.
func (s *Studio) endDestinations() {
	for _, r := range s.rows {
		if r.liveName != "" && r.state != publish.StateError {
			r.status.SetText("")
		}
		r.liveName, r.stopping = "", false
	}
}
