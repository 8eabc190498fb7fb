package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// build creates the widgets and lays them out: settings on the left,
// preview, meter and stats in the middle, Go Live and the status line at
// the bottom.
func (s *Studio) build() {
	c := &s.c
	c.Camera = widget.NewSelect(nil, func(string) { s.sourcesChanged() })
	c.Size = widget.NewSelect(Sizes, func(string) { s.sourcesChanged() })
	c.FPS = widget.NewSelect(FrameRates, func(string) { s.sourcesChanged() })
	c.Microphone = widget.NewSelect(nil, func(string) { s.sourcesChanged() })
	c.VideoKbps = widget.NewSelectEntry([]string{"1000", "2500", "4500", "6000", "8000"})
	c.VideoKbps.OnChanged = func(string) { s.bitrateChanged() }
	c.AudioKbps = widget.NewSelect(AudioBitrates, func(string) { s.saveSoon() })
	c.Preset = widget.NewSelect(Presets, func(string) { s.saveSoon() })
	s.addDest = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), s.addDestination)
	c.AddDestination = s.addDest
	s.destBox = container.NewVBox()
	c.Mute = widget.NewButtonWithIcon("Mute", theme.VolumeUpIcon(), s.toggleMute)
	c.Monitor = widget.NewCheck("Monitor", s.setMonitor)
	c.GoLive = widget.NewButtonWithIcon("Go Live", theme.MediaPlayIcon(), s.tapGoLive)
	c.GoLive.Importance = widget.HighImportance
	c.Record = widget.NewButtonWithIcon("Record", theme.MediaRecordIcon(), s.tapRecord)
	c.State = widget.NewLabelWithStyle("Idle", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.Status = widget.NewLabel("")
	c.Status.Truncation = fyne.TextTruncateEllipsis
	c.Version = widget.NewLabel("studio " + s.cfg.Version)
	c.Version.Importance = widget.LowImportance
	c.Recording = widget.NewLabel("")
	c.Recording.Truncation = fyne.TextTruncateEllipsis
	c.Recording.Hide()
	c.DeviceLost = widget.NewLabel("")
	c.DeviceLost.Wrapping = fyne.TextWrapWord
	c.DeviceLost.Importance = widget.DangerImportance
	c.DeviceLost.TextStyle.Bold = true
	c.DeviceLost.Hide()
	s.health = newHealthView()
	c.Health, c.HealthMessage, c.HealthHistory = s.health.word, s.health.message, s.health.history

	for _, l := range []**widget.Label{&s.warnings.source, &s.warnings.dest, &s.warnings.bitrate, &s.warnings.monitor} {
		*l = widget.NewLabel("")
		(*l).Wrapping = fyne.TextWrapWord
		(*l).Importance = widget.WarningImportance
		(*l).Hide()
	}
	s.advice = widget.NewLabel("")
	s.advice.Wrapping = fyne.TextWrapWord
	s.advice.Importance = widget.LowImportance
	s.advice.SizeName = theme.SizeNameCaptionText

	s.preview = newPreviewView(s.cfg.Window)
	c.PreviewRate = widget.NewSelect(PreviewRates, s.previewRateChanged)
	s.meter = NewLevelMeter()
	s.graph = NewBitrateGraph()
	for _, b := range []*binding.String{&s.stats.uptime, &s.stats.video, &s.stats.audio, &s.stats.fps,
		&s.stats.dropped, &s.stats.queue, &s.stats.cpu, &s.stats.target, &s.stats.reconnects, &s.stats.congestion,
		&s.stats.skipped, &s.stats.drift, &s.stats.latency} {
		*b = binding.NewString()
	}
	s.congestion = NewCongestionBar()
	s.clearStats()

	linkTestRow := s.buildLinkTest()
	refusalRow := s.buildCodec()
	c.TestLink, c.LinkResult, c.ApplyLink = s.link.button, s.link.result, s.link.apply
	videoRow := container.NewGridWithColumns(2, c.Size, c.FPS)
	settings := container.NewVBox(
		heading("Sources"),
		widget.NewForm(
			widget.NewFormItem("Camera", c.Camera),
			widget.NewFormItem("Video", videoRow),
			widget.NewFormItem("Microphone", c.Microphone),
			widget.NewFormItem("Preview fps", c.PreviewRate),
		),
		s.warnings.source,
		heading("Encoding"),
		widget.NewForm(
			widget.NewFormItem("Codec", c.Codec),
			widget.NewFormItem("Video kbps", c.VideoKbps),
			widget.NewFormItem("Audio kbps", c.AudioKbps),
			widget.NewFormItem("Preset", c.Preset),
		),
		refusalRow,
		s.warnings.bitrate,
		container.NewBorder(nil, nil, nil, container.NewHBox(s.link.button, s.addDest), heading("Destinations")),
		s.destBox,
		linkTestRow,
		s.advice,
		s.warnings.dest,
	)
	left := container.NewVScroll(settings)
	left.SetMinSize(fyne.NewSize(360, 0))

	screen := container.NewStack(s.preview.back, s.preview.img)
	meterRow := container.NewBorder(nil, nil, widget.NewLabel("Mic"),
		container.NewHBox(c.Mute, c.Monitor), container.NewPadded(s.meter))
	statsGrid := container.NewGridWithColumns(4,
		statLabel("Uptime", s.stats.uptime), statLabel("Video", s.stats.video),
		statLabel("Audio", s.stats.audio), statLabel("FPS", s.stats.fps),
		statLabel("Dropped", s.stats.dropped), statLabel("Queue", s.stats.queue),
		statLabel("Reconnects", s.stats.reconnects), statLabel("CPU", s.stats.cpu),
		statLabel("Skipped", s.stats.skipped), statLabel("Mic drift", s.stats.drift),
		statLabel("Latency", s.stats.latency),
	)
	linkRow := container.NewBorder(nil, nil, statLabel("Target", s.stats.target),
		statLabel("", s.stats.congestion), container.NewBorder(nil, nil, statLabel("Congestion", nil), nil, s.congestion))
	below := container.NewVBox(meterRow, s.warnings.monitor, statsGrid, linkRow, sized(s.graph, 72), c.Recording)
	middle := container.NewBorder(c.DeviceLost, below, nil, nil, screen)

	bar := container.NewBorder(nil, nil,
		container.NewHBox(c.GoLive, c.Record, c.State, s.health.badge()), c.Version, c.Status)
	bottom := container.NewVBox(widget.NewSeparator(), s.health.message, s.health.past, bar)
	s.content = container.NewBorder(nil, bottom, left, nil,
		container.NewPadded(middle))
}

func heading(text string) fyne.CanvasObject {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// statLabel is "Name value" bound to b; without b it is the name alone,
// and without name the value alone.
func statLabel(name string, b binding.String) fyne.CanvasObject {
	n := widget.NewLabel(name)
	n.Importance = widget.LowImportance
	if b == nil {
		return n
	}
	v := newMonoValue(b)
	if name == "" {
		return v
	}
	return container.NewHBox(n, v)
}

// sized gives o a fixed height and the full width of its container.
func sized(o fyne.CanvasObject, height float32) fyne.CanvasObject {
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(fyne.NewSize(0, height))
	return container.NewStack(spacer, o)
}
