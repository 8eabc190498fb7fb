package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/test"
)

// shown returns what v's renderer draws, character by character, failing
// when a text object holds more than one character or they are not laid
// out left to right one cell apart.
func shown(t *testing.T, v *monoValue) string {
	t.Helper()
	var b strings.Builder
	var x, step float32 = -1, -1
	for i, o := range test.WidgetRenderer(v).Objects() {
		txt, ok := o.(*canvas.Text)
		if !ok {
			t.Fatalf("object %d is a %T", i, o)
		}
		if n := len([]rune(txt.Text)); n != 1 {
			t.Errorf("text object %d holds %q: %d characters", i, txt.Text, n)
		}
		if i == 1 {
			step = txt.Position().X - x
		} else if i > 1 && txt.Position().X-x != step {
			t.Errorf("character %d is %v after the one before, want %v", i, txt.Position().X-x, step)
		}
		x = txt.Position().X
		b.WriteString(txt.Text)
	}
	return b.String()
}

func TestMonoValueDrawsEachCharacterOnItsOwn(t *testing.T) {
	test.NewTempApp(t)
	b := binding.NewString()
	v := newMonoValue(b)
	w := test.NewTempWindow(t, v)
	w.Resize(fyne.NewSize(300, 60))

	var widths []float32
	for _, s := range []string{"0:00:01", "2512 kbps", "–", "", "12 of 2500 kbps", "+4987 ppm", "0:00:02"} {
		fyne.DoAndWait(func() { _ = b.Set(s) })
		if got := shown(t, v); got != s {
			t.Errorf("after Set(%q) it draws %q", s, got)
		}
		if v.Text() != s {
			t.Errorf("Text() = %q, want %q", v.Text(), s)
		}
		widths = append(widths, v.MinSize().Width)
	}
	// Width grows with the number of characters, by one cell each.
	cell := (widths[1] - widths[0]) / 2 // "2512 kbps" is two characters longer than "0:00:01"
	if cell <= 0 || widths[0] != widths[6] || widths[2]-widths[3] != cell {
		t.Errorf("minimum widths %v do not follow the number of characters", widths)
	}
}
