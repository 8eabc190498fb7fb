package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// monoValue shows a short value that changes often (a stat such as the
// uptime or the bitrate) in the monospace font, laid out like a Label.
//
// It draws each character as a text object of its own, so that a new value
// is made of glyphs already drawn. Fyne keeps a texture, and the font's
// measurements, for every distinct string it has drawn until the string
// has gone unused for a minute. With Labels, the stats that change every
// second filled that cache with strings shown once, and the window grew by
// about 5 MB over its first three minutes live; a monoValue's cache holds
// one entry per character instead.
type monoValue struct {
	widget.BaseWidget
	text string // guarded by the UI goroutine
}

// newMonoValue returns a monoValue showing b.
func newMonoValue(b binding.String) *monoValue {
	v := &monoValue{}
	v.ExtendBaseWidget(v)
	b.AddListener(binding.NewDataListener(func() { // called on the UI goroutine
		s, _ := b.Get()
		v.SetText(s)
	}))
	return v
}

// SetText shows s. It must be called on the UI goroutine.
func (v *monoValue) SetText(s string) {
	if s == v.text {
		return
	}
	v.text = s
	v.Refresh()
}

// Text returns the value shown.
func (v *monoValue) Text() string { return v.text }

func (v *monoValue) CreateRenderer() fyne.WidgetRenderer {
	r := &monoRenderer{v: v}
	r.Refresh()
	return r
}

var monoStyle = fyne.TextStyle{Monospace: true}

// monoRenderer keeps one canvas.Text per character of the value, reusing
// them from value to value.
type monoRenderer struct {
	v     *monoValue
	chars []*canvas.Text // one per rune of v.text
	objs  []fyne.CanvasObject
}

// cell returns the size of one character and the padding around the text.
func (r *monoRenderer) cell() (fyne.Size, float32) {
	th := r.v.Theme()
	size := th.Size(theme.SizeNameText)
	return fyne.MeasureText("0", size, monoStyle), th.Size(theme.SizeNameInnerPadding)
}

func (r *monoRenderer) Layout(fyne.Size) {
	c, pad := r.cell()
	for i, t := range r.chars {
		t.Move(fyne.NewPos(pad+float32(i)*c.Width, pad))
		t.Resize(c)
	}
}

func (r *monoRenderer) MinSize() fyne.Size {
	c, pad := r.cell()
	return fyne.NewSize(float32(len(r.chars))*c.Width+2*pad, c.Height+2*pad)
}

func (r *monoRenderer) Refresh() {
	th := r.v.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	size, col := th.Size(theme.SizeNameText), th.Color(theme.ColorNameForeground, v)
	runes := []rune(r.v.text)
	for len(r.chars) < len(runes) {
		if n := len(r.chars); n < cap(r.chars) && r.chars[:n+1][n] != nil { // made for a longer value
			r.chars = r.chars[:n+1]
			continue
		}
		t := canvas.NewText("", col)
		t.TextStyle = monoStyle
		r.chars = append(r.chars, t)
	}
	r.chars = r.chars[:len(runes)]
	r.objs = r.objs[:0]
	for i, ch := range runes {
		t := r.chars[i]
		if s := string(ch); t.Text != s || t.TextSize != size || t.Color != col {
			t.Text, t.TextSize, t.Color = s, size, col
			t.Refresh()
		}
		r.objs = append(r.objs, t)
	}
	r.Layout(r.v.Size())
}

func (r *monoRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *monoRenderer) Destroy() {}
