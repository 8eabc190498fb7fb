package ui

import (
	"image"
	"math"

	"fyne.io/fyne/v2"
)

// pixelRect returns the rectangle, in window pixels, that a canvas object
// at pos (absolute, in canvas units) of the given size covers on a canvas
// drawn at scale pixels a unit. Both corners are rounded to the nearest
// pixel, so that two objects side by side share their edge; the result
// is empty for an object of no area or a scale that is not positive.
func pixelRect(pos fyne.Position, size fyne.Size, scale float32) image.Rectangle {
	if scale <= 0 || size.Width <= 0 || size.Height <= 0 {
		return image.Rectangle{}
	}
	px := func(v float32) int { return int(math.Round(float64(v * scale))) }
	r := image.Rect(px(pos.X), px(pos.Y), px(pos.X+size.Width), px(pos.Y+size.Height))
	if r.Empty() {
		return image.Rectangle{}
	}
	return r
}

// letterbox returns where a frame of the given size is drawn in a box of
// the given size (origin at 0,0): as large as fits with the frame's
// aspect kept, centred; the rest of the box is the black bars. It is
// empty when the box or the frame has no area.
func letterbox(box, frame image.Point) image.Rectangle {
	if box.X <= 0 || box.Y <= 0 || frame.X <= 0 || frame.Y <= 0 {
		return image.Rectangle{}
	}
	w, h := box.X, box.X*frame.Y/frame.X
	if h > box.Y {
		w, h = box.Y*frame.X/frame.Y, box.Y
	}
	w, h = max(w, 1), max(h, 1)
	x, y := (box.X-w)/2, (box.Y-h)/2
	return image.Rect(x, y, x+w, y+h)
}
