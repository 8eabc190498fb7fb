package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// panel is one quantity drawn against time.
type panel struct {
	title string
	get   func(sample) float64
}

var panels = []panel{
	{"RSS (MiB)", func(p sample) float64 { return p.rssMB }},
	{"goroutines", func(p sample) float64 { return p.goroutines }},
	{"Go heap in use (MiB)", func(p sample) float64 { return p.heapMB }},
	{"CPU (% of a core, per interval)", func(p sample) float64 { return p.cpuPct }},
}

// palette colours the processes, in the order they appear in the CSV.
var palette = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}}

const (
	plotW, panelH      = 1000, 230
	marginL, marginR   = 70, 20
	marginT, marginB   = 28, 22
	legendH, titleLine = 24, 16
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	grey  = color.RGBA{200, 200, 200, 255}
)

// drawPNG draws one panel per quantity, every process in its colour, with
// time in minutes along the bottom, and writes the PNG to path.
func drawPNG(path string, all []series) error {
	img := image.NewRGBA(image.Rect(0, 0, plotW, legendH+panelH*len(panels)))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	x := marginL
	for i, s := range all {
		c := palette[i%len(palette)]
		fillRect(img, x, 8, x+20, 14, c)
		label(img, x+26, 16, s.mode, black)
		x += 40 + 7*len(s.mode)
	}
	var tMax float64
	for _, s := range all {
		tMax = max(tMax, s.samples[len(s.samples)-1].elapsed)
	}
	tMax = max(tMax, 1)
	for i, p := range panels {
		drawPanel(img, legendH+i*panelH, p, all, tMax)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func drawPanel(img *image.RGBA, top int, p panel, all []series, tMax float64) {
	x0, x1 := marginL, plotW-marginR
	y0, y1 := top+marginT, top+panelH-marginB // y0 is the top edge
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range all {
		for _, q := range s.samples {
			if v := p.get(q); v >= 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	// Room around flat lines, so that a flat series looks flat.
	pad := max((hi-lo)*0.1, math.Abs(hi)*0.02, 0.5)
	lo, hi = max(0, lo-pad), hi+pad
	label(img, x0, top+titleLine, p.title, black)
	for k := 0; k <= 4; k++ {
		v := lo + (hi-lo)*float64(k)/4
		y := y1 - int(float64(y1-y0)*float64(k)/4)
		hline(img, x0, x1, y, grey)
		label(img, 4, y+4, trim(v), black)
	}
	minutes := tMax / 60
	step := niceStep(minutes)
	for m := 0.0; m <= minutes+1e-9; m += step {
		x := x0 + int(float64(x1-x0)*m*60/tMax)
		vline(img, x, y0, y1, grey)
		label(img, x-6, y1+15, trim(m)+"m", black)
	}
	hline(img, x0, x1, y1, black)
	vline(img, x0, y0, y1, black)
	for i, s := range all {
		c := palette[i%len(palette)]
		px, py, have := 0, 0, false
		for _, q := range s.samples {
			v := p.get(q)
			if v < 0 {
				have = false
				continue
			}
			x := x0 + int(float64(x1-x0)*q.elapsed/tMax)
			y := y1 - int(float64(y1-y0)*(v-lo)/(hi-lo))
			if have {
				line(img, px, py, x, y, c)
			}
			px, py, have = x, y, true
		}
	}
}

// niceStep picks a grid step of 1, 2 or 5 × 10^n minutes giving at most
// ten lines.
func niceStep(span float64) float64 {
	for mag := 0.1; ; mag *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if span/(m*mag) <= 10 {
				return m * mag
			}
		}
	}
}

func trim(v float64) string {
	switch {
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func label(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fillRect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// line draws a two-pixel-thick segment (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		img.SetRGBA(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
