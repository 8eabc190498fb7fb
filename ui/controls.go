package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studio/app"
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
	c.Destination.SetSelected(DestinationNamed(s.prefs.Destination).Name)
	s.showDestination()
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
		KeyInterval: KeyIntervalSeconds * time.Second,
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

// bitrateChanged validates the bitrate and applies the service's cap.
func (s *Studio) bitrateChanged() {
	if s.updating {
		return
	}
	s.clampBitrate()
	s.saveSoon()
	s.refreshControls()
}

// clampBitrate lowers the video bitrate to the destination's cap, and says
// so.
func (s *Studio) clampBitrate() {
	d := DestinationNamed(s.c.Destination.Selected)
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

// destinationChanged shows the chosen service and its stored key.
func (s *Studio) destinationChanged() {
	if s.updating {
		return
	}
	s.saveKey()
	s.showDestination()
	s.clampBitrate()
	s.saveSoon()
	s.refreshControls()
}

// showDestination fills the server and key fields for the selected
// destination.
func (s *Studio) showDestination() {
	d := DestinationNamed(s.c.Destination.Selected)
	was := s.updating
	s.updating = true
	defer func() { s.updating = was }()
	if d.Name == CustomName {
		s.c.Server.SetText(s.prefs.Server)
		s.c.Server.Enable()
	} else {
		s.c.Server.SetText(d.Server)
		s.c.Server.Disable()
	}
	key := ""
	if s.cfg.Keys != nil && !s.ephemeral {
		var err error
		if key, err = s.cfg.Keys.LoadKey(d.Name); err != nil {
			s.setStatus("Stream key: " + err.Error())
		}
	}
	s.c.Key.SetText(key)
	s.keyChanged()
	s.keyDestination = d.Name
	s.advice.SetText(d.Advice)
	s.checkDestination()
}

// destinationEdited follows typing in the server and key fields.
func (s *Studio) destinationEdited() {
	s.keyChanged()
	if s.updating {
		return
	}
	if DestinationNamed(s.c.Destination.Selected).Name == CustomName {
		s.prefs.Server = strings.TrimSpace(s.c.Server.Text)
		s.saveSoon()
	}
	s.checkDestination()
	s.refreshControls()
}

// server returns the selected destination's server URL.
func (s *Studio) server() (Destination, string) {
	d := DestinationNamed(s.c.Destination.Selected)
	if d.Name == CustomName {
		return d, strings.TrimSpace(s.c.Server.Text)
	}
	return d, d.Server
}

// destinationProblem says why the destination is not complete, or "".
func (s *Studio) destinationProblem() string {
	d, server := s.server()
	if err := app.CheckServer(server, d.TLSOnly); err != nil {
		return err.Error()
	}
	if strings.TrimSpace(s.c.Key.Text) == "" {
		return "enter the stream key"
	}
	return ""
}

// checkDestination shows the warning about a key pasted into the URL.
func (s *Studio) checkDestination() {
	_, server := s.server()
	if app.KeyInURL(server) {
		setWarning(s.warnings.dest, "The server URL seems to contain a stream key. Remove it from the URL and "+
			"paste it into the Stream key field, where it stays hidden and out of the settings file.")
	} else {
		setWarning(s.warnings.dest, "")
	}
}

// saveKey stores the key field for the destination it belongs to.
func (s *Studio) saveKey() {
	if s.cfg.Keys == nil || s.ephemeral || s.keyDestination == "" {
		return
	}
	if err := s.cfg.Keys.SaveKey(s.keyDestination, strings.TrimSpace(s.c.Key.Text)); err != nil {
		s.setStatus("Stream key not saved: " + err.Error())
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
	p.Destination = c.Destination.Selected
	s.prefs = p
	p.Save(s.cfg.Prefs)
}

func (s *Studio) toggleKey() {
	s.c.Key.Password = !s.c.Key.Password
	if s.c.Key.Password {
		s.c.ShowKey.SetIcon(theme.VisibilityIcon())
	} else {
		s.c.ShowKey.SetIcon(theme.VisibilityOffIcon())
	}
	s.c.Key.Refresh()
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

// applyAutoLive uses url as a Custom destination, without saving it, and
// goes live.
func (s *Studio) applyAutoLive(url string) {
	s.ephemeral = true
	i := strings.LastIndex(url, "/")
	if i < 0 {
		s.setStatus("AutoLive: not a URL")
		return
	}
	s.updating = true
	s.c.Destination.SetSelected(CustomName)
	s.c.Server.Enable()
	s.c.Server.SetText(url[:i])
	s.c.Key.SetText(url[i+1:])
	s.keyChanged()
	s.keyDestination = CustomName
	s.advice.SetText(DestinationNamed(CustomName).Advice)
	s.updating = false
	s.checkDestination()
	s.refreshControls()
	s.tapGoLive()
}
