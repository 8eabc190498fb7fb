package ui

import (
	"fmt"
	"time"

	"studio/app"
	"studio/publish"
)

// tick shows the session's stats, the recording's size and the process's
// CPU use.
func (s *Studio) tick() {
	if s.cfg.Visible != nil {
		s.preview.hidden.Store(!s.cfg.Visible())
	}
	_ = s.stats.cpu.Set(fmt.Sprintf("%.0f%%", s.be.CPU()))
	if s.live == nil {
		s.health.idle()
		return
	}
	st := s.live.Stats()
	s.showStats(st)
	if prev := s.health.current(); st.Health.Status != "" {
		if l := app.HealthLine(prev, st.Health); l != "" {
			s.logf("%s", l)
		}
	}
	s.health.show(st.Health, st.Time)
	if s.liveRecording != "" && !s.recBusy && !st.Recording && st.State == publish.StateLive {
		// The session stopped it (a write failed): its warning is in
		// the status line.
		s.showRecording(true)
		s.liveRecording = ""
		s.refreshControls()
	}
	s.showRecording(false)
	if s.state == publish.StateReconnecting {
		s.showState(s.state)
	}
}

// showStats shows one stats snapshot.
func (s *Studio) showStats(st publish.Stats) {
	up := st.Uptime.Round(time.Second)
	_ = s.stats.uptime.Set(fmt.Sprintf("%d:%02d:%02d", int(up.Hours()), int(up.Minutes())%60, int(up.Seconds())%60))
	_ = s.stats.video.Set(fmt.Sprintf("%.0f kbps", st.VideoKbps))
	_ = s.stats.audio.Set(fmt.Sprintf("%.0f kbps", st.AudioKbps))
	_ = s.stats.fps.Set(fmt.Sprintf("%.1f", st.FPS))
	_ = s.stats.dropped.Set(fmt.Sprintf("%d", st.FramesDropped))
	_ = s.stats.queue.Set(fmt.Sprintf("%d ms", st.Queue.Milliseconds()))
	target := fmt.Sprintf("%d kbps", st.TargetKbps)
	if st.UserKbps > 0 && st.TargetKbps != st.UserKbps {
		// Adaptive bitrate has lowered it.
		target = fmt.Sprintf("%d of %d kbps", st.TargetKbps, st.UserKbps)
	}
	_ = s.stats.target.Set(target)
	_ = s.stats.reconnects.Set(fmt.Sprintf("%d", max(st.Reconnects, s.losses)))
	s.congestion.SetValue(st.Congestion)
	_ = s.stats.congestion.Set(fmt.Sprintf("%3.0f%%", 100*s.congestion.Value()))
	s.graph.Add(graphKbps(st), float64(st.TargetKbps))
	_ = s.stats.skipped.Set(fmt.Sprintf("%d", st.VideoSource.Skipped))
	// How fast the microphone's clock runs against the media clock (studio
	// absorbs it).
	drift := fmt.Sprintf("%+.0f ppm", st.AudioSource.DriftPPM)
	switch {
	case st.AudioSource.State.String() == "lost":
		drift = "lost"
	case st.AudioSource.DriftPPM == 0:
		drift = "–"
	}
	_ = s.stats.drift.Set(drift)
	latency := "–"
	if st.GlassToServer > 0 {
		latency = fmt.Sprintf("%d ms", st.GlassToServer.Milliseconds())
	}
	_ = s.stats.latency.Set(latency)
	s.showDestinationStats(st)
}

func (s *Studio) clearStats() {
	for _, b := range []interface{ Set(string) error }{s.stats.uptime, s.stats.video, s.stats.audio,
		s.stats.fps, s.stats.dropped, s.stats.queue, s.stats.target, s.stats.reconnects, s.stats.congestion,
		s.stats.skipped, s.stats.drift, s.stats.latency} {
		_ = b.Set("–")
	}
	_ = s.stats.cpu.Set("–")
	s.congestion.SetValue(0)
}

// graphKbps is the video bitrate drawn against the target: with several
// destinations, the highest one's (the sum is shown as Video), since
// each carries its own copy of the stream.
func graphKbps(st publish.Stats) float64 {
	if len(st.Destinations) < 2 {
		return st.VideoKbps
	}
	var top float64
	for _, d := range st.Destinations {
		top = max(top, d.VideoKbps)
	}
	return top
}
