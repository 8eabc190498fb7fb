package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studio/encode"
	"studio/publish"
)

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
		setButton(c.GoLive, "Stopping…", c.GoLive.Icon)
		c.GoLive.Disable()
	case streaming:
		setButton(c.GoLive, "Stop", theme.MediaStopIcon())
		c.GoLive.Enable()
	default:
		setButton(c.GoLive, "Go Live", theme.MediaPlayIcon())
		if s.destinationProblem() == "" && !s.link.running {
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
	setButton(c.Record, recText, recIcon)
	if s.recBusy || s.starting || (s.stopping && busy) {
		c.Record.Disable()
	} else {
		c.Record.Enable()
	}
	for _, w := range []interface {
		Enable()
		Disable()
	}{c.Camera, c.Size, c.FPS, c.Microphone, c.Preset, c.AudioKbps, c.VideoKbps, c.Codec, s.refusal.use} {
		if busy {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	if codecOf(c.Codec.Selected) != encode.H264 {
		c.Preset.Disable() // x264's: HEVC and AV1 use their encoder's real-time default
	}
	s.refreshDestinations(busy)
	s.refreshLinkTest(busy || s.starting)
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

// setButton gives b text and icon, and redraws it only when either
// changed: the window calls this every second while live, and every
// redraw lays its text out again.
func setButton(b *widget.Button, text string, icon fyne.Resource) {
	same := func(a, b fyne.Resource) bool {
		return a == b || (a != nil && b != nil && a.Name() == b.Name())
	}
	if b.Text == text && same(b.Icon, icon) {
		return
	}
	b.Text, b.Icon = text, icon
	b.Refresh()
}
