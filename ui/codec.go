package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"studio/app"
	"studio/encode"
	"studio/publish"
)

// CodecChoices are the video codecs the Codec picker offers, by the names
// it shows; CodecNames are the same codecs as the preferences store them
// (the -codec flag's names).
var (
	CodecChoices = []string{"H.264", "HEVC", "AV1"}
	codecValues  = []encode.VideoCodec{encode.H264, encode.HEVC, encode.AV1}
)

// codecChoice returns the picker's name for the codec stored as name
// ("h264", "hevc", "av1"), H.264 for anything else.
func codecChoice(name string) string {
	c, err := app.ParseCodec(name)
	if err != nil {
		return CodecChoices[0]
	}
	for i, v := range codecValues {
		if v == c {
			return CodecChoices[i]
		}
	}
	return CodecChoices[0]
}

// codecOf returns the codec of a picker name; H.264 for an unknown one.
func codecOf(choice string) encode.VideoCodec {
	for i, c := range CodecChoices {
		if c == choice {
			return codecValues[i]
		}
	}
	return encode.H264
}

// codecRefusal is the notice shown under the Codec picker when a server
// did not take the codec, with a button that switches to H.264. UI
// goroutine only.
type codecRefusal struct {
	notice *widget.Label
	use    *widget.Button
}

// show shows or hides the notice and its button.
func (r *codecRefusal) show(on bool) {
	for _, o := range []fyne.CanvasObject{r.notice, r.use} {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
}

func (s *Studio) buildCodec() fyne.CanvasObject {
	c := &s.c
	c.Codec = widget.NewSelect(CodecChoices, func(string) { s.codecChanged() })
	r := &s.refusal
	r.notice = widget.NewLabel("")
	r.notice.Wrapping = fyne.TextWrapWord
	r.notice.Importance = widget.WarningImportance
	r.use = widget.NewButton("Use H.264", s.useH264)
	r.use.Importance = widget.HighImportance
	c.CodecNotice, c.UseH264 = r.notice, r.use
	r.show(false)
	return container.NewVBox(r.notice, container.NewHBox(r.use))
}

// codecChanged saves the choice and hides a refusal notice that no longer
// applies.
func (s *Studio) codecChanged() {
	if s.updating {
		return
	}
	if codecOf(s.c.Codec.Selected) == encode.H264 {
		s.refusal.show(false)
	}
	s.saveSoon()
	s.refreshControls()
}

// useH264 switches the Codec picker to H.264, as the refusal offers.
func (s *Studio) useH264() {
	s.c.Codec.SetSelected(CodecChoices[0]) // runs codecChanged
	s.refusal.show(false)
	s.setStatus("Codec switched to H.264: Go Live again to stream it.")
}

// codecRefused tells, when err says that a server did not take the video
// codec, what to do about it, offers to switch to H.264, and returns true.
// It never switches by itself.
func (s *Studio) codecRefused(title string, err error) bool {
	codec := codecOf(s.c.Codec.Selected)
	if !errors.Is(err, publish.ErrCodecRefused) || codec == encode.H264 {
		return false
	}
	name := s.c.Codec.Selected
	hint := "This server does not take " + name + ": stream H.264 to it (tap Use H.264, then Go Live)."
	s.refusal.notice.SetText(hint)
	s.refusal.show(true)
	msg := s.scrub(err.Error())
	s.lastDialog = title + ": " + msg + "\n\nWhat to do: " + hint
	s.setStatus(title + ": the server does not take " + name + "; use H.264")
	if s.cfg.Window == nil {
		return true
	}
	text := widget.NewLabel(msg + "\n\n" + strings.Replace(hint, " (tap Use H.264, then Go Live)", "", 1))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, "Use H.264", "Close", text, func(use bool) {
		if use {
			s.useH264()
		}
	}, s.cfg.Window)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
	return true
}
