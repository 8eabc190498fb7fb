package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// MeterFloorDB is the level at the meter's left edge; 0 dBFS is its right.
const MeterFloorDB = -60.0

var (
	meterGreen  = color.NRGBA{R: 0x2e, G: 0xb8, B: 0x4b, A: 0xff}
	meterYellow = color.NRGBA{R: 0xe8, G: 0xc5, B: 0x1c, A: 0xff}
	meterRed    = color.NRGBA{R: 0xe0, G: 0x3a, B: 0x2e, A: 0xff}
	meterTrack  = color.NRGBA{R: 0x30, G: 0x30, B: 0x30, A: 0xff}
	meterPeak   = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// LevelMeter is a horizontal audio meter: a bar for the RMS level, green
// up to -18 dBFS, yellow up to -6 and red above, with a tick at the peak.
// SetLevel must be called on the UI goroutine. The meter redraws only
// when what it draws changes by a pixel or more.
type LevelMeter struct {
	widget.BaseWidget
	peakDB, rmsDB float64
	muted         bool
	drawn         meterPixels // what the last redraw drew
	redraws       int         // redraws asked for, for tests
}

// meterPixels is what the meter draws: the bar's and the peak's ends, in
// pixels of the given width.
type meterPixels struct {
	width, rms, peak int
}

// NewLevelMeter returns a meter showing silence.
func NewLevelMeter() *LevelMeter {
	m := &LevelMeter{peakDB: math.Inf(-1), rmsDB: math.Inf(-1)}
	m.ExtendBaseWidget(m)
	return m
}

// SetLevel shows a new level, in dBFS.
func (m *LevelMeter) SetLevel(peakDB, rmsDB float64) {
	m.peakDB, m.rmsDB = peakDB, rmsDB
	if px := m.pixels(); px != m.drawn || px.width == 0 {
		m.drawn = px
		m.redraws++
		m.Refresh()
	}
}

func (m *LevelMeter) pixels() meterPixels {
	w := m.Size().Width
	return meterPixels{width: int(w), rms: int(fraction(m.rmsDB) * w), peak: int(fraction(m.peakDB) * w)}
}

// Level returns the level shown.
func (m *LevelMeter) Level() (peakDB, rmsDB float64) { return m.peakDB, m.rmsDB }

// SetMuted greys the meter out.
func (m *LevelMeter) SetMuted(muted bool) {
	m.muted = muted
	m.redraws++
	m.Refresh()
}

// fraction maps dBFS onto 0…1 of the meter's width.
func fraction(db float64) float32 {
	if math.IsNaN(db) || db <= MeterFloorDB {
		return 0
	}
	if db >= 0 {
		return 1
	}
	return float32((db - MeterFloorDB) / -MeterFloorDB)
}

func (m *LevelMeter) CreateRenderer() fyne.WidgetRenderer {
	r := &meterRenderer{m: m, track: canvas.NewRectangle(meterTrack)}
	for i, c := range []color.Color{meterGreen, meterYellow, meterRed} {
		r.bars[i] = canvas.NewRectangle(c)
	}
	r.peak = canvas.NewRectangle(meterPeak)
	return r
}

type meterRenderer struct {
	m     *LevelMeter
	track *canvas.Rectangle
	bars  [3]*canvas.Rectangle
	peak  *canvas.Rectangle
}

// zones are the upper bounds of the green, yellow and red parts in dBFS.
var zones = [3]float64{-18, -6, 0}

func (r *meterRenderer) Layout(size fyne.Size) {
	r.track.Resize(size)
	r.track.Move(fyne.NewPos(0, 0))
	level := fraction(r.m.rmsDB)
	lo := float32(0)
	for i, z := range zones {
		hi := fraction(z)
		end := min(level, hi)
		w := max(end-lo, 0) * size.Width
		r.bars[i].Move(fyne.NewPos(lo*size.Width, 0))
		r.bars[i].Resize(fyne.NewSize(w, size.Height))
		lo = hi
	}
	px := fraction(r.m.peakDB) * size.Width
	r.peak.Move(fyne.NewPos(max(px-2, 0), 0))
	r.peak.Resize(fyne.NewSize(2, size.Height))
	r.peak.Hidden = px == 0
}

func (r *meterRenderer) MinSize() fyne.Size { return fyne.NewSize(120, 14) }

func (r *meterRenderer) Refresh() {
	for i, c := range []color.Color{meterGreen, meterYellow, meterRed} {
		if r.m.muted {
			c = color.NRGBA{R: 0x70, G: 0x70, B: 0x70, A: 0xff}
		}
		r.bars[i].FillColor = c
	}
	r.Layout(r.m.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *meterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.bars[0], r.bars[1], r.bars[2], r.peak}
}

func (r *meterRenderer) Destroy() {}

// CongestionBar shows how congested the stream is, from 0 (clear) to 1
// (dropping video): a thin bar, green below 30%, yellow below 70%, red
// above. SetValue must be called on the UI goroutine.
type CongestionBar struct {
	widget.BaseWidget
	value float64
}

// NewCongestionBar returns an empty bar.
func NewCongestionBar() *CongestionBar {
	b := &CongestionBar{}
	b.ExtendBaseWidget(b)
	return b
}

// SetValue shows v, clamped to 0…1; it redraws only when v changes.
func (b *CongestionBar) SetValue(v float64) {
	v = min(max(v, 0), 1)
	if math.IsNaN(v) || v == b.value {
		return
	}
	b.value = v
	b.Refresh()
}

// Value returns the value shown.
func (b *CongestionBar) Value() float64 { return b.value }

func (b *CongestionBar) CreateRenderer() fyne.WidgetRenderer {
	return &congestionRenderer{b: b, track: canvas.NewRectangle(meterTrack), bar: canvas.NewRectangle(meterGreen)}
}

type congestionRenderer struct {
	b          *CongestionBar
	track, bar *canvas.Rectangle
}

func (r *congestionRenderer) Layout(size fyne.Size) {
	const h = 8
	y := (size.Height - h) / 2
	r.track.Move(fyne.NewPos(0, y))
	r.track.Resize(fyne.NewSize(size.Width, h))
	r.bar.Move(fyne.NewPos(0, y))
	r.bar.Resize(fyne.NewSize(float32(r.b.value)*size.Width, h))
}

func (r *congestionRenderer) MinSize() fyne.Size { return fyne.NewSize(60, 8) }

func (r *congestionRenderer) Refresh() {
	switch v := r.b.value; {
	case v >= 0.7:
		r.bar.FillColor = meterRed
	case v >= 0.3:
		r.bar.FillColor = meterYellow
	default:
		r.bar.FillColor = meterGreen
	}
	r.Layout(r.b.Size())
	r.bar.Refresh()
}

func (r *congestionRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.bar}
}

func (r *congestionRenderer) Destroy() {}
