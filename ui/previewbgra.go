package ui

import (
	"encoding/binary"
	"image"
)

// clampTab[v+clampBias] is v clamped to 0…255, for every v that a
// conversion term can reach (luma 0…255 plus or minus at most 227).
var clampTab [1024 + clampBias]uint8

const clampBias = 512

func init() {
	for i := range clampTab {
		clampTab[i] = uint8(min(max(i-clampBias, 0), 255))
	}
}

// scaleYCbCrBGRA is scaleYCbCr for X's byte order, made for the native
// preview's upscaled frames: one 32-bit store a pixel, table clamps, and a
// row that repeats the one above (a frame scaled up) is copied rather
// than converted again. Its output is byte for byte scaleYCbCr's.
func (r *rgbScaler) scaleYCbCrBGRA(pix []byte, stride int, size image.Point, src *image.YCbCr) {
	r.maps(src.Rect.Size(), size)
	yo := src.YOffset(src.Rect.Min.X, src.Rect.Min.Y)
	co := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	w := len(r.xs)
	var prev []byte
	for row, sy := range r.ys {
		d := pix[row*stride : row*stride+4*w]
		if row > 0 && sy == r.ys[row-1] {
			copy(d, prev)
			prev = d
			continue
		}
		yrow := src.Y[yo+sy*src.YStride:]
		crow := co + r.cys[row]*src.CStride
		cbrow, crrow := src.Cb[crow:], src.Cr[crow:]
		for x, sx := range r.xs {
			yy := (int32(yrow[sx])<<16 + 1<<15)
			cx := r.cxs[x]
			cb, cr := cbrow[cx], crrow[cx]
			red := clampTab[(yy+crToR[cr])>>16+clampBias]
			green := clampTab[(yy+cbToG[cb]+crToG[cr])>>16+clampBias]
			blue := clampTab[(yy+cbToB[cb])>>16+clampBias]
			binary.LittleEndian.PutUint32(d[4*x:], 0xff000000|uint32(red)<<16|uint32(green)<<8|uint32(blue))
		}
		prev = d
	}
}
