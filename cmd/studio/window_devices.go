package main

import (
	"fmt"

	"studio/capture"
	"studio/capture/device"
	"studio/capture/failover"
	"studio/capture/monitor"
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

// openCamera opens a camera for the window, with failover: losing it puts
// a slate on the stream and calls onLost.
func openCamera(clock *capture.Clock, id string, props capture.VideoProps, onLost func(error)) (capture.VideoSource, error) {
	cam, err := device.OpenCamera(clock, id, props)
	if err != nil {
		return nil, fmt.Errorf("camera %q: %w", id, err)
	}
	return failover.Video(cam, clock, onLost), nil
}

// openMicrophone opens a microphone for the window, with failover: losing
// it puts silence on the stream and calls onLost.
func openMicrophone(clock *capture.Clock, id string, props capture.AudioProps, onLost func(error)) (capture.AudioSource, error) {
	mic, err := device.OpenMicrophone(clock, id, props)
	if err != nil {
		return nil, fmt.Errorf("microphone %q: %w", id, err)
	}
	return failover.Audio(mic, clock, onLost), nil
}

// newMonitor returns a player for the microphone at 48 kHz stereo.
func newMonitor() (*monitor.Player, error) { return monitor.New(monitor.Rate, 2) }
