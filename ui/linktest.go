package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studio/app"
)

// linkTest is the Test link button, its result and the offer to apply
// the suggestion. UI goroutine only.
type linkTest struct {
	button  *widget.Button
	result  *widget.Label
	apply   *widget.Button
	running bool
	last    LinkReport
}

func (s *Studio) buildLinkTest() fyne.CanvasObject {
	l := &s.link
	l.button = widget.NewButtonWithIcon("Test link", theme.SearchIcon(), s.tapTestLink)
	l.result = widget.NewLabel("")
	l.result.Wrapping = fyne.TextWrapWord
	l.result.Hide()
	l.apply = widget.NewButton("Use these settings", s.applyLink)
	l.apply.Hide()
	return container.NewVBox(l.result, container.NewHBox(l.apply))
}

// tapTestLink tests the link to the first enabled destination: studio
// publishes test data there for 10 s (to Twitch with bandwidthtest, so
// that viewers see nothing) and measures what the link delivers.
func (s *Studio) tapTestLink() {
	if s.link.running || s.live != nil || s.starting {
		return
	}
	if p := s.destinationProblem(); p != "" {
		s.setStatus("Cannot test the link: " + p)
		return
	}
	row := s.enabledRows()[0]
	url := row.url()
	s.saveKey()
	s.link.running = true
	s.link.apply.Hide()
	s.link.result.Importance = widget.MediumImportance
	s.link.result.SetText(fmt.Sprintf("Testing the link to %s for %d s…", s.rowLabel(row), int(app.DefaultLinkTest.Seconds())))
	s.link.result.Show()
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithCancel(context.Background())
		// Closing the window ends the test.
		go func() {
			select {
			case <-s.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		rep, err := s.be.TestLink(ctx, url)
		cancel()
		s.do(func() { s.showLinkResult(rep, err) })
	}()
}

func (s *Studio) showLinkResult(rep LinkReport, err error) {
	l := &s.link
	l.running = false
	defer func() {
		s.refreshControls()
		if s.afterLinkTest != nil {
			s.afterLinkTest()
		}
	}()
	if err != nil {
		text := "Link test failed: " + s.scrub(err.Error())
		if h := app.Hint(err); h != "" {
			text += "\nWhat to do: " + h
		}
		l.result.Importance = widget.DangerImportance
		l.result.SetText(text)
		s.logf("link test failed: %v", err)
		return
	}
	l.last = rep
	more := ""
	if rep.AtCeiling {
		more = " (or more)"
	}
	text := fmt.Sprintf("The link delivered ~%d kbps%s, round trip %.0f ms. Suggested: %d kbps at %s, %d fps.",
		rep.UploadKbps, more, rep.RTTms, rep.SuggestedKbps, rep.SuggestedSize, rep.SuggestedFPS)
	l.result.Importance = widget.SuccessImportance
	l.result.SetText(text)
	l.apply.Show()
	s.logf("link test: %s", text)
}

// applyLink sets the bitrate, size and frame rate the link test
// suggested.
func (s *Studio) applyLink() {
	rep := s.link.last
	if rep.SuggestedKbps <= 0 || s.live != nil {
		return
	}
	s.c.VideoKbps.SetText(strconv.Itoa(rep.SuggestedKbps))
	if slices.Contains(s.c.Size.Options, rep.SuggestedSize) {
		s.c.Size.SetSelected(rep.SuggestedSize)
	}
	if fps := strconv.Itoa(rep.SuggestedFPS); slices.Contains(s.c.FPS.Options, fps) {
		s.c.FPS.SetSelected(fps)
	}
	s.link.apply.Hide()
	s.setStatus(fmt.Sprintf("Using %d kbps at %s, %d fps, as the link test suggested", rep.SuggestedKbps, rep.SuggestedSize, rep.SuggestedFPS))
}

// refreshLinkTest enables Test link when nothing streams.
func (s *Studio) refreshLinkTest(busy bool) {
	if s.link.button == nil {
		return
	}
	if busy || s.link.running || s.destinationProblem() != "" {
		s.link.button.Disable()
	} else {
		s.link.button.Enable()
	}
	if busy {
		s.link.apply.Hide()
	}
}
