package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"

	"studio/app"
	"studio/publish"
)

// StopTimeout is how long a clean stop may take before the connection is
// dropped.
const StopTimeout = 10 * time.Second

// StateIdle is shown before the first session; it equals publish.StateIdle.
const StateIdle = publish.StateIdle

// StateText is how the window names a session state.
func StateText(st publish.State) string {
	switch st {
	case publish.StateIdle:
		return "Idle"
	case publish.StateConnecting:
		return "Connecting…"
	case publish.StateLive:
		return "Live"
	case publish.StateReconnecting:
		return "Reconnecting…"
	case publish.StateStopping:
		return "Stopping…"
	case publish.StateStopped:
		return "Stopped"
	case publish.StateError:
		return "Error"
	}
	return st.String()
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// tapGoLive starts streaming, or stops the running session.
func (s *Studio) tapGoLive() {
	switch {
	case s.starting:
		s.stopWanted = true
		s.showState(publish.StateStopping)
	case s.streamStopping:
	case s.live != nil && !s.liveStreaming:
		s.startStream() // the recording goes on
	case s.live != nil && s.liveRecording != "":
		s.stopStream() // the recording goes on
	case s.live != nil:
		s.stopSession()
	default:
		s.start(true, false)
	}
}

// setStreaming notes whether the session streams.
func (s *Studio) setStreaming(on bool) { s.liveStreaming = on }

// liveURLs returns the enabled destinations and their URLs, or nil after
// telling the user what is missing.
func (s *Studio) liveURLs() ([]*destRow, []string) {
	if p := s.destinationProblem(); p != "" {
		s.setStatus("Cannot go live: " + p)
		return nil, nil
	}
	rows := s.enabledRows()
	urls := make([]string, len(rows))
	where := make([]string, len(rows))
	for i, r := range rows {
		urls[i] = r.url()
		_, server := r.destination()
		where[i] = fmt.Sprintf("%s (%s)", strings.TrimRight(server, "/")+"/****", r.service.Selected)
	}
	s.saveKey()
	s.saveSoon()
	s.logf("going live on %s", strings.Join(where, ", "))
	return rows, urls
}

// startStream makes the running recording-only session stream as well,
// on a goroutine: StartStream reports the stream's first events before it
// returns.
func (s *Studio) startStream() {
	rows, urls := s.liveURLs()
	if urls == nil {
		return
	}
	if len(urls) > 1 {
		// A session that records can add one stream only.
		s.logf("the recording session streams to %s only", s.rowLabel(rows[0]))
	}
	url := urls[0]
	live, narration := s.live, s.narration
	s.setStreaming(true)
	s.markStreaming(rows[:1], []string{joinedName})
	narration.SetDestination(app.Destination{URL: url})
	s.losses = 0
	s.graph.Reset()
	s.showState(publish.StateConnecting)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := live.StartStream(url)
		if err == nil {
			return
		}
		narration.SetDestination(app.Destination{})
		s.do(func() {
			if s.live != live {
				return
			}
			s.setStreaming(false)
			s.showState(publish.StateLive)
			s.fail("Could not go live", err)
		})
	}()
}

// stopStream ends the stream of a session that also records, on a
// goroutine; the recording goes on.
func (s *Studio) stopStream() {
	live, narration := s.live, s.narration
	s.streamStopping = true
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := contextWithTimeout(StopTimeout)
		defer cancel()
		err := live.StopStream(ctx)
		narration.SetDestination(app.Destination{})
		s.do(func() {
			if s.afterStreamEnd != nil {
				defer s.afterStreamEnd()
			}
			s.streamStopping = false
			if s.live != live {
				return
			}
			if err != nil && !errors.Is(err, publish.ErrNotStreaming) {
				s.logf("stopping the stream: %v", err)
			}
			s.setStreaming(false)
			s.showState(publish.StateLive)
			s.setStatus("Stream ended; still recording to " + s.liveRecording)
			s.logf("stream ended; the recording goes on")
		})
	}()
}

// start begins a session that streams, records, or both.
func (s *Studio) start(stream, record bool) {
	set, err := s.settings()
	if err != nil {
		s.setStatus(err.Error())
		return
	}
	var rows []*destRow
	var dests []app.Destination
	if stream {
		var urls []string
		if rows, urls = s.liveURLs(); urls == nil {
			return
		}
		set.URL, set.MoreURLs = urls[0], urls[1:]
		for _, u := range urls {
			dests = append(dests, app.Destination{URL: u})
		}
	}
	if record {
		set.RecordPath = s.newRecordPath()
	}
	s.starting, s.stopWanted = true, false
	s.setStreaming(stream)
	s.liveRecording = set.RecordPath
	s.losses = 0
	s.graph.Reset()
	s.showState(publish.StateConnecting)
	s.markStreaming(rows, app.DestinationNames(dests))
	s.narration = app.NewMultiNarration(dests, set.RecordPath)
	onEvent := s.eventLogger(s.narration)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		live, err := s.be.GoLive(set, onEvent)
		select {
		case <-s.quit: // shutting down: nobody will stop it
			if err == nil {
				ctx, cancel := contextWithTimeout(StopTimeout)
				_ = live.Stop(ctx)
				cancel()
			}
			return
		default:
		}
		s.do(func() { s.started(live, err) })
	}()
}

// started takes the result of Backend.GoLive.
func (s *Studio) started(live Live, err error) {
	s.starting = false
	if s.afterStart != nil {
		defer s.afterStart()
	}
	if err != nil {
		s.endDestinations()
		s.showState(publish.StateError)
		s.fail("Could not start", err)
		s.refreshControls()
		return
	}
	s.live = live
	if s.liveRecording != "" {
		s.setStatus("Recording to " + s.liveRecording)
		s.showRecording(false)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-live.Done():
			s.do(func() { s.ended(live) })
		case <-s.quit:
		}
	}()
	if s.stopWanted {
		s.stopSession()
	}
	s.refreshControls()
}

// eventLogger returns the OnEvent of one session: it logs each event's
// narration at once, on the caller's goroutine (so that the log stays
// complete while the window closes), and hands the event to the UI
// goroutine. Nothing on the UI goroutine calls a Live method that may
// report an event (see startStream): there, Studio.do must not be called.
func (s *Studio) eventLogger(n *app.Narration) func(publish.Event) {
	return func(ev publish.Event) {
		if line := n.Line(ev); line != "" {
			s.logf("%s", line)
		}
		s.do(func() { s.applyEvent(ev) })
	}
}

// applyEvent shows a session event.
func (s *Studio) applyEvent(ev publish.Event) {
	reconnecting := ev.State == publish.StateReconnecting && s.state != publish.StateReconnecting
	line := s.destinationEvent(ev)
	switch {
	case line != "":
		s.setStatus(line)
	case ev.Status != nil:
		s.setStatus(ev.Status.String())
	case ev.Attempt > 0:
		s.attempts = ev.Attempt
		s.setStatus(fmt.Sprintf("Reconnect attempt %d failed (%s); next in %s", ev.Attempt,
			s.scrub(ev.Err.Error()), ev.RetryIn.Round(100*time.Millisecond)))
	case errors.Is(ev.Err, publish.ErrStreamEnded):
		s.setStreaming(false)
		s.showState(ev.State)
		s.fail("Streaming stopped", ev.Err)
	case reconnecting && ev.Err != nil:
		msg := "Connection lost (" + ev.Err.Error() + "): reconnecting by itself"
		if s.liveRecording != "" {
			msg += "; the recording goes on"
		}
		s.setStatus(msg)
	case ev.Err != nil && ev.State != publish.StateError:
		s.setStatus("Warning: " + s.scrub(ev.Err.Error()))
	}
	if reconnecting {
		s.losses++
		s.lostAt = time.Now()
		s.attempts = 0
	}
	if (ev.State != s.state || ev.Attempt > 0) && (s.live != nil || s.starting) {
		s.showState(ev.State)
	}
	for _, w := range s.watchers {
		w(ev)
	}
}

// ended cleans up after a session, shows why it failed, and goes live
// again when a recording gave way to a stream.
func (s *Studio) ended(live Live) {
	if s.live != live {
		return
	}
	s.live, s.stopping = nil, false
	s.endDestinations()
	err := live.Err()
	if err != nil {
		s.showState(publish.StateError)
		s.fail("Streaming stopped", err)
	} else if s.state != publish.StateStopped {
		s.showState(publish.StateStopped)
	}
	if s.liveRecording != "" {
		if err == nil {
			s.setStatus("Recording saved to " + s.liveRecording)
		}
		s.showRecording(true)
		s.liveRecording = ""
	}
	s.refreshControls()
	s.showLost()
	if s.afterEnd != nil {
		s.afterEnd()
	}
}

// stopSession asks the running session to stop, on a goroutine.
func (s *Studio) stopSession() {
	live := s.live
	if live == nil {
		return
	}
	s.stopping = true
	s.showState(publish.StateStopping)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := contextWithTimeout(StopTimeout)
		defer cancel()
		_ = live.Stop(ctx)
	}()
}

// fail shows what went wrong and what to do about it.
func (s *Studio) fail(title string, err error) {
	if s.codecRefused(title, err) {
		return
	}
	msg := s.scrub(err.Error())
	var se *publish.StatusError
	if errors.As(err, &se) {
		msg += "\n\nServer status: " + s.scrub(se.Status.String())
	}
	if h := app.Hint(err); h != "" {
		msg += "\n\nWhat to do: " + h
	}
	s.lastDialog = title + ": " + msg
	s.setStatus(title + ": " + s.scrub(err.Error()))
	if s.cfg.Window != nil {
		d := dialog.NewInformation(title, msg, s.cfg.Window)
		d.Show()
	}
}
