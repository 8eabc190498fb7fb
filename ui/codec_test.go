package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"studio/encode"
	"studio/publish"
)

func TestCodecChoiceSentSavedAndLockedWhileLive(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	h := newHarness(t, prefs, &memKeys{})
	h.do(func(c Controls) {
		if c.Codec.Selected != "H.264" || fmt.Sprint(c.Codec.Options) != "[H.264 HEVC AV1]" {
			t.Errorf("codec picker: %q of %q, want H.264 of [H.264 HEVC AV1]", c.Codec.Selected, c.Codec.Options)
		}
		if c.Preset.Disabled() {
			t.Error("the x264 preset is disabled with H.264")
		}
		c.Codec.SetSelected("HEVC")
		if !c.Preset.Disabled() {
			t.Error("the x264 preset can be changed with HEVC")
		}
	})
	if got := prefs.String(prefPrefix + "codec"); got != "hevc" {
		t.Errorf("saved codec %q, want hevc", got)
	}
	h.completeDestination()
	_, live := h.goLive()
	if set, _, _ := h.be.session(); set.Codec != encode.HEVC {
		t.Errorf("GoLive got codec %v, want hevc", set.Codec)
	}
	h.do(func(c Controls) {
		if !c.Codec.Disabled() {
			t.Error("the codec can be changed while live")
		}
	})
	live.end(nil)
	wait(t, h.ended, "the session's end")
	h.do(func(c Controls) {
		if c.Codec.Disabled() {
			t.Error("the codec stays disabled after the session")
		}
		c.Codec.SetSelected("AV1")
	})
	h.s.Shutdown(nil, time.Second)

	h2 := newHarness(t, prefs, &memKeys{})
	h2.do(func(c Controls) {
		if c.Codec.Selected != "AV1" {
			t.Errorf("after a restart the codec is %q, want AV1", c.Codec.Selected)
		}
	})
}

func TestCodecRefusedOffersH264(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	h := newHarness(t, prefs, &memKeys{})
	h.do(func(c Controls) {
		c.Codec.SetSelected("AV1")
		if c.UseH264.Visible() || c.CodecNotice.Visible() {
			t.Error("the refusal notice shows before any refusal")
		}
	})
	h.completeDestination()
	_, live := h.goLive()
	err := fmt.Errorf("publish: server takes [avc1]: %w", publish.ErrCodecRefused)
	live.end(err)
	wait(t, h.ended, "the session's end")
	h.do(func(c Controls) {
		if c.Codec.Selected != "AV1" {
			t.Errorf("the codec was switched by itself to %q", c.Codec.Selected)
		}
		if !c.CodecNotice.Visible() || !c.UseH264.Visible() || c.UseH264.Disabled() {
			t.Fatalf("no Use H.264 offer: notice visible %v, button visible %v disabled %v",
				c.CodecNotice.Visible(), c.UseH264.Visible(), c.UseH264.Disabled())
		}
		for _, want := range []string{"does not take AV1", "stream H.264"} {
			if !strings.Contains(c.CodecNotice.Text, want) {
				t.Errorf("notice %q does not say %q", c.CodecNotice.Text, want)
			}
			if !strings.Contains(h.s.LastDialog(), want) {
				t.Errorf("dialog %q does not say %q", h.s.LastDialog(), want)
			}
		}
		if !strings.Contains(c.Status.Text, "use H.264") {
			t.Errorf("status %q does not say to use H.264", c.Status.Text)
		}
		test.Tap(c.UseH264)
		if c.Codec.Selected != "H.264" || c.CodecNotice.Visible() || c.UseH264.Visible() {
			t.Errorf("after Use H.264: codec %q, notice visible %v", c.Codec.Selected, c.CodecNotice.Visible())
		}
	})
	if got := prefs.String(prefPrefix + "codec"); got != "h264" {
		t.Errorf("saved codec %q after Use H.264, want h264", got)
	}
	h.goLive()
	if set, _, _ := h.be.session(); set.Codec != encode.H264 {
		t.Errorf("GoLive after Use H.264 got codec %v", set.Codec)
	}
}

func TestOtherErrorsOfferNoCodecSwitch(t *testing.T) {
	h := newHarness(t, test.NewTempApp(t).Preferences(), &memKeys{})
	h.do(func(c Controls) { c.Codec.SetSelected("HEVC") })
	h.completeDestination()
	_, live := h.goLive()
	live.end(fmt.Errorf("connect: %w", publish.ErrConnect))
	wait(t, h.ended, "the session's end")
	h.do(func(c Controls) {
		if c.UseH264.Visible() {
			t.Error("Use H.264 is offered for a connection error")
		}
		if !strings.Contains(h.s.LastDialog(), "Check the host and port") {
			t.Errorf("dialog %q lacks the usual hint", h.s.LastDialog())
		}
	})
}
