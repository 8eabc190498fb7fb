package synth

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"sync"
	"time"

	"studio/capture"
	"studio/internal/freelist"
)

// Pattern is a capture.VideoSource that draws a moving test pattern over a
// still background: colour bars in the top half, a luma ramp below them and
// a band of luma noise in the bottom quarter. On top of that, one stripe of
// the noise band (a sixteenth of it) is new every frame, the stripe moving
// down the band; an orange box bounces around the picture; and, in the
// top-left corner, the frame counter (Seq) and the clock (mm:ss.mmm of the
// frame's PTS) are drawn in a bitmap font about 5% of the picture height,
// so a viewer can see stalls and dropped frames.
//
// The noise band is there so that an encoder has real work to do: without
// it the picture compresses to a few kbit/s at any quality, and a rate
// controller cannot reach a streaming bitrate. The rest of the picture stays
// still, as a camera's mostly does, so an encoder spends its effort on the
// parts that change, and no frame looks like a scene cut (which would make
// it insert keyframes). The content of each slot is deterministic.
//
// Frame n of the timeline is due at start + n/FPS, where start is the clock
// time of the first Read, and carries that time as its PTS. A reader that
// is late by fewer than catchUpSlots frames (an encoder's slow first frames,
// a short stall) gets the next slot at once, so it catches up without
// losing a frame, as from a camera's few buffers. One that falls further
// behind does not get a burst of stale frames: Read skips to the latest
// slot that is due, so PTS jumps while Seq keeps counting the frames
// actually produced. Motion follows the slot, not Seq.
//
// Frames are I420 with YStride = Width and CStride = Width/2, the three
// planes in one contiguous buffer. They are reused after Release, and Read
// does not allocate once enough frames are in circulation. A reused buffer
// is brought up to date by redrawing only what moved.
//
// Read must not be called concurrently with itself; Close may be called from
// any goroutine, any number of times.
type Pattern struct {
	clock   *capture.Clock
	props   capture.VideoProps
	unpaced bool
	pace    *capture.Pacer

	// Fixed at construction.
	bg           []byte // the still background, I420 in one buffer like a frame
	noiseTop     int    // first luma row of the noise band
	noiseRows    int    // height of the noise band (even)
	stripeRows   int    // height of the new stripe (even)
	noise        []byte // noise luma; a new stripe comes from a pseudo-random row of it
	boxSize      int    // side of the moving box (even)
	boxVX, boxVY int    // box speed, pixels per slot (even)
	boxY         []byte // one luma row of the box colour
	boxCb, boxCr []byte // one chroma row of the box colour
	glyphs       *glyphSet
	textX, textY int // top-left of the first text line
	panelX       int // top-left of the text panel (even)
	panelY       int // top-left of the text panel (even)
	panelW       int // text panel size, even, inside the picture
	panelH       int // text panel size, even, inside the picture

	mu      sync.Mutex // serialises Read; guards the fields below
	started bool
	start   time.Duration // clock time of slot 0
	slot    int64         // slot of the last frame returned
	seq     uint64        // Seq of the next frame
	text    [24]byte      // scratch for the burned-in text

	free freelist.List[patternBuf]
}

type patternBuf struct {
	img   image.YCbCr
	frame capture.VideoFrame
	rel   func()

	// What the last render drew over the background; drawn is false until
	// the first render.
	drawn        bool
	boxX, boxYPx int // top-left of the box
	stripeY      int // first luma row of the new stripe, -1 if none
}

// NewPattern returns a test pattern source of props.Width × props.Height at
// props.FPS frames per second. Width and Height must be even and at least 16;
// FPS must be between 1 and 1000.
func NewPattern(clock *capture.Clock, props capture.VideoProps, opts ...Option) (*Pattern, error) {
	if clock == nil {
		return nil, fmt.Errorf("synth: pattern: nil clock")
	}
	w, h := props.Width, props.Height
	if w < 16 || h < 16 || w%2 != 0 || h%2 != 0 {
		return nil, fmt.Errorf("synth: pattern: size %dx%d: width and height must be even and at least 16", w, h)
	}
	if w > 16384 || h > 16384 {
		return nil, fmt.Errorf("synth: pattern: size %dx%d is too large", w, h)
	}
	if props.FPS < 1 || props.FPS > 1000 {
		return nil, fmt.Errorf("synth: pattern: frame rate %d: must be between 1 and 1000", props.FPS)
	}
	o := applyOptions(opts)
	p := &Pattern{
		clock:   clock,
		props:   props,
		unpaced: o.unpaced,
		pace:    capture.NewPacer(clock),
	}
	p.precompute()
	return p, nil
}

func even(v int) int { return v &^ 1 }

func ycc(r, g, b uint8) [3]byte {
	y, cb, cr := color.RGBToYCbCr(r, g, b)
	return [3]byte{y, cb, cr}
}

func fill(n int, v byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}

// precompute builds everything that does not change from frame to frame.
func (p *Pattern) precompute() {
	w, h, fps := p.props.Width, p.props.Height, p.props.FPS
	cw, ch := w/2, h/2
	ySize, cSize := w*h, cw*ch
	p.bg = make([]byte, ySize+2*cSize)
	bgY, bgCb, bgCr := p.bg[:ySize], p.bg[ySize:ySize+cSize], p.bg[ySize+cSize:]

	// Bars over a ramp over noise.
	bars := [8][3]byte{
		ycc(191, 191, 191), ycc(191, 191, 0), ycc(0, 191, 191), ycc(0, 191, 0),
		ycc(191, 0, 191), ycc(191, 0, 0), ycc(0, 0, 191), ycc(16, 16, 16),
	}
	barsRows := even(h / 2)
	p.noiseRows = even(h / 4)
	p.noiseTop = h - p.noiseRows
	p.stripeRows = max(2, even(p.noiseRows/16))
	for x := range w {
		bgY[x] = bars[x*8/w][0]
		bgY[barsRows*w+x] = byte(16 + x*219/(w-1))
	}
	for y := 1; y < p.noiseTop; y++ {
		src := 0
		if y >= barsRows {
			src = barsRows
		}
		if y != src {
			copy(bgY[y*w:(y+1)*w], bgY[src*w:(src+1)*w])
		}
	}
	for cx := range cw {
		c := bars[2*cx*8/w]
		bgCb[cx], bgCr[cx] = c[1], c[2]
	}
	for y := range ch {
		if 2*y < barsRows {
			copy(bgCb[y*cw:(y+1)*cw], bgCb[:cw])
			copy(bgCr[y*cw:(y+1)*cw], bgCr[:cw])
		} else {
			clear128(bgCb[y*cw : (y+1)*cw])
			clear128(bgCr[y*cw : (y+1)*cw])
		}
	}
	// New stripes come from anywhere in noiseSlack rows past the band's own.
	const noiseSlack = 256
	p.noise = make([]byte, w*(p.noiseRows+noiseSlack))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range p.noise {
		p.noise[i] = byte(16 + rng.IntN(220))
	}
	copy(bgY[p.noiseTop*w:], p.noise[:p.noiseRows*w])

	// The moving box.
	p.boxSize = max(2, even(min(w, h)/6))
	p.boxVX = max(2, even(w/(2*fps)))
	p.boxVY = max(2, even(h/(2*fps)))
	orange := ycc(255, 140, 0)
	p.boxY = fill(p.boxSize, orange[0])
	p.boxCb = fill(p.boxSize/2, orange[1])
	p.boxCr = fill(p.boxSize/2, orange[2])

	// The text panel, black in the background: two lines, room for 10
	// characters ("mmm:ss.mmm").
	scale := max(1, (h*5/100+glyphH/2)/glyphH)
	p.glyphs = newGlyphSet(scale, 235, 16)
	margin := max(2, even(2*scale))
	pad := max(2, even(scale))
	p.panelX, p.panelY = margin, margin
	p.textX, p.textY = margin+pad, margin+pad
	p.panelW = min(w-margin, even(10*cellW*scale+2*pad))
	p.panelH = min(h-margin, even(2*lineH*scale+pad))
	for y := p.panelY; y < p.panelY+p.panelH; y++ {
		copy(bgY[y*w+p.panelX:y*w+p.panelX+p.panelW], fill(p.panelW, 16))
	}
	for y := p.panelY / 2; y < (p.panelY+p.panelH)/2; y++ {
		clear128(bgCb[y*cw+p.panelX/2 : y*cw+(p.panelX+p.panelW)/2])
		clear128(bgCr[y*cw+p.panelX/2 : y*cw+(p.panelX+p.panelW)/2])
	}
}

func clear128(b []byte) {
	for i := range b {
		b[i] = 128
	}
}

// Props returns the properties the pattern was created with.
func (p *Pattern) Props() capture.VideoProps { return p.props }

// Close makes pending and future Reads return capture.ErrClosed. Frames
// already returned stay valid until released. It always returns nil.
func (p *Pattern) Close() error {
	p.pace.Close()
	return nil
}

// Read waits until the next frame is due and returns it (see Pattern for the
// timing rules). It returns ctx.Err() if ctx ends first and capture.ErrClosed
// after Close. The caller must Release the frame.
func (p *Pattern) Read(ctx context.Context) (*capture.VideoFrame, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.pace.Gate(ctx); err != nil {
		return nil, err
	}
	slot, err := p.nextSlot(ctx)
	if err != nil {
		return nil, err
	}
	pts := p.start + p.slotTime(slot)
	b := p.get()
	p.render(b, slot, p.seq, pts)
	b.frame = *capture.NewVideoFrame(&b.img, pts, p.seq, b.rel)
	p.slot = slot
	p.seq++
	return &b.frame, nil
}

// slotTime is the offset of slot n from the start of the timeline.
func (p *Pattern) slotTime(n int64) time.Duration {
	return time.Duration(capture.ScaleDiv(n, int64(time.Second), int64(p.props.FPS)))
}

// nextSlot picks the slot of the next frame, waiting for it when paced.
// The caller holds p.mu.
func (p *Pattern) nextSlot(ctx context.Context) (int64, error) {
	if !p.started {
		p.started = true
		p.start = p.clock.Now()
		return 0, nil
	}
	slot := p.slot + 1
	if p.unpaced {
		return slot, nil
	}
	elapsed := p.clock.Now() - p.start
	if due := p.slotTime(slot); elapsed < due {
		if err := p.pace.WaitUntil(ctx, p.start+due); err != nil {
			return 0, err
		}
		return slot, nil
	}
	// Late: catch up on a few slots, skip past more.
	latest := capture.ScaleDiv(int64(elapsed), int64(p.props.FPS), int64(time.Second))
	if latest-slot < catchUpSlots {
		return slot, nil
	}
	return latest, nil
}

// catchUpSlots is how many frames late a reader may be and still get every
// frame.
const catchUpSlots = 3

// get takes a frame buffer from the free list or makes a new one.
func (p *Pattern) get() *patternBuf {
	if b := p.free.Get(); b != nil {
		return b
	}

	// With even sizes, the standard layout is the one Pattern promises.
	img := image.NewYCbCr(image.Rect(0, 0, p.props.Width, p.props.Height), image.YCbCrSubsampleRatio420)
	b := &patternBuf{img: *img}
	b.rel = func() { p.put(b) }
	return b
}

func (p *Pattern) put(b *patternBuf) {
	p.free.Put(b)
}

// mix is the SplitMix64 finaliser: a cheap, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// bounce maps a distance travelled to a position in [0, span] that goes back
// and forth, rounded down to even.
func bounce(t int64, span int) int {
	if span <= 0 {
		return 0
	}
	m := int(t % int64(2*span))
	if m > span {
		m = 2*span - m
	}
	return even(m)
}

// render draws the frame for slot into b: the background where b differs
// from it, then the new stripe, the box and the text.
func (p *Pattern) render(b *patternBuf, slot int64, seq uint64, pts time.Duration) {
	w, h := p.props.Width, p.props.Height
	cw := w / 2
	img := &b.img
	bgY, bgCb, bgCr := p.bg[:len(img.Y)], p.bg[len(img.Y):len(img.Y)+len(img.Cb)], p.bg[len(img.Y)+len(img.Cb):]
	bs := p.boxSize

	// Back to the background.
	if !b.drawn {
		copy(img.Y, bgY)
		copy(img.Cb, bgCb)
		copy(img.Cr, bgCr)
		b.drawn = true
	} else {
		if sy := b.stripeY; sy >= 0 {
			copy(img.Y[sy*w:(sy+p.stripeRows)*w], bgY[sy*w:])
		}
		bx, by := b.boxX, b.boxYPx
		for y := by; y < by+bs; y++ {
			copy(img.Y[y*w+bx:y*w+bx+bs], bgY[y*w+bx:])
		}
		for y := by / 2; y < (by+bs)/2; y++ {
			copy(img.Cb[y*cw+bx/2:y*cw+(bx+bs)/2], bgCb[y*cw+bx/2:])
			copy(img.Cr[y*cw+bx/2:y*cw+(bx+bs)/2], bgCr[y*cw+bx/2:])
		}
		for y := p.panelY; y < p.panelY+p.panelH; y++ {
			copy(img.Y[y*w+p.panelX:y*w+p.panelX+p.panelW], bgY[y*w+p.panelX:])
		}
	}

	// The new stripe of noise, from a jumping offset; the stripes take
	// turns from the top of the band down.
	b.stripeY = -1
	slack := len(p.noise)/w - p.noiseRows
	if n := p.noiseRows / p.stripeRows; n > 0 {
		sy := p.noiseTop + int(slot%int64(n))*p.stripeRows
		soff := int(mix(uint64(slot))%uint64(slack)) * w
		copy(img.Y[sy*w:(sy+p.stripeRows)*w], p.noise[soff:])
		b.stripeY = sy
	}

	// The bouncing box.
	bx := bounce(slot*int64(p.boxVX), w-bs)
	by := bounce(slot*int64(p.boxVY), h-bs)
	for y := by; y < by+bs; y++ {
		copy(img.Y[y*w+bx:], p.boxY)
	}
	for y := by / 2; y < (by+bs)/2; y++ {
		copy(img.Cb[y*cw+bx/2:], p.boxCb)
		copy(img.Cr[y*cw+bx/2:], p.boxCr)
	}
	b.boxX, b.boxYPx = bx, by

	// The text panel (its background is the still one) and its two lines.
	// The box may have covered part of the panel.
	if p.overlapsPanel(bx, by) {
		for y := p.panelY; y < p.panelY+p.panelH; y++ {
			copy(img.Y[y*w+p.panelX:y*w+p.panelX+p.panelW], bgY[y*w+p.panelX:])
		}
		for y := p.panelY / 2; y < (p.panelY+p.panelH)/2; y++ {
			copy(img.Cb[y*cw+p.panelX/2:y*cw+(p.panelX+p.panelW)/2], bgCb[y*cw+p.panelX/2:])
			copy(img.Cr[y*cw+p.panelX/2:y*cw+(p.panelX+p.panelW)/2], bgCr[y*cw+p.panelX/2:])
		}
	}
	g := p.glyphs
	line := p.formatCounter(seq)
	for i, c := range line {
		g.draw(img.Y, w, h, p.textX+i*g.w, p.textY, c)
	}
	line = p.formatClock(pts)
	for i, c := range line {
		g.draw(img.Y, w, h, p.textX+i*g.w, p.textY+lineH*g.scale, c)
	}
}

// overlapsPanel reports whether the box at (bx, by) covers part of the text
// panel.
func (p *Pattern) overlapsPanel(bx, by int) bool {
	bs := p.boxSize
	return bx < p.panelX+p.panelW && p.panelX < bx+bs && by < p.panelY+p.panelH && p.panelY < by+bs
}

// formatCounter writes "#nnnnnnn" (seq modulo 10^7) into p.text.
func (p *Pattern) formatCounter(seq uint64) []byte {
	b := p.text[:8]
	b[0] = '#'
	v := seq % 10_000_000
	for i := 7; i >= 1; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// formatClock writes "mm:ss.mmm" of d into p.text; minutes grow past two
// digits after 100 minutes.
func (p *Pattern) formatClock(d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	ms := uint64(d / time.Millisecond)
	mins, sec, milli := ms/60000, ms/1000%60, ms%1000
	b := p.text[:0]
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + mins%10)
		mins /= 10
		if mins == 0 && len(tmp)-i >= 2 {
			break
		}
	}
	b = append(b, tmp[i:]...)
	b = append(b, ':', byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10))
	return b
}
