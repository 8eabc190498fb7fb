package ui

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

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
// must be called on the UI goroutine. It is one image for the window to
// draw, made again only when a sample comes (once a second while live).
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
	r := &graphRenderer{g: g}
	r.raster = canvas.NewRaster(r.draw)
	r.raster.ScaleMode = canvas.ImageScaleFastest
	r.scale = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	r.scale.TextSize = theme.CaptionTextSize()
	return r
}

// graphRenderer draws the background and both lines into one raster
// image (one texture for the window to draw, made again only when the
// graph changes), with the scale as text on top.
type graphRenderer struct {
	g      *BitrateGraph
	raster *canvas.Raster
	scale  *canvas.Text
	img    *image.RGBA // reused by draw, on the UI goroutine
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

// draw is the raster's generator: the graph at w x h pixels.
func (r *graphRenderer) draw(w, h int) image.Image {
	if r.img == nil || r.img.Rect.Dx() != w || r.img.Rect.Dy() != h {
		r.img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	img := r.img
	draw.Draw(img, img.Rect, image.NewUniform(graphBack), image.Point{}, draw.Src)
	top := r.top()
	y := func(kbps float64) float64 { return float64(h-1) - kbps/top*float64(h-1) }
	if t := r.g.target; t > 0 {
		ty := int(math.Round(y(t)))
		for x := range w {
			blend(img, x, ty, graphTarget)
		}
	}
	n := len(r.g.samples)
	dx := float64(w-1) / float64(GraphSeconds-1)
	off := GraphSeconds - n // right-aligned: the newest sample is at the right edge
	for i := 0; i+1 < n; i++ {
		x0, x1 := float64(off+i)*dx, float64(off+i+1)*dx
		segment(img, x0, y(r.g.samples[i]), x1, y(r.g.samples[i+1]), graphVideo)
	}
	return img
}

// segment draws a line about 2 pixels thick from (x0, y0) to (x1, y1),
// x0 < x1, a column at a time.
func segment(img *image.RGBA, x0, y0, x1, y1 float64, c color.NRGBA) {
	for x := int(math.Floor(x0)); x <= int(math.Ceil(x1)); x++ {
		t := min(max((float64(x)-x0)/(x1-x0), 0), 1)
		// The column spans from this x's y to the next's, so that steep
		// segments stay joined.
		ya := y0 + (y1-y0)*t
		yb := y0 + (y1-y0)*min(t+1/(x1-x0), 1)
		lo, hi := int(math.Floor(min(ya, yb)-0.5)), int(math.Ceil(max(ya, yb)+0.5))
		for y := lo; y <= hi; y++ {
			blend(img, x, y, c)
		}
	}
}

// blend draws c over the pixel at (x, y), if it is inside img.
func blend(img *image.RGBA, x, y int, c color.NRGBA) {
	if !(image.Point{x, y}.In(img.Rect)) {
		return
	}
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4 : i+4]
	a := uint32(c.A)
	for k, v := range [3]uint8{c.R, c.G, c.B} {
		p[k] = uint8((uint32(v)*a + uint32(p[k])*(255-a)) / 255)
	}
	p[3] = 0xff
}

func (r *graphRenderer) Layout(size fyne.Size) {
	r.raster.Resize(size)
	r.layoutScale()
}

// layoutScale sets the scale's text and size; it reports whether the text
// changed (text is rendered again only then).
func (r *graphRenderer) layoutScale() bool {
	text := fmt.Sprintf("%.0f kbps · last %d s", r.top(), GraphSeconds)
	changed := text != r.scale.Text
	r.scale.Text = text
	r.scale.Move(fyne.NewPos(4, 2))
	r.scale.Resize(r.scale.MinSize())
	return changed
}

func (r *graphRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 64) }

func (r *graphRenderer) Refresh() {
	r.raster.Resize(r.g.Size())
	r.raster.Refresh()
	if r.layoutScale() {
		r.scale.Refresh()
	}
}

func (r *graphRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.raster, r.scale}
}

func (r *graphRenderer) Destroy() {}
