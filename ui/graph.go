package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// GraphSeconds is how much history the bitrate graph shows.
const GraphSeconds = 60

var (
	graphVideo  = color.NRGBA{R: 0x3d, G: 0x9b, B: 0xff, A: 0xff}
	graphTarget = color.NRGBA{R: 0xff, G: 0xa0, B: 0x30, A: 0xc0}
	graphBack   = color.NRGBA{R: 0x20, G: 0x20, B: 0x24, A: 0xff}
)

// BitrateGraph draws the video bitrate of the last GraphSeconds samples as a
// line, with the target bitrate as a thin second line. Add and Reset
// must be called on the UI goroutine.
type BitrateGraph struct {
	widget.BaseWidget
	samples []float64 // oldest first, at most GraphSeconds
	target  float64
}

// NewBitrateGraph returns an empty graph.
func NewBitrateGraph() *BitrateGraph {
	g := &BitrateGraph{}
	g.ExtendBaseWidget(g)
	return g
}

// Add appends one sample (kbps) and the current target (kbps, 0 if none).
func (g *BitrateGraph) Add(kbps, targetKbps float64) {
	g.samples = append(g.samples, kbps)
	if len(g.samples) > GraphSeconds {
		g.samples = g.samples[len(g.samples)-GraphSeconds:]
	}
	g.target = targetKbps
	g.Refresh()
}

// Reset clears the history.
func (g *BitrateGraph) Reset() {
	g.samples, g.target = nil, 0
	g.Refresh()
}

// Samples returns a copy of the history, oldest first.
func (g *BitrateGraph) Samples() []float64 { return append([]float64(nil), g.samples...) }

func (g *BitrateGraph) CreateRenderer() fyne.WidgetRenderer {
	r := &graphRenderer{g: g, back: canvas.NewRectangle(graphBack), target: canvas.NewLine(graphTarget)}
	r.scale = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	r.scale.TextSize = theme.CaptionTextSize()
	for i := range r.lines {
		r.lines[i] = canvas.NewLine(graphVideo)
		r.lines[i].StrokeWidth = 2
	}
	r.target.StrokeWidth = 1
	return r
}

type graphRenderer struct {
	g      *BitrateGraph
	back   *canvas.Rectangle
	target *canvas.Line
	scale  *canvas.Text
	lines  [GraphSeconds - 1]*canvas.Line
}

// top returns the kbps at the top edge: a round number above every sample
// and the target.
func (r *graphRenderer) top() float64 {
	m := r.g.target
	for _, s := range r.g.samples {
		m = max(m, s)
	}
	step := 500.0
	for step*10 < m {
		step *= 2
	}
	t := step
	for t < m*1.25 {
		t += step
	}
	return t
}

func (r *graphRenderer) Layout(size fyne.Size) {
	r.back.Resize(size)
	top := r.top()
	y := func(kbps float64) float32 {
		return size.Height - float32(kbps/top)*size.Height
	}
	dx := size.Width / float32(GraphSeconds-1)
	n := len(r.g.samples)
	off := GraphSeconds - n // right-aligned: the newest sample is at the right edge
	for i, l := range r.lines {
		if i+1 >= n {
			l.Hidden = true
			continue
		}
		l.Hidden = false
		l.Position1 = fyne.NewPos(float32(off+i)*dx, y(r.g.samples[i]))
		l.Position2 = fyne.NewPos(float32(off+i+1)*dx, y(r.g.samples[i+1]))
	}
	r.target.Hidden = r.g.target <= 0
	r.target.Position1 = fyne.NewPos(0, y(r.g.target))
	r.target.Position2 = fyne.NewPos(size.Width, y(r.g.target))
	r.scale.Text = fmt.Sprintf("%.0f kbps · last %d s", top, GraphSeconds)
	r.scale.Move(fyne.NewPos(4, 2))
	r.scale.Resize(r.scale.MinSize())
}

func (r *graphRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 64) }

func (r *graphRenderer) Refresh() {
	r.Layout(r.g.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *graphRenderer) Objects() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, len(r.lines)+3)
	objs = append(objs, r.back, r.target)
	for _, l := range r.lines {
		objs = append(objs, l)
	}
	return append(objs, r.scale)
}

func (r *graphRenderer) Destroy() {}
