package synth

import (
	"context"
	"strings"
	"testing"

	"studio/capture"
)

func TestNewSlateValidates(t *testing.T) {
	clock := capture.NewClock()
	if _, err := NewSlate(clock, capture.VideoProps{Width: 15, Height: 16, FPS: 30}, "X"); err == nil {
		t.Error("accepted an odd width")
	}
	if _, err := NewSlate(clock, capture.VideoProps{Width: 32, Height: 32, FPS: 30}, strings.Repeat("X", 40)); err == nil {
		t.Error("accepted a message wider than the picture")
	}
}

// TestSlateShowsMessage compares a slate frame with the pattern frame of the
// same slot: the band must differ, carry bright text pixels on black, and
// every letter cell of the message must have ink; outside the band the
// picture is the pattern's.
func TestSlateShowsMessage(t *testing.T) {
	props := capture.VideoProps{Width: 640, Height: 360, FPS: 30}
	clock := capture.NewClock()
	s, err := NewSlate(clock, props, "Camera lost", Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := NewPattern(clock, props, Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	sf, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Release()
	pf, err := p.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Release()
	w := props.Width
	if sf.Image.Rect != pf.Image.Rect || sf.Seq != 0 {
		t.Fatalf("slate frame %v seq %d", sf.Image.Rect, sf.Seq)
	}
	var bright, differ int
	for y := s.bandY; y < s.bandY+s.bandH; y++ {
		for x := range w {
			v := sf.Image.Y[y*w+x]
			if v == 235 {
				bright++
			} else if v != 16 {
				t.Fatalf("band pixel (%d,%d) = %d, want text (235) or black (16)", x, y, v)
			}
			if v != pf.Image.Y[y*w+x] {
				differ++
			}
		}
	}
	if bright < 500 || differ < w*s.bandH/4 {
		t.Errorf("band: %d text pixels, %d differ from the pattern", bright, differ)
	}
	// Each letter of "CAMERA LOST" has ink in its cell on the message line.
	msg := "CAMERA LOST"
	scale := min(w*9/10/(len(msg)*cellW), props.Height/8/glyphH)
	pad := max(2, even(scale*2))
	x0 := (w - len(msg)*cellW*scale + scale) / 2
	for i, c := range msg {
		ink := 0
		for y := s.bandY + pad; y < s.bandY+pad+glyphH*scale; y++ {
			for x := x0 + i*cellW*scale; x < x0+(i*cellW+glyphW)*scale; x++ {
				if sf.Image.Y[y*w+x] == 235 {
					ink++
				}
			}
		}
		if (c == ' ') != (ink == 0) {
			t.Errorf("letter %d %q: %d ink pixels", i, c, ink)
		}
	}
	// Above the band (below the corner panel) the pattern is untouched.
	for y := s.bandY - 8; y < s.bandY; y++ {
		for x := range w {
			if sf.Image.Y[y*w+x] != pf.Image.Y[y*w+x] {
				t.Fatalf("pixel (%d,%d) above the band differs from the pattern", x, y)
			}
		}
	}
}

func TestSlateTimingIsPatterns(t *testing.T) {
	props := capture.VideoProps{Width: 320, Height: 180, FPS: 25}
	s, err := NewSlate(capture.NewClock(), props, "NO SIGNAL", Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := first.PTS
	first.Release()
	for i := 1; i < 10; i++ {
		f, err := s.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := start + s.pattern.slotTime(int64(i)); f.PTS != want || f.Seq != uint64(i) {
			t.Fatalf("frame %d: PTS %v seq %d, want %v", i, f.PTS, f.Seq, want)
		}
		f.Release()
	}
	_ = s.Close()
	if _, err := s.Read(ctx); err != capture.ErrClosed {
		t.Errorf("read after close: %v", err)
	}
	if s.Props() != props || s.Message() != "NO SIGNAL" {
		t.Errorf("props %v message %q", s.Props(), s.Message())
	}
}

func TestSlateZeroAllocs(t *testing.T) {
	s, err := NewSlate(capture.NewClock(), capture.VideoProps{Width: 320, Height: 180, FPS: 30}, "CAMERA LOST", Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for range 3 {
		f, _ := s.Read(ctx)
		f.Release()
	}
	if n := testing.AllocsPerRun(50, func() {
		f, _ := s.Read(ctx)
		f.Release()
	}); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}
