package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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
	case s.live != nil && !s.liveStreaming:
		// Recording on its own: restart as stream + recording.
		s.restartLive = true
		s.stopSession()
	case s.live != nil:
		s.stopSession()
	default:
		s.start(true, false)
	}
}

// tapRecord starts a recording on its own, or stops it.
func (s *Studio) tapRecord() {
	switch {
	case s.live != nil && !s.liveStreaming:
		s.stopSession()
	case s.live == nil && !s.starting:
		s.start(false, true)
	}
}

// start begins a session that streams, records, or both.
func (s *Studio) start(stream, record bool) {
	set, err := s.settings()
	if err != nil {
		s.setStatus(err.Error())
		return
	}
	if stream {
		if p := s.destinationProblem(); p != "" {
			s.setStatus("Cannot go live: " + p)
			return
		}
		_, server := s.server()
		set.URL = PublishURL(server, s.c.Key.Text)
		s.saveKey()
		s.saveSoon()
	}
	if record {
		set.RecordPath = filepath.Join(s.prefs.RecordDir, "studio-"+time.Now().Format("20060102-150405")+".flv")
	}
	s.starting, s.stopWanted = true, false
	s.liveStreaming, s.liveRecording = stream, set.RecordPath
	s.graph.Reset()
	s.showState(publish.StateConnecting)
	if stream {
		d, server := s.server()
		s.logf("going live on %s (%s)", strings.TrimRight(server, "/")+"/****", d.Name)
	}
	onEvent := s.eventLogger(stream, set.RecordPath)
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

// eventLogger returns the OnEvent of one session: it logs each event at
// once, on the session's goroutine (so that the log stays complete while
// the window closes), and hands it to the UI goroutine.
func (s *Studio) eventLogger(streaming bool, recording string) func(publish.Event) {
	last := publish.StateIdle
	return func(ev publish.Event) {
		switch {
		case ev.Status != nil:
			s.logf("server: %s", ev.Status)
		case ev.Err != nil && ev.State != publish.StateError:
			s.logf("warning: %v", ev.Err)
		}
		if ev.State != last {
			last = ev.State
			switch {
			case ev.State == publish.StateLive && streaming:
				s.logf("live")
			case ev.State == publish.StateLive:
				s.logf("recording to %s", recording)
			case ev.State == publish.StateError:
				s.logf("error: %v", ev.Err)
			default:
				s.logf("%s", strings.ToLower(strings.TrimSuffix(StateText(ev.State), "…")))
			}
		}
		s.do(func() { s.applyEvent(ev) })
	}
}

// applyEvent shows a session event.
func (s *Studio) applyEvent(ev publish.Event) {
	switch {
	case ev.Status != nil:
		s.setStatus(ev.Status.String())
	case ev.Err != nil && ev.State != publish.StateError:
		s.setStatus("Warning: " + s.scrub(ev.Err.Error()))
	}
	if ev.State != s.state && (s.live != nil || s.starting) {
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
	if s.liveRecording != "" && err == nil {
		s.setStatus("Recording saved to " + s.liveRecording)
	}
	s.refreshControls()
	if s.afterEnd != nil {
		s.afterEnd()
	}
	if s.restartLive {
		s.restartLive = false
		s.start(true, true)
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
	if h := Hint(err); h != "" {
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
		if !s.liveStreaming {
			text = "Recording"
		}
		c.State.Importance = widget.DangerImportance
	case publish.StateError:
		c.State.Importance = widget.WarningImportance
	case publish.StateConnecting, publish.StateReconnecting:
		c.State.Importance = widget.WarningImportance
	}
	c.State.SetText("● " + text)
	s.refreshControls()
}

// refreshControls enables what can be used in the current state.
func (s *Studio) refreshControls() {
	c := &s.c
	busy := s.live != nil || s.starting
	streaming := busy && s.liveStreaming
	switch {
	case (s.stopping || s.state == publish.StateStopping) && busy:
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
	switch {
	case busy && !s.liveStreaming:
		c.Record.SetText("Stop recording")
		c.Record.Enable()
	case busy:
		c.Record.SetText("Record")
		if s.liveRecording != "" {
			c.Record.SetText("Recording")
		}
		c.Record.Disable()
	default:
		c.Record.SetText("Record")
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

// tick shows the session's stats and the process's CPU use.
func (s *Studio) tick() {
	_ = s.stats.cpu.Set(fmt.Sprintf("%.0f%%", s.be.CPU()))
	if s.live == nil {
		return
	}
	s.showStats(s.live.Stats())
}

// showStats shows one stats snapshot.
func (s *Studio) showStats(st publish.Stats) {
	up := st.Uptime.Round(time.Second)
	_ = s.stats.uptime.Set(fmt.Sprintf("%d:%02d:%02d", int(up.Hours()), int(up.Minutes())%60, int(up.Seconds())%60))
	_ = s.stats.video.Set(fmt.Sprintf("%.0f kbps", st.VideoKbps))
	_ = s.stats.audio.Set(fmt.Sprintf("%.0f kbps", st.AudioKbps))
	_ = s.stats.fps.Set(fmt.Sprintf("%.1f", st.FPS))
	_ = s.stats.dropped.Set(fmt.Sprintf("%d", st.FramesDropped))
	_ = s.stats.queue.Set(fmt.Sprintf("%d ms", st.Queue.Milliseconds()))
	_ = s.stats.target.Set(fmt.Sprintf("%d kbps", st.TargetKbps))
	if st.Reconnects > 0 {
		_ = s.stats.dropped.Set(fmt.Sprintf("%d · %d reconn.", st.FramesDropped, st.Reconnects))
	}
	s.graph.Add(st.VideoKbps, float64(st.TargetKbps))
}

func (s *Studio) clearStats() {
	for _, b := range []interface{ Set(string) error }{s.stats.uptime, s.stats.video, s.stats.audio,
		s.stats.fps, s.stats.dropped, s.stats.queue, s.stats.target} {
		_ = b.Set("–")
	}
	_ = s.stats.cpu.Set("–")
}

func (s *Studio) setStatus(text string) { s.c.Status.SetText(s.scrub(text)) }

// scrub hides the stream key wherever it appears in msg.
func (s *Studio) scrub(msg string) string {
	if k := strings.TrimSpace(s.c.Key.Text); len(k) >= 3 {
		msg = strings.ReplaceAll(msg, k, "****")
	}
	return msg
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
