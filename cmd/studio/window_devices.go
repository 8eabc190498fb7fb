package main

import (
	"context"
	"fmt"

	"studio/capture"
	"studio/capture/device"
	"studio/capture/failover"
	"studio/capture/monitor"
	"studio/capture/synth"
	"studio/ui"
)

// cameras lists the real cameras for the window's picker.
func cameras() []ui.Source {
	devs, _ := device.Cameras()
	return sourcesOf(devs)
}

// microphones lists the real microphones for the window's picker.
func microphones() []ui.Source {
	devs, _ := device.Microphones()
	return sourcesOf(devs)
}

func sourcesOf(devs []capture.Device) []ui.Source {
	out := make([]ui.Source, len(devs))
	for i, d := range devs {
		out[i] = ui.Source{ID: d.ID, Name: d.Name}
	}
	return out
}

// openVideo opens the window's video source, with failover.
func (b *backend) openVideo(clock *capture.Clock, s ui.Settings) (*failover.VideoSource, error) {
	props := capture.VideoProps{Width: s.Width, Height: s.Height, FPS: s.FPS}
	if s.CameraID == ui.TestPatternID || s.CameraID == "" {
		pat, err := synth.NewPattern(clock, props)
		if err != nil {
			return nil, err
		}
		return failover.Video(pat, clock, failover.Options[capture.VideoSource]{Device: "test pattern"}), nil
	}
	id := s.CameraID
	if id == videoScreen {
		return openScreen(clock, props, func(st capture.SourceStatus) {
			b.deviceChanged(ui.DeviceLost{Camera: true, ID: id, Err: st.Err, Back: st.State == capture.SourceOK}, deviceNotice("screen", st))
		})
	}
	return openCamera(clock, id, props, func(st capture.SourceStatus) {
		b.deviceChanged(ui.DeviceLost{Camera: true, ID: id, Err: st.Err, Back: st.State == capture.SourceOK}, deviceNotice("camera", st))
	})
}

func (b *backend) openAudio(clock *capture.Clock, s ui.Settings) (*failover.AudioSource, error) {
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	var src capture.AudioSource
	var err error
	switch s.MicrophoneID {
	case ui.TestToneID, "":
		src, err = synth.NewTone(clock, props, 1000, 1024)
	case ui.SilenceID:
		src, err = synth.NewSilence(clock, props, 1024)
	default:
		id := s.MicrophoneID
		return openMicrophone(clock, id, props, func(st capture.SourceStatus) {
			b.deviceChanged(ui.DeviceLost{ID: id, Err: st.Err, Back: st.State == capture.SourceOK}, deviceNotice("microphone", st))
		})
	}
	if err != nil {
		return nil, err
	}
	return failover.Audio(src, clock, failover.Options[capture.AudioSource]{Device: s.MicrophoneID}), nil
}

// openCamera opens a camera for the window, with failover: losing it puts
// a slate on the stream, and notify is told when it is lost and when it is
// back.
func openCamera(clock *capture.Clock, id string, props capture.VideoProps, notify func(capture.SourceStatus)) (*failover.VideoSource, error) {
	cam, err := device.OpenCamera(clock, id, props)
	if err != nil {
		return nil, fmt.Errorf("camera %q: %w", id, err)
	}
	return failover.Video(cam, clock, failover.Options[capture.VideoSource]{
		Device: deviceName(cam, id, "camera"),
		Reopen: func(context.Context) (capture.VideoSource, error) { return device.OpenCamera(clock, id, props) },
		Notify: notify,
	}), nil
}

// openMicrophone opens a microphone for the window, with failover: losing
// it puts silence on the stream, and notify is told when it is lost and
// when it is back.
func openMicrophone(clock *capture.Clock, id string, props capture.AudioProps, notify func(capture.SourceStatus)) (*failover.AudioSource, error) {
	mic, err := device.OpenMicrophone(clock, id, props)
	if err != nil {
		return nil, fmt.Errorf("microphone %q: %w", id, err)
	}
	return failover.Audio(mic, clock, failover.Options[capture.AudioSource]{
		Device: deviceName(mic, id, "microphone"),
		Reopen: func(context.Context) (capture.AudioSource, error) { return device.OpenMicrophone(clock, id, props) },
		Notify: notify,
	}), nil
}

// newMonitor returns a player for the microphone at 48 kHz stereo.
func newMonitor() (*monitor.Player, error) { return monitor.New(monitor.Rate, 2) }
