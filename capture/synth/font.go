package synth

// A 5×7 bitmap font for the characters the pattern burns in. Each glyph is
// seven rows of five bits, the most significant of the five on the left.
const (
	glyphW = 5
	glyphH = 7
	// cellW and lineH add one column and two rows of spacing.
	cellW = glyphW + 1
	lineH = glyphH + 2
)

var font = map[byte][glyphH]uint8{
	'0': {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110},
	'1': {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},
	'2': {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111},
	'3': {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110},
	'4': {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010},
	'5': {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110},
	'6': {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},
	'7': {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000},
	'8': {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110},
	'9': {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100},
	':': {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000},
	'.': {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100},
	'#': {0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010},
	' ': {},
}

// allGlyphs returns the digits and punctuation of font and the capitals of
// letters in one map.
func allGlyphs() map[byte][glyphH]uint8 {
	all := make(map[byte][glyphH]uint8, len(font)+len(letters))
	for c, bits := range font {
		all[c] = bits
	}
	for c, bits := range letters {
		all[c] = bits
	}
	return all
}

// glyphSet holds every glyph of font and letters pre-rendered at one scale as luma rows
// (cellW×scale bytes wide, glyphH×scale rows), so drawing a character is a
// handful of row copies.
type glyphSet struct {
	scale int
	w, h  int
	// rows[c] is glyph c's pixels, h rows of w bytes, row-major.
	rows [256][]byte
}

func newGlyphSet(scale int, on, off byte) *glyphSet {
	g := &glyphSet{scale: scale, w: cellW * scale, h: glyphH * scale}
	for c, bits := range allGlyphs() {
		px := make([]byte, g.w*g.h)
		for y := 0; y < g.h; y++ {
			row := bits[y/scale]
			for x := 0; x < g.w; x++ {
				v := off
				if gx := x / scale; gx < glyphW && row&(1<<(glyphW-1-gx)) != 0 {
					v = on
				}
				px[y*g.w+x] = v
			}
		}
		g.rows[c] = px
	}
	return g
}

// draw copies the glyph for c into the luma plane y (stride w, h rows) with
// its top-left corner at (x0, y0), clipped to the plane. Characters missing
// from the font are skipped.
func (g *glyphSet) draw(plane []byte, w, h, x0, y0 int, c byte) {
	px := g.rows[c]
	if px == nil || x0 >= w || y0 >= h || x0 < 0 || y0 < 0 {
		return
	}
	n := min(g.w, w-x0)
	for y := 0; y < g.h && y0+y < h; y++ {
		copy(plane[(y0+y)*w+x0:(y0+y)*w+x0+n], px[y*g.w:y*g.w+n])
	}
}
