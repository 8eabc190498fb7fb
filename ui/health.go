package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studio/publish/health"
)

// historyLen is how many changes of health the window keeps.
const historyLen = 8

// healthView shows the stream's health next to Go Live: a dot in the
// status's colour and its name with the cause, the message that says what
// to do, and the last changes, newest first. It is used on the UI
// goroutine only.
type healthView struct {
	dot     *canvas.Circle
	word    *widget.Label // "Good", "Warning · network", …; "–" while nothing streams
	message *widget.Label
	history *widget.Label
	past    *widget.Accordion
	entries []string
	last    health.Report
	live    bool
}

func newHealthView() *healthView {
	h := &healthView{
		dot:     canvas.NewCircle(color.Transparent),
		word:    widget.NewLabelWithStyle("–", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		message: widget.NewLabel(""),
		history: widget.NewLabel(""),
	}
	h.message.Wrapping = fyne.TextWrapWord
	h.message.Hide()
	h.history.TextStyle.Monospace = true
	h.history.Wrapping = fyne.TextWrapWord // a long message must not widen the window
	h.history.SizeName = theme.SizeNameCaptionText
	h.past = widget.NewAccordion(widget.NewAccordionItem("Health history", h.history))
	h.past.Hide()
	h.idle()
	return h
}

// badge is the dot and the word, for the bar next to Go Live.
func (h *healthView) badge() fyne.CanvasObject {
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(fyne.NewSize(14, 14))
	return container.NewHBox(container.NewCenter(container.NewStack(spacer, h.dot)), h.word)
}

// show shows r, diagnosed at at, and notes it in the history when its
// status or cause changed.
func (h *healthView) show(r health.Report, at time.Time) {
	if r.Status == "" {
		return // not diagnosed yet
	}
	changed := !h.live || r.Status != h.last.Status || r.Cause != h.last.Cause
	h.live, h.last = true, r
	word, imp, col := "Good", widget.SuccessImportance, theme.ColorNameSuccess
	switch r.Status {
	case health.Warning:
		word, imp, col = "Warning · "+string(r.Cause), widget.WarningImportance, theme.ColorNameWarning
	case health.Bad:
		word, imp, col = "Bad · "+string(r.Cause), widget.DangerImportance, theme.ColorNameError
	}
	h.set(word, imp, theme.Color(col))
	// Text is laid out again on every refresh: only when it changed.
	if r.Message != h.message.Text || h.message.Importance != imp {
		h.message.Importance = imp
		h.message.SetText(r.Message)
	}
	if hide := r.Message == ""; hide != !h.message.Visible() {
		if hide {
			h.message.Hide()
		} else {
			h.message.Show()
		}
	}
	if changed {
		entry := at.Local().Format("15:04:05") + "  " + word
		if r.Message != "" {
			entry += ": " + r.Message
		}
		h.entries = append([]string{entry}, h.entries...)
		if len(h.entries) > historyLen {
			h.entries = h.entries[:historyLen]
		}
		h.history.SetText(strings.Join(h.entries, "\n"))
		h.past.Show()
	}
}

// current is the report shown, health.OK while nothing streams.
func (h *healthView) current() health.Report {
	if !h.live {
		return health.OK
	}
	return h.last
}

// idle shows that nothing streams; the history stays.
func (h *healthView) idle() {
	h.live = false
	h.set("–", widget.LowImportance, theme.Color(theme.ColorNameDisabled))
	h.message.Hide()
}

func (h *healthView) set(word string, imp widget.Importance, c color.Color) {
	if h.word.Text != word || h.word.Importance != imp {
		h.word.Importance = imp
		h.word.SetText(word)
	}
	if h.dot.FillColor != c {
		h.dot.FillColor = c
		h.dot.Refresh()
	}
}

// String is the view as text, for tests and logs.
func (h *healthView) String() string {
	return fmt.Sprintf("%s | %s", h.word.Text, h.message.Text)
}
