// Package device opens real cameras and microphones and turns them into
// capture sources: cameras give I420 frames of exactly the requested size,
// microphones interleaved 16-bit PCM in the encoder's format (rate and
// channels), both stamped on the session's capture.Clock.
//
// Cameras are read straight from V4L2 (github.com/blackjack/webcam), raw
// frames and all, so that MJPEG goes through capture/mjpeg; they are listed
// when asked. Microphones are read through ALSA (capture/alsa), which also
// reaches PulseAudio and PipeWire through their ALSA plugins, and are put
// on the media clock by capture/audiosync; they too are listed when asked.
//
// Listing never fails because a device is missing: with no camera or no
// microphone, Cameras and Microphones return empty lists. Opening a device that
// is not there returns an error wrapping capture.ErrNoDevice.
package device

import (
	"studio/capture"
	"studio/capture/alsa"
)

// Microphones lists the ALSA devices that can record, as they are now:
// ALSA's "default" first (named "System default", with the sound server it
// reaches), then the sound servers that answer and each card's capture
// devices. IDs are ALSA PCM names. Devices that only play, and ALSA's
// null device, are left out. It returns an empty list, not an error, when
// there is none.
func Microphones() ([]capture.Device, error) {
	devs, err := alsa.Devices()
	out := make([]capture.Device, 0, len(devs))
	if err != nil {
		return out, nil
	}
	for _, d := range devs {
		out = append(out, capture.Device{ID: d.Name, Name: d.Desc, Kind: capture.Microphone})
	}
	return out, nil
}
