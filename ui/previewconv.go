package ui

import (
	"image"
	"image/color"
)

// rgbScaler turns preview frames into RGBA images (or BGRA pixels, the
// byte order of X's 24- and 32-bit TrueColor) of a given size, by nearest
// neighbour, in one pass: for a 4:2:0 *image.YCbCr it reads each
// sampled luma and chroma byte once and converts with table lookups (the
// full-range conversion of color.YCbCrToRGB, as image/draw does). Its
// column and row maps are kept for the last source and destination sizes.
// It is not safe for concurrent use.
type rgbScaler struct {
	src, dst image.Point
	xs, cxs  []int // destination column to source luma and chroma column
	ys, cys  []int // destination row to source luma and chroma row
}

// Fixed-point (16 bits) chroma terms of the full-range YCbCr to RGB
// conversion, by chroma byte.
var crToR, cbToG, crToG, cbToB [256]int32

func init() {
	for i := range 256 {
		c := int32(i) - 128
		crToR[i] = 91881 * c  // 1.40200
		cbToG[i] = -22554 * c // 0.34414
		crToG[i] = -46802 * c // 0.71414
		cbToB[i] = 116130 * c // 1.77200
	}
}

// scale draws src into dst, whole image into whole image.
func (r *rgbScaler) scale(dst *image.RGBA, src image.Image) {
	r.scaleTo(dst.Pix, dst.Stride, dst.Rect.Size(), src, 0, 2)
}

// scaleBGRA draws src, whole, into pix: size.Y rows of size.X pixels,
// stride bytes apart, each pixel the bytes blue, green, red, 0xff (a
// 32-bit 0xAARRGGBB word, little-endian).
func (r *rgbScaler) scaleBGRA(pix []byte, stride int, size image.Point, src image.Image) {
	if y, ok := src.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		r.scaleYCbCrBGRA(pix, stride, size, y)
		return
	}
	r.scaleTo(pix, stride, size, src, 2, 0)
}

// scaleTo draws src into pix (size pixels, stride bytes a row) with red
// at byte ri and blue at byte bi of each pixel.
func (r *rgbScaler) scaleTo(pix []byte, stride int, size image.Point, src image.Image, ri, bi int) {
	if y, ok := src.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		r.scaleYCbCr(pix, stride, size, y, ri, bi)
		return
	}
	sb := src.Bounds()
	r.maps(sb.Size(), size)
	for y, sy := range r.ys {
		d := pix[y*stride : y*stride+4*size.X]
		for x, sx := range r.xs {
			c := color.RGBAModel.Convert(src.At(sb.Min.X+sx, sb.Min.Y+sy)).(color.RGBA)
			d[4*x+ri], d[4*x+1], d[4*x+bi], d[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
}

// maps makes the column and row maps for src and dst sizes, once.
func (r *rgbScaler) maps(src, dst image.Point) {
	if r.src == src && r.dst == dst {
		return
	}
	r.src, r.dst = src, dst
	r.xs, r.ys = sampleMap(dst.X, src.X), sampleMap(dst.Y, src.Y)
	r.cxs, r.cys = make([]int, dst.X), make([]int, dst.Y)
	for i, x := range r.xs {
		r.cxs[i] = x / 2
	}
	for i, y := range r.ys {
		r.cys[i] = y / 2
	}
}

// sampleMap maps each of n destination positions to one of from source
// positions.
func sampleMap(n, from int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i * from / n
	}
	return m
}

func (r *rgbScaler) scaleYCbCr(pix []byte, stride int, size image.Point, src *image.YCbCr, ri, bi int) {
	r.maps(src.Rect.Size(), size)
	yo := src.YOffset(src.Rect.Min.X, src.Rect.Min.Y)
	co := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	w := len(r.xs)
	for row, sy := range r.ys {
		yrow := src.Y[yo+sy*src.YStride:]
		crow := co + r.cys[row]*src.CStride
		cbrow, crrow := src.Cb[crow:], src.Cr[crow:]
		d := pix[row*stride : row*stride+4*w]
		for x, sx := range r.xs {
			yy := int32(yrow[sx])<<16 + 1<<15
			cx := r.cxs[x]
			cb, cr := cbrow[cx], crrow[cx]
			d[4*x+ri] = clamp8(yy + crToR[cr])
			d[4*x+1] = clamp8(yy + cbToG[cb] + crToG[cr])
			d[4*x+bi] = clamp8(yy + cbToB[cb])
			d[4*x+3] = 0xff
		}
	}
}

// clamp8 returns v (16-bit fixed point) as a byte, clamped to 0…255.
func clamp8(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 0xff
}
