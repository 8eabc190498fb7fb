package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studio/publish"
)

// Test link tests the first enabled destination, shows what the link
// delivered, and applies the suggestion when asked.
func TestLinkTestAndApply(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	shown := make(chan struct{}, 2)
	h.do(func(Controls) { h.s.afterLinkTest = func() { shown <- struct{}{} } })
	h.completeDestination()
	h.do(func(c Controls) {
		c.Size.SetSelected("1920x1080")
		c.FPS.SetSelected("60")
		c.VideoKbps.SetText("6000")
		if c.TestLink.Disabled() {
			t.Fatal("Test link is disabled with a complete destination")
		}
		test.Tap(c.TestLink)
		if !c.TestLink.Disabled() || !c.GoLive.Disabled() || !strings.HasPrefix(c.LinkResult.Text, "Testing the link to Custom") {
			t.Errorf("while testing: Test link disabled=%v, Go Live disabled=%v, result %q", c.TestLink.Disabled(), c.GoLive.Disabled(), c.LinkResult.Text)
		}
	})
	h.be.linkResult <- linkAnswer{rep: LinkReport{UploadKbps: 2900, RTTms: 12, SuggestedKbps: 2000, SuggestedSize: "960x540", SuggestedFPS: 30}}
	wait(t, shown, "the link test's result")
	h.be.mu.Lock()
	url := h.be.linkURL
	h.be.mu.Unlock()
	if url != "rtmp://127.0.0.1/live/abc-123" {
		t.Errorf("tested %q", url)
	}
	h.do(func(c Controls) {
		want := "The link delivered ~2900 kbps, round trip 12 ms. Suggested: 2000 kbps at 960x540, 30 fps."
		if c.LinkResult.Text != want || c.ApplyLink.Hidden || c.TestLink.Disabled() || c.GoLive.Disabled() {
			t.Errorf("result %q (want %q), apply hidden=%v, Test link disabled=%v", c.LinkResult.Text, want, c.ApplyLink.Hidden, c.TestLink.Disabled())
		}
		test.Tap(c.ApplyLink)
		if c.VideoKbps.Text != "2000" || c.Size.Selected != "960x540" || c.FPS.Selected != "30" {
			t.Errorf("applied: %s kbps, %s, %s fps", c.VideoKbps.Text, c.Size.Selected, c.FPS.Selected)
		}
		if !c.ApplyLink.Hidden {
			t.Error("the offer stays after it was taken")
		}
	})

	// A refused key: the error says so, without the key.
	h.do(func(c Controls) { test.Tap(c.TestLink) })
	h.be.linkResult <- linkAnswer{err: fmt.Errorf("publish abc-123: %w", publish.ErrRejected)}
	wait(t, shown, "the link test's error")
	h.do(func(c Controls) {
		if !strings.HasPrefix(c.LinkResult.Text, "Link test failed") || c.LinkResult.Importance != widget.DangerImportance ||
			strings.Contains(c.LinkResult.Text, "abc-123") || !c.ApplyLink.Hidden {
			t.Errorf("after a refusal: %q (importance %v), apply hidden=%v", c.LinkResult.Text, c.LinkResult.Importance, c.ApplyLink.Hidden)
		}
	})
}
