package device

import (
	"errors"
	"fmt"
	"image"

	"studio/capture/mjpeg"
)

// errShortFrame is wrapped by conversion errors for a raw frame smaller than
// its mode says (a frame cut short); the frame is dropped.
var errShortFrame = errors.New("frame shorter than its format and size")

// frameConverter turns the raw frames of a camera into I420 of the
// requested size: MJPEG through capture/mjpeg (TurboJPEG straight to YUV),
// YUYV, UYVY, NV12, NV21 and I420 by rearranging the planes. When the
// camera's size differs from the requested one, the frame goes through a
// camera-size picture and is scaled to nearest neighbour. It reuses its
// buffers, and is not safe for concurrent use.
type frameConverter struct {
	dec *mjpeg.Decoder // made for the first MJPEG frame
	tmp image.YCbCr    // the camera-size picture, when scaling
	// jw, jh is the size of the last JPEG decoded, which the camera may
	// send at another size than its mode says.
	jw, jh int
}

// convert writes raw, a frame in mode m, into dst (an I420 picture).
func (c *frameConverter) convert(dst *image.YCbCr, m cameraMode, raw []byte) error {
	if m.Format == fmtMJPEG || m.Format == fmtJPEG {
		return c.mjpeg(dst, m, raw)
	}
	w, h := m.Width, m.Height
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("device: camera mode %v: size must be even", m)
	}
	target := dst
	if dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		if c.tmp.Rect.Dx() != w || c.tmp.Rect.Dy() != h {
			c.tmp = *newI420(w, h)
		}
		target = &c.tmp
	}
	var err error
	switch m.Format {
	case fmtYUYV:
		err = packed422(target, raw, w, h, 0, 1)
	case fmtUYVY:
		err = packed422(target, raw, w, h, 1, 0)
	case fmtNV12:
		err = semiPlanar(target, raw, w, h, 0)
	case fmtNV21:
		err = semiPlanar(target, raw, w, h, 1)
	case fmtI420:
		err = planar(target, raw, w, h)
	default:
		return fmt.Errorf("device: camera format %v is not supported", m.Format)
	}
	if err != nil {
		return err
	}
	if target != dst {
		toI420(dst, target)
	}
	return nil
}

func (c *frameConverter) mjpeg(dst *image.YCbCr, m cameraMode, raw []byte) error {
	if c.dec == nil {
		d, err := mjpeg.NewDecoder()
		if err != nil {
			return fmt.Errorf("device: %w", err)
		}
		c.dec, c.jw, c.jh = d, m.Width, m.Height
	}
	if c.jw == dst.Rect.Dx() && c.jh == dst.Rect.Dy() {
		view := *dst // DecodeI420 replaces it if the JPEG's size differs
		err := c.dec.DecodeI420(&view, raw)
		if err != nil || view.Rect == dst.Rect {
			return err
		}
		c.tmp = view
	} else if err := c.dec.DecodeI420(&c.tmp, raw); err != nil {
		return err
	}
	c.jw, c.jh = c.tmp.Rect.Dx(), c.tmp.Rect.Dy()
	if c.jw < 2 || c.jh < 2 {
		return fmt.Errorf("device: %dx%d JPEG: too small", c.jw, c.jh)
	}
	toI420(dst, &c.tmp)
	return nil
}

// close frees the MJPEG decoder.
func (c *frameConverter) close() {
	if c.dec != nil {
		_ = c.dec.Close()
		c.dec = nil
	}
}

func short(raw []byte, want int) error {
	if len(raw) < want {
		return fmt.Errorf("device: %d bytes, want %d: %w", len(raw), want, errShortFrame)
	}
	return nil
}

// packed422 converts YUYV-like 4:2:2 (luma at every other byte from lo,
// Cb at u in each 4-byte group and Cr at u+2) to a w×h I420 dst, averaging
// the chroma of each pair of rows.
func packed422(dst *image.YCbCr, raw []byte, w, h, lo, u int) error {
	if err := short(raw, w*h*2); err != nil {
		return err
	}
	stride := 2 * w
	for y := range h {
		src := raw[y*stride+lo : y*stride+stride]
		row := dst.Y[y*dst.YStride : y*dst.YStride+w]
		_ = src[2*(w-1)]
		for x := range row {
			row[x] = src[2*x]
		}
	}
	for cy := range h / 2 {
		a := raw[2*cy*stride+u : 2*cy*stride+stride]
		b := raw[(2*cy+1)*stride+u : (2*cy+1)*stride+stride]
		cb := dst.Cb[cy*dst.CStride : cy*dst.CStride+w/2]
		cr := dst.Cr[cy*dst.CStride : cy*dst.CStride+w/2]
		_, _ = a[4*(w/2-1)+2], b[4*(w/2-1)+2]
		for cx := range cb {
			i := 4 * cx
			cb[cx] = byte((uint16(a[i]) + uint16(b[i]) + 1) >> 1)
			cr[cx] = byte((uint16(a[i+2]) + uint16(b[i+2]) + 1) >> 1)
		}
	}
	return nil
}

// semiPlanar converts NV12 (swap 0: Cb first) or NV21 (swap 1) to I420.
func semiPlanar(dst *image.YCbCr, raw []byte, w, h, swap int) error {
	if err := short(raw, w*h*3/2); err != nil {
		return err
	}
	copyPlane(dst.Y, dst.YStride, raw, w, w, h)
	uv := raw[w*h:]
	for cy := range h / 2 {
		src := uv[cy*w : cy*w+w]
		cb := dst.Cb[cy*dst.CStride : cy*dst.CStride+w/2]
		cr := dst.Cr[cy*dst.CStride : cy*dst.CStride+w/2]
		for cx := range cb {
			cb[cx], cr[cx] = src[2*cx+swap], src[2*cx+1-swap]
		}
	}
	return nil
}

// planar copies I420 bytes into dst.
func planar(dst *image.YCbCr, raw []byte, w, h int) error {
	cs := (w / 2) * (h / 2)
	if err := short(raw, w*h+2*cs); err != nil {
		return err
	}
	copyPlane(dst.Y, dst.YStride, raw, w, w, h)
	copyPlane(dst.Cb, dst.CStride, raw[w*h:], w/2, w/2, h/2)
	copyPlane(dst.Cr, dst.CStride, raw[w*h+cs:], w/2, w/2, h/2)
	return nil
}

// toI420 writes src, an I420 picture, into dst, an I420 picture of another
// (or the same) size, scaling to nearest neighbour: luma at each destination
// pixel, chroma at the top-left luma pixel of each 2×2 block. It does not
// allocate.
func toI420(dst, src *image.YCbCr) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	sb := src.Rect
	if sb.Dx() == w && sb.Dy() == h {
		copyPlane(dst.Y, dst.YStride, src.Y[src.YOffset(sb.Min.X, sb.Min.Y):], src.YStride, w, h)
		co := src.COffset(sb.Min.X, sb.Min.Y)
		copyPlane(dst.Cb, dst.CStride, src.Cb[co:], src.CStride, (w+1)/2, (h+1)/2)
		copyPlane(dst.Cr, dst.CStride, src.Cr[co:], src.CStride, (w+1)/2, (h+1)/2)
		return
	}
	sx := func(x int) int { return sb.Min.X + x*sb.Dx()/w }
	sy := func(y int) int { return sb.Min.Y + y*sb.Dy()/h }
	for y := range h {
		row := dst.Y[y*dst.YStride : y*dst.YStride+w]
		yy := sy(y)
		for x := range row {
			row[x] = src.Y[src.YOffset(sx(x), yy)]
		}
	}
	for y := range h / 2 {
		yy := sy(2 * y)
		cb := dst.Cb[y*dst.CStride : y*dst.CStride+w/2]
		cr := dst.Cr[y*dst.CStride : y*dst.CStride+w/2]
		for x := range cb {
			o := src.COffset(sx(2*x), yy)
			cb[x], cr[x] = src.Cb[o], src.Cr[o]
		}
	}
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride, w, h int) {
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}

// newI420 allocates a w×h I420 picture in one buffer (w and h even, so
// CStride is w/2).
func newI420(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}
