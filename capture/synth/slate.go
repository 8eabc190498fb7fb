package synth

import (
	"context"
	"fmt"
	"time"

	"studio/capture"
)

// Slate is a capture.VideoSource that shows a message over the moving test
// pattern: a black band across the middle of the picture with the message in
// big capitals (up to about 90% of the width, at most an eighth of the
// height) and, under it, the clock (mm:ss.mmm of the frame's PTS). The
// pattern's own counter and clock stay in the corner, and the pattern keeps
// moving, so a viewer can tell a live slate from a frozen picture.
//
// Timing, frame reuse and the Read/Close contract are the Pattern's: the
// timeline starts at the first Read, at the clock's time then, and frames are
// paced at props.FPS. Read does not allocate in steady state.
//
// Characters the font lacks are drawn as blanks; lower-case letters are drawn
// as capitals.
type Slate struct {
	pattern *Pattern
	message string

	bandY, bandH int    // luma rows [bandY, bandY+bandH) hold the band (even)
	band         []byte // the band's luma with the message drawn, w×bandH
	clockGlyphs  *glyphSet
	clockX       int // top-left of the clock line
	clockY       int
	text         [24]byte // scratch for the clock line; Read is not concurrent
	neutral      []byte   // one chroma row of 128
}

// NewSlate returns a slate of props.Width × props.Height at props.FPS showing
// message; the limits on props are NewPattern's. The message must fit on one
// line: at least one font pixel per glyph pixel, so at most
// Width/6 characters.
func NewSlate(clock *capture.Clock, props capture.VideoProps, message string, opts ...Option) (*Slate, error) {
	p, err := NewPattern(clock, props, opts...)
	if err != nil {
		return nil, fmt.Errorf("synth: slate: %w", err)
	}
	w, h := props.Width, props.Height
	msg := []byte(message)
	for i, c := range msg {
		if 'a' <= c && c <= 'z' {
			msg[i] = c - 'a' + 'A'
		}
	}
	n := max(1, len(msg))
	scale := min(w*9/10/(n*cellW), h/8/glyphH)
	if scale < 1 {
		return nil, fmt.Errorf("synth: slate: message %q does not fit in %d pixels", message, w)
	}
	clockScale := max(1, scale/2)
	pad := max(2, even(scale*2))
	bandH := even(pad + glyphH*scale + pad + glyphH*clockScale + pad)
	s := &Slate{
		pattern:     p,
		message:     message,
		bandH:       bandH,
		bandY:       even((h - bandH) / 2),
		band:        fill(w*bandH, 16),
		clockGlyphs: newGlyphSet(clockScale, 235, 16),
		neutral:     fill(w/2, 128),
	}
	g := newGlyphSet(scale, 235, 16)
	x0 := (w - len(msg)*g.w + scale) / 2 // the last cell's spacing column does not count
	for i, c := range msg {
		g.draw(s.band, w, bandH, x0+i*g.w, pad, c)
	}
	const clockChars = 9 // "mm:ss.mmm"
	s.clockX = (w - clockChars*s.clockGlyphs.w + clockScale) / 2
	s.clockY = s.bandY + pad + glyphH*scale + pad
	return s, nil
}

// Message returns the message the slate shows.
func (s *Slate) Message() string { return s.message }

// Props returns the properties the slate was created with.
func (s *Slate) Props() capture.VideoProps { return s.pattern.Props() }

// Close makes pending and future Reads return capture.ErrClosed; see
// Pattern.Close.
func (s *Slate) Close() error { return s.pattern.Close() }

// Read returns the next frame (see Pattern.Read) with the band drawn over it.
func (s *Slate) Read(ctx context.Context) (*capture.VideoFrame, error) {
	f, err := s.pattern.Read(ctx)
	if err != nil {
		return nil, err
	}
	img := f.Image
	w := img.Rect.Dx()
	copy(img.Y[s.bandY*img.YStride:], s.band) // YStride == w: one copy
	for y := s.bandY / 2; y < (s.bandY+s.bandH)/2; y++ {
		copy(img.Cb[y*img.CStride:y*img.CStride+w/2], s.neutral)
		copy(img.Cr[y*img.CStride:y*img.CStride+w/2], s.neutral)
	}
	line := s.formatClock(f.PTS)
	g := s.clockGlyphs
	for i, c := range line {
		g.draw(img.Y, w, img.Rect.Dy(), s.clockX+i*g.w, s.clockY, c)
	}
	return f, nil
}

// formatClock writes "mm:ss.mmm" of d into s.text (minutes modulo 100).
func (s *Slate) formatClock(d time.Duration) []byte {
	ms := max(0, d.Milliseconds())
	mins, sec, milli := ms/60000%100, ms/1000%60, ms%1000
	return append(s.text[:0], byte('0'+mins/10), byte('0'+mins%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10))
}
