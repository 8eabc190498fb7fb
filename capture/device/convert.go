package device

import (
	"fmt"
	"image"
	"image/color"
)

// toI420 writes src into dst, an I420 picture with YStride = width and
// CStride = width/2, converting the colour layout and, when the sizes
// differ, scaling to nearest neighbour. It handles what the camera decoders
// produce: *image.YCbCr of any subsampling (I420 and NV12 give 4:2:0, YUYV
// and UYVY 4:2:2, MJPEG 4:2:0, 4:2:2 or 4:4:4), *image.Gray (greyscale
// MJPEG), and any other image.Image through its colour model (slow).
// It does not allocate.
func toI420(dst *image.YCbCr, src image.Image) error {
	sb := src.Bounds()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if sb.Empty() {
		return fmt.Errorf("device: empty frame")
	}
	same := sb.Dx() == w && sb.Dy() == h
	switch s := src.(type) {
	case *image.YCbCr:
		if same && s.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			copyI420(dst, s)
			return nil
		}
		if same && s.SubsampleRatio == image.YCbCrSubsampleRatio422 {
			copyPlane(dst.Y, dst.YStride, s.Y[s.YOffset(sb.Min.X, sb.Min.Y):], s.YStride, w, h)
			from422(dst, s)
			return nil
		}
		yCbCrScaled(dst, s)
		return nil
	case *image.Gray:
		for y := range h {
			sy := sb.Min.Y + y*sb.Dy()/h
			row := dst.Y[y*dst.YStride : y*dst.YStride+w]
			for x := range row {
				row[x] = s.Pix[s.PixOffset(sb.Min.X+x*sb.Dx()/w, sy)]
			}
		}
		fillChroma(dst, 128, 128)
		return nil
	}
	generic(dst, src)
	return nil
}

// copyI420 copies a same-size 4:2:0 picture.
func copyI420(dst, s *image.YCbCr) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	sb := s.Rect
	copyPlane(dst.Y, dst.YStride, s.Y[s.YOffset(sb.Min.X, sb.Min.Y):], s.YStride, w, h)
	co := s.COffset(sb.Min.X, sb.Min.Y)
	copyPlane(dst.Cb, dst.CStride, s.Cb[co:], s.CStride, w/2, h/2)
	copyPlane(dst.Cr, dst.CStride, s.Cr[co:], s.CStride, w/2, h/2)
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride, w, h int) {
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}

// from422 halves the vertical chroma resolution of a same-size 4:2:2
// picture, averaging each pair of rows.
func from422(dst, s *image.YCbCr) {
	cw, ch := dst.Rect.Dx()/2, dst.Rect.Dy()/2
	co := s.COffset(s.Rect.Min.X, s.Rect.Min.Y)
	for _, p := range [2]struct{ d, s []byte }{{dst.Cb, s.Cb[co:]}, {dst.Cr, s.Cr[co:]}} {
		for y := range ch {
			a := p.s[2*y*s.CStride : 2*y*s.CStride+cw]
			b := p.s[(2*y+1)*s.CStride : (2*y+1)*s.CStride+cw]
			d := p.d[y*dst.CStride : y*dst.CStride+cw]
			for x := range d {
				d[x] = byte((uint16(a[x]) + uint16(b[x]) + 1) >> 1)
			}
		}
	}
}

// yCbCrScaled handles any subsampling and any size by sampling the nearest
// source pixel: luma at each destination pixel, chroma at the top-left luma
// pixel of each 2×2 block.
func yCbCrScaled(dst, s *image.YCbCr) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	sb := s.Rect
	sx := func(x int) int { return sb.Min.X + x*sb.Dx()/w }
	sy := func(y int) int { return sb.Min.Y + y*sb.Dy()/h }
	for y := range h {
		row := dst.Y[y*dst.YStride : y*dst.YStride+w]
		yy := sy(y)
		for x := range row {
			row[x] = s.Y[s.YOffset(sx(x), yy)]
		}
	}
	for y := range h / 2 {
		yy := sy(2 * y)
		cb := dst.Cb[y*dst.CStride : y*dst.CStride+w/2]
		cr := dst.Cr[y*dst.CStride : y*dst.CStride+w/2]
		for x := range cb {
			o := s.COffset(sx(2*x), yy)
			cb[x], cr[x] = s.Cb[o], s.Cr[o]
		}
	}
}

func fillChroma(dst *image.YCbCr, cb, cr byte) {
	w, h := dst.Rect.Dx()/2, dst.Rect.Dy()/2
	for y := range h {
		for x := range w {
			dst.Cb[y*dst.CStride+x] = cb
			dst.Cr[y*dst.CStride+x] = cr
		}
	}
}

// generic converts through the image's colour model, one pixel at a time.
func generic(dst *image.YCbCr, src image.Image) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	sb := src.Bounds()
	for y := range h {
		for x := range w {
			r, g, b, _ := src.At(sb.Min.X+x*sb.Dx()/w, sb.Min.Y+y*sb.Dy()/h).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(b>>8))
			dst.Y[y*dst.YStride+x] = yy
			if x%2 == 0 && y%2 == 0 {
				dst.Cb[(y/2)*dst.CStride+x/2] = cb
				dst.Cr[(y/2)*dst.CStride+x/2] = cr
			}
		}
	}
}

// newI420 allocates a w×h I420 picture in one buffer (w and h even, so
// CStride is w/2).
func newI420(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}
