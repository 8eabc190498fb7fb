package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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

// liveURL returns the URL to go live on, or "" after telling the user what
// is missing.
func (s *Studio) liveURL() string {
	if p := s.destinationProblem(); p != "" {
		s.setStatus("Cannot go live: " + p)
		return ""
	}
	d, server := s.server()
	url := app.PublishURL(server, s.c.Key.Text)
	s.saveKey()
	s.saveSoon()
	s.logf("going live on %s (%s)", strings.TrimRight(server, "/")+"/****", d.Name)
	return url
}

// startStream makes the running recording-only session stream as well,
// on a goroutine: StartStream reports the stream's first events before it
// returns.
func (s *Studio) startStream() {
	url := s.liveURL()
	if url == "" {
		return
	}
	live, narration := s.live, s.narration
	s.setStreaming(true)
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
	if stream {
		if set.URL = s.liveURL(); set.URL == "" {
			return
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
	s.narration = app.NewNarration(app.Destination{URL: set.URL}, set.RecordPath)
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
	if err != nil {
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
	switch {
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

// showState shows st on the state label and the Go Live button.
func (s *Studio) showState(st publish.State) {
	s.state = st
	c := &s.c
	text := StateText(st)
	c.State.Importance = widget.MediumImportance
	switch st {
	case publish.StateLive:
		switch {
		case !s.liveStreaming:
			text = "Recording"
		case s.liveRecording != "":
			text = "Live + recording"
		}
		c.State.Importance = widget.DangerImportance
	case publish.StateReconnecting:
		text = s.reconnectText()
		c.State.Importance = widget.WarningImportance
	case publish.StateError:
		c.State.Importance = widget.WarningImportance
	case publish.StateConnecting:
		c.State.Importance = widget.WarningImportance
	}
	if text = "● " + text; text != c.State.Text {
		c.State.SetText(text)
	}
	s.refreshControls()
}

// reconnectText says which loss of the connection this is and, once a
// second has gone, for how long studio has been reconnecting.
func (s *Studio) reconnectText() string {
	text := fmt.Sprintf("%s (#%d", StateText(publish.StateReconnecting), max(s.losses, 1))
	if s.attempts > 0 {
		text += fmt.Sprintf(", attempt %d", s.attempts+1)
	}
	if d := time.Since(s.lostAt).Round(time.Second); !s.lostAt.IsZero() && d >= time.Second {
		text += fmt.Sprintf(", %d s", int(d.Seconds()))
	}
	return text + ")"
}

// refreshControls enables what can be used in the current state.
func (s *Studio) refreshControls() {
	c := &s.c
	busy := s.live != nil || s.starting
	streaming := busy && s.liveStreaming
	switch {
	case (s.stopping || s.streamStopping || s.state == publish.StateStopping) && busy:
		c.GoLive.SetText("Stopping…")
		c.GoLive.Disable()
	case streaming:
		c.GoLive.SetText("Stop")
		c.GoLive.SetIcon(theme.MediaStopIcon())
		c.GoLive.Enable()
	default:
		c.GoLive.SetText("Go Live")
		c.GoLive.SetIcon(theme.MediaPlayIcon())
		if s.destinationProblem() == "" {
			c.GoLive.Enable()
		} else {
			c.GoLive.Disable()
		}
	}
	recording := busy && (!s.liveStreaming || s.liveRecording != "")
	recText, recIcon := "Record", theme.MediaRecordIcon()
	if recording {
		recText, recIcon = "Stop recording", theme.MediaStopIcon()
	}
	if c.Record.Text != recText {
		c.Record.SetText(recText)
		c.Record.SetIcon(recIcon)
	}
	if s.recBusy || s.starting || (s.stopping && busy) {
		c.Record.Disable()
	} else {
		c.Record.Enable()
	}
	for _, w := range []interface {
		Enable()
		Disable()
	}{c.Camera, c.Size, c.FPS, c.Microphone, c.Preset, c.AudioKbps, c.Destination, c.Key, c.VideoKbps} {
		if busy {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	if busy || DestinationNamed(c.Destination.Selected).Name != CustomName {
		c.Server.Disable()
	} else {
		c.Server.Enable()
	}
}

func (s *Studio) setStatus(text string) { s.c.Status.SetText(s.scrub(text)) }

// scrub hides the stream key wherever it appears in msg. It may run on
// any goroutine: it reads the key that keyChanged took from the key field
// on the UI goroutine, never the widget.
func (s *Studio) scrub(msg string) string {
	if r := s.redactor.Load(); r != nil {
		return r.Redact(msg)
	}
	return msg
}

// keyChanged takes the key field's text for scrub. UI goroutine only.
func (s *Studio) keyChanged() {
	r := app.Redactor{}.WithKey(s.c.Key.Text)
	s.redactor.Store(&r)
}

func (s *Studio) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		s.cfg.Log(s.scrub(fmt.Sprintf(format, args...)))
	}
}

func setWarning(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}
