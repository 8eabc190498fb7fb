package ui

import (
	"fmt"
	"strings"
)

// deviceLost says that a camera or microphone is gone and what stands in.
func (s *Studio) deviceLost(d DeviceLost) {
	switch {
	case d.Camera && d.Back:
		s.logf("camera %s is back", nameOf(s.be.Cameras(), d.ID))
		s.lost.camera = ""
	case d.Back:
		s.logf("microphone %s is back", nameOf(s.be.Microphones(), d.ID))
		s.lost.microphone = ""
	case d.Camera:
		s.lost.camera = nameOf(s.be.Cameras(), d.ID)
		s.logf("camera lost (%v): sending a slate", d.Err)
	default:
		s.lost.microphone = nameOf(s.be.Microphones(), d.ID)
		s.logf("microphone lost (%v): sending silence", d.Err)
	}
	s.showLost()
}

// showLost shows the lost devices, if any.
func (s *Studio) showLost() {
	stays := "the stream stays up."
	if s.live == nil && !s.starting {
		stays = "you can also pick another source."
	}
	var lines []string
	if s.lost.camera != "" {
		lines = append(lines, fmt.Sprintf("Camera lost (%s): sending a 'camera lost' slate; %s Check that it is plugged in; studio picks it up again by itself.", s.lost.camera, stays))
	}
	if s.lost.microphone != "" {
		lines = append(lines, fmt.Sprintf("Microphone lost (%s): sending silence; %s Check that it is plugged in and not muted, and that the sound server runs; studio picks it up again by itself.", s.lost.microphone, stays))
	}
	text := strings.Join(lines, "\n")
	if text == s.c.DeviceLost.Text {
		return
	}
	setWarning(s.c.DeviceLost, text)
}
