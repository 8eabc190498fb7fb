package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// startStream makes the running recording-only session stream as well.
func (s *Studio) startStream() {
	url := s.liveURL()
	if url == "" {
		return
	}
	live := s.live
	s.setStreaming(true)
	s.narration.SetDestination(app.Destination{URL: url})
	s.losses = 0
	s.graph.Reset()
	s.showState(publish.StateConnecting)
	if err := live.StartStream(url); err != nil {
		s.setStreaming(false)
		s.narration.SetDestination(app.Destination{})
		s.showState(publish.StateLive)
		s.fail("Could not go live", err)
	}
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

// tapRecord starts or stops the local recording: on its own when not
// streaming (a session that only records), or alongside the running stream,
// which goes on untouched.
func (s *Studio) tapRecord() {
	switch {
	case s.recBusy || s.starting || s.stopping:
	case s.live == nil:
		s.start(false, true)
	case !s.liveStreaming:
		s.stopSession()
	case s.liveRecording == "":
		s.startRecording()
	default:
		s.stopRecording()
	}
}

// newRecordPath names a new recording file.
func (s *Studio) newRecordPath() string {
	return filepath.Join(s.prefs.RecordDir, "studio-"+time.Now().Format("20060102-150405")+".flv")
}

// startRecording starts recording the running stream, on a goroutine.
func (s *Studio) startRecording() {
	live, path := s.live, s.newRecordPath()
	s.recBusy = true
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := live.StartRecording(path)
		s.do(func() {
			s.recBusy = false
			switch {
			case err != nil:
				s.setStatus("Could not record: " + err.Error())
				s.logf("recording failed: %v", err)
			case s.live == live:
				s.liveRecording = path
				s.setStatus("Recording to " + path)
				s.logf("recording to %s", path)
			}
			s.showRecording(false)
			s.showState(s.state)
			if s.afterRecord != nil {
				s.afterRecord()
			}
		})
	}()
}

// stopRecording finishes the running stream's recording, on a goroutine.
func (s *Studio) stopRecording() {
	live, path := s.live, s.liveRecording
	s.recBusy = true
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := live.StopRecording()
		s.do(func() {
			s.recBusy = false
			if s.live == live && s.liveRecording == path {
				s.liveRecording = ""
			}
			if err != nil {
				s.setStatus("Recording: " + err.Error())
			} else {
				s.setStatus("Recording saved to " + path)
				s.logf("recording saved to %s", path)
			}
			s.showRecordingFile(path, true)
			s.showState(s.state)
			if s.afterRecord != nil {
				s.afterRecord()
			}
		})
	}()
}

// showRecording shows the running recording's file and size (at most once
// a second, from tick), or, with saved, the file just finished.
func (s *Studio) showRecording(saved bool) {
	if s.liveRecording != "" {
		s.showRecordingFile(s.liveRecording, saved)
	}
}

func (s *Studio) showRecordingFile(path string, saved bool) {
	size := "0 B"
	if fi, err := os.Stat(path); err == nil {
		size = byteSize(fi.Size())
	}
	text := "● REC  " + path + "  " + size
	s.c.Recording.Importance = widget.DangerImportance
	if saved {
		text = "Saved  " + path + "  " + size
		s.c.Recording.Importance = widget.MediumImportance
	}
	if s.c.Recording.Text != text || s.c.Recording.Hidden {
		s.c.Recording.SetText(s.scrub(text))
		s.c.Recording.Show()
	}
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// deviceLost says that a camera or microphone is gone and what stands in.
func (s *Studio) deviceLost(d DeviceLost) {
	switch {
	case d.Camera && d.Back:
		s.logf("camera %s is back", nameOf(s.be.Cameras(), d.ID))
		s.lost.camera = ""
	case d.Back:
		s.logf("microphone %s is back", nameOf(s.be.Microphones(), d.ID))
		s.lost.microphone = ""
	case d.Camera:
		s.lost.camera = nameOf(s.be.Cameras(), d.ID)
		s.logf("camera lost (%v): sending a slate", d.Err)
	default:
		s.lost.microphone = nameOf(s.be.Microphones(), d.ID)
		s.logf("microphone lost (%v): sending silence", d.Err)
	}
	s.showLost()
}

// showLost shows the lost devices, if any.
func (s *Studio) showLost() {
	stays := "the stream stays up."
	if s.live == nil && !s.starting {
		stays = "you can also pick another source."
	}
	var lines []string
	if s.lost.camera != "" {
		lines = append(lines, fmt.Sprintf("Camera lost (%s): sending a 'camera lost' slate; %s Check that it is plugged in; studio picks it up again by itself.", s.lost.camera, stays))
	}
	if s.lost.microphone != "" {
		lines = append(lines, fmt.Sprintf("Microphone lost (%s): sending silence; %s Check that it is plugged in and not muted, and that the sound server runs; studio picks it up again by itself.", s.lost.microphone, stays))
	}
	text := strings.Join(lines, "\n")
	if text == s.c.DeviceLost.Text {
		return
	}
	setWarning(s.c.DeviceLost, text)
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
// narration at once, on the session's goroutine (so that the log stays
// complete while the window closes), and hands the event to the UI
// goroutine.
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

// tick shows the session's stats, the recording's size and the process's
// CPU use.
func (s *Studio) tick() {
	_ = s.stats.cpu.Set(fmt.Sprintf("%.0f%%", s.be.CPU()))
	if s.live == nil {
		return
	}
	st := s.live.Stats()
	s.showStats(st)
	if s.liveRecording != "" && !s.recBusy && !st.Recording && st.State == publish.StateLive {
		// The session stopped it (a write failed): its warning is in
		// the status line.
		s.showRecording(true)
		s.liveRecording = ""
		s.refreshControls()
	}
	s.showRecording(false)
	if s.state == publish.StateReconnecting {
		s.showState(s.state)
	}
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
	target := fmt.Sprintf("%d kbps", st.TargetKbps)
	if st.UserKbps > 0 && st.TargetKbps != st.UserKbps {
		// Adaptive bitrate has lowered it.
		target = fmt.Sprintf("%d of %d kbps", st.TargetKbps, st.UserKbps)
	}
	_ = s.stats.target.Set(target)
	_ = s.stats.reconnects.Set(fmt.Sprintf("%d", max(st.Reconnects, s.losses)))
	s.congestion.SetValue(st.Congestion)
	_ = s.stats.congestion.Set(fmt.Sprintf("%3.0f%%", 100*s.congestion.Value()))
	s.graph.Add(st.VideoKbps, float64(st.TargetKbps))
	_ = s.stats.skipped.Set(fmt.Sprintf("%d", st.VideoSource.Skipped))
	// How fast the microphone's clock runs against the media clock (studio
	// absorbs it).
	drift := fmt.Sprintf("%+.0f ppm", st.AudioSource.DriftPPM)
	switch {
	case st.AudioSource.State.String() == "lost":
		drift = "lost"
	case st.AudioSource.DriftPPM == 0:
		drift = "–"
	}
	_ = s.stats.drift.Set(drift)
}

func (s *Studio) clearStats() {
	for _, b := range []interface{ Set(string) error }{s.stats.uptime, s.stats.video, s.stats.audio,
		s.stats.fps, s.stats.dropped, s.stats.queue, s.stats.target, s.stats.reconnects, s.stats.congestion,
		s.stats.skipped, s.stats.drift} {
		_ = b.Set("–")
	}
	_ = s.stats.cpu.Set("–")
	s.congestion.SetValue(0)
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
