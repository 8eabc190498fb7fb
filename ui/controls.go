package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// load fills the pickers from the backend and the saved settings.
func (s *Studio) load() {
	s.updating = true
	defer func() { s.updating = false }()
	c := &s.c
	cams, mics := s.be.Cameras(), s.be.Microphones()
	c.Camera.Options = names(cams)
	c.Microphone.Options = names(mics)
	c.Camera.SetSelected(nameOf(cams, s.prefs.Camera))
	c.Microphone.SetSelected(nameOf(mics, s.prefs.Microphone))
	var missing []string
	if !hasReal(cams) {
		missing = append(missing, "No camera found: the test pattern stands in for one.")
	}
	if !hasReal(mics) {
		missing = append(missing, "No microphone found: use the test tone or silence.")
	}
	setWarning(s.warnings.source, strings.Join(missing, "\n"))
	c.Size.SetSelected(pick(Sizes, s.prefs.Size, "1280x720"))
	c.FPS.SetSelected(pick(FrameRates, s.prefs.FPS, "30"))
	c.VideoKbps.SetText(strconv.Itoa(s.prefs.VideoKbps))
	c.AudioKbps.SetSelected(pick(AudioBitrates, s.prefs.AudioKbps, "128"))
	c.Preset.SetSelected(pick(Presets, s.prefs.Preset, "veryfast"))
	c.Codec.SetSelected(codecChoice(s.prefs.Codec))
	c.PreviewRate.SetSelected(pick(PreviewRates, s.prefs.PreviewFPS, DefaultPreviewRate))
	s.preview.setRate(previewRate(c.PreviewRate.Selected))
	s.loadDestinations()
	if err := s.be.AudioOutput(); err != nil {
		c.Monitor.Disable()
		setWarning(s.warnings.monitor, "Monitor is off: "+err.Error()+".")
	}
	s.refreshControls()
}

func names(src []Source) []string {
	out := make([]string, len(src))
	for i, x := range src {
		out[i] = x.Name
	}
	return out
}

func nameOf(src []Source, id string) string {
	for _, x := range src {
		if x.ID == id {
			return x.Name
		}
	}
	if len(src) > 0 {
		return src[0].Name
	}
	return ""
}

func idOf(src []Source, name string) string {
	for _, x := range src {
		if x.Name == name {
			return x.ID
		}
	}
	return ""
}

func hasReal(src []Source) bool {
	for _, x := range src {
		if !x.Synthetic {
			return true
		}
	}
	return false
}

func pick(options []string, want, fallback string) string {
	for _, o := range options {
		if o == want {
			return o
		}
	}
	return fallback
}

// settings reads the pickers. The URL and recording path are left empty.
func (s *Studio) settings() (Settings, error) {
	c := &s.c
	w, h, err := parseSize(c.Size.Selected)
	if err != nil {
		return Settings{}, err
	}
	fps, _ := strconv.Atoi(c.FPS.Selected)
	akbps, _ := strconv.Atoi(c.AudioKbps.Selected)
	vkbps, err := s.videoKbps()
	if err != nil {
		return Settings{}, err
	}
	return Settings{
		CameraID: idOf(s.be.Cameras(), c.Camera.Selected), Width: w, Height: h, FPS: fps,
		MicrophoneID: idOf(s.be.Microphones(), c.Microphone.Selected),
		VideoKbps:    vkbps, AudioKbps: akbps, Preset: c.Preset.Selected,
		KeyInterval: KeyIntervalSeconds * time.Second, Codec: codecOf(c.Codec.Selected),
	}, nil
}

func (s *Studio) videoKbps() (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s.c.VideoKbps.Text))
	if err != nil || v < 100 || v > 100000 {
		return 0, fmt.Errorf("video bitrate: enter a number of kbps from 100 to 100000")
	}
	return v, nil
}

// sourcesChanged restarts the preview with the new sources.
func (s *Studio) sourcesChanged() {
	if s.updating {
		return
	}
	s.saveSoon()
	s.lost.camera, s.lost.microphone = "", ""
	s.showLost()
	s.requestPreview()
}

// previewRateChanged applies and saves the preview's frame rate; it may
// change while live.
func (s *Studio) previewRateChanged(choice string) {
	s.preview.setRate(previewRate(choice))
	s.saveSoon()
}

// bitrateChanged validates the bitrate and applies the service's cap.
func (s *Studio) bitrateChanged() {
	if s.updating {
		return
	}
	s.clampBitrate()
	s.saveSoon()
	s.refreshControls()
}

// clampBitrate lowers the video bitrate to the lowest cap of the enabled
// destinations, and says so.
func (s *Studio) clampBitrate() {
	d := s.bitrateCap()
	v, err := s.videoKbps()
	switch {
	case err != nil:
		setWarning(s.warnings.bitrate, err.Error())
	case d.MaxVideoKbps > 0 && v > d.MaxVideoKbps:
		s.updating = true
		s.c.VideoKbps.SetText(strconv.Itoa(d.MaxVideoKbps))
		s.updating = false
		setWarning(s.warnings.bitrate, fmt.Sprintf("%s accepts at most %d kbps: video bitrate lowered from %d to %d kbps.",
			d.Name, d.MaxVideoKbps, v, d.MaxVideoKbps))
	default:
		setWarning(s.warnings.bitrate, "")
	}
}

// saveSoon writes the settings to the preferences (which Fyne writes to
// disk in the background).
func (s *Studio) saveSoon() {
	if s.updating || s.ephemeral {
		return
	}
	c := &s.c
	p := s.prefs
	p.Camera = idOf(s.be.Cameras(), c.Camera.Selected)
	p.Size, p.FPS = c.Size.Selected, c.FPS.Selected
	p.Microphone = idOf(s.be.Microphones(), c.Microphone.Selected)
	if v, err := s.videoKbps(); err == nil {
		p.VideoKbps = v
	}
	p.AudioKbps, p.Preset = c.AudioKbps.Selected, c.Preset.Selected
	p.Codec = codecOf(c.Codec.Selected).String()
	p.PreviewFPS = c.PreviewRate.Selected
	p.Destinations = p.Destinations[:0:0]
	for _, r := range s.rows {
		p.Destinations = append(p.Destinations, r.pref())
	}
	s.prefs = p
	p.Save(s.cfg.Prefs)
}

func (s *Studio) toggleMute() {
	s.muted = !s.muted
	s.be.SetMuted(s.muted)
	s.meter.SetMuted(s.muted)
	if s.muted {
		s.c.Mute.SetText("Unmute")
		s.c.Mute.SetIcon(theme.VolumeMuteIcon())
		s.c.Mute.Importance = widget.DangerImportance
	} else {
		s.c.Mute.SetText("Mute")
		s.c.Mute.SetIcon(theme.VolumeUpIcon())
		s.c.Mute.Importance = widget.MediumImportance
	}
	s.c.Mute.Refresh()
}

func (s *Studio) setMonitor(on bool) {
	if s.updating {
		return
	}
	if err := s.be.SetMonitor(on); err != nil {
		s.updating = true
		s.c.Monitor.SetChecked(false)
		s.updating = false
		setWarning(s.warnings.monitor, "Monitor is off: "+err.Error()+".")
	}
}
