package app

import (
	"context"
	"errors"
	"fmt"

	"studio/capture"
	"studio/capture/device"
	"studio/capture/failover"
	"studio/capture/screen"
	"studio/capture/synth"
)

// AudioProps is what every audio source delivers: 48 kHz stereo, the
// rate and layout the AAC encoder and the monitor take.
var AudioProps = capture.AudioProps{SampleRate: 48000, Channels: 2}

// Source kinds, as SourceError and DeviceLost name them.
const (
	KindCamera     = "camera"
	KindScreen     = "screen"
	KindMicrophone = "microphone"
)

// SourceError says which source could not be opened, and why. It wraps
// the cause: errors.Is(err, capture.ErrNoDevice) tells a missing device.
type SourceError struct {
	Kind string // KindCamera, KindScreen or KindMicrophone ("" for a synthetic source)
	ID   string // the device ID asked for; "" for the default device
	Err  error
}

func (e *SourceError) Error() string {
	missing := errors.Is(e.Err, capture.ErrNoDevice)
	switch {
	case e.Kind == "":
		return e.Err.Error()
	case e.Kind == KindScreen && missing:
		return "no screen to capture (is DISPLAY set to a running X server?)"
	case missing && e.ID == "":
		return "no " + e.Kind + " found"
	case missing:
		return fmt.Sprintf("%s %q not found", e.Kind, e.ID)
	case e.ID == "":
		return fmt.Sprintf("%s: %v", e.Kind, e.Err)
	}
	return fmt.Sprintf("%s %q: %v", e.Kind, e.ID, e.Err)
}

func (e *SourceError) Unwrap() error { return e.Err }

// Cameras lists the video sources that can be picked: the test pattern,
// the cameras found, and the screen when a display answers.
func Cameras() []Source {
	devs, _ := device.Cameras()
	out := append([]Source{{ID: TestPatternID, Name: "Test pattern", Synthetic: true}}, sourcesOf(devs)...)
	if d, err := screen.Describe(); err == nil {
		out = append(out, Source{ID: ScreenID, Name: d.Name})
	}
	return out
}

// Microphones lists the audio sources that can be picked: the test tone,
// silence, and the microphones found.
func Microphones() []Source {
	devs, _ := device.Microphones()
	return append([]Source{
		{ID: TestToneID, Name: "Test tone (1 kHz)", Synthetic: true},
		{ID: SilenceID, Name: "Silence", Synthetic: true},
	}, sourcesOf(devs)...)
}

func sourcesOf(devs []capture.Device) []Source {
	out := make([]Source, len(devs))
	for i, d := range devs {
		out[i] = Source{ID: d.ID, Name: d.Name}
	}
	return out
}

// OpenVideo opens the video source that id names (TestPatternID or "",
// ScreenID, DefaultCameraID, or a camera's ID) at props, wrapped in
// failover: a camera or screen that is lost puts a slate on the stream
// until it comes back, and notify (nil: nobody) is told, from the
// reading goroutine, when it is lost and when it is back. Errors are
// *SourceError.
func OpenVideo(clock *capture.Clock, id string, props capture.VideoProps, notify func(DeviceLost)) (*failover.VideoSource, error) {
	var open func() (capture.VideoSource, error)
	kind, devID := KindCamera, id
	switch id {
	case TestPatternID, "":
		pat, err := synth.NewPattern(clock, props)
		if err != nil {
			return nil, &SourceError{Err: err}
		}
		return failover.Video(pat, clock, failover.Options[capture.VideoSource]{Device: "test pattern"}), nil
	case ScreenID:
		kind, devID = KindScreen, ""
		open = func() (capture.VideoSource, error) { return screen.Open(clock, props) }
	case DefaultCameraID:
		devID = ""
		fallthrough
	default:
		open = func() (capture.VideoSource, error) { return device.OpenCamera(clock, devID, props) }
	}
	src, err := open()
	if err != nil {
		return nil, &SourceError{Kind: kind, ID: devID, Err: err}
	}
	return failover.Video(src, clock, failover.Options[capture.VideoSource]{
		Device: deviceName(src, devID, kind),
		Reopen: func(context.Context) (capture.VideoSource, error) { return open() },
		Notify: notifier(notify, true, id, kind),
	}), nil
}

// OpenAudio opens the audio source that id names (TestToneID or "",
// SilenceID, DefaultMicrophoneID, or a microphone's ID) at AudioProps,
// wrapped in failover: a microphone that is lost puts silence on the
// stream until it (or, for the default microphone, another default one)
// comes back, and notify (nil: nobody) is told when it is lost and when
// it is back. Errors are *SourceError.
func OpenAudio(clock *capture.Clock, id string, notify func(DeviceLost)) (*failover.AudioSource, error) {
	var src capture.AudioSource
	var err error
	switch id {
	case TestToneID, "":
		src, err = synth.NewTone(clock, AudioProps, 1000, synth.DefaultFrameSamples)
	case SilenceID:
		src, err = synth.NewSilence(clock, AudioProps, synth.DefaultFrameSamples)
	default:
		devID := id
		if id == DefaultMicrophoneID {
			devID = ""
		}
		mic, err := device.OpenMicrophone(clock, devID, AudioProps)
		if err != nil {
			return nil, &SourceError{Kind: KindMicrophone, ID: devID, Err: err}
		}
		fallback := "microphone"
		if devID == "" {
			fallback = "default microphone"
		}
		return failover.Audio(mic, clock, failover.Options[capture.AudioSource]{
			Device: deviceName(mic, devID, fallback),
			Reopen: func(context.Context) (capture.AudioSource, error) {
				return device.OpenMicrophone(clock, devID, AudioProps)
			},
			Notify: notifier(notify, false, id, KindMicrophone),
		}), nil
	}
	if err != nil {
		return nil, &SourceError{Err: err}
	}
	name := "test tone"
	if id == SilenceID {
		name = "silence"
	}
	return failover.Audio(src, clock, failover.Options[capture.AudioSource]{Device: name}), nil
}

// notifier turns failover's status changes into DeviceLost for notify.
func notifier(notify func(DeviceLost), camera bool, id, kind string) func(capture.SourceStatus) {
	if notify == nil {
		return nil
	}
	return func(s capture.SourceStatus) {
		notify(DeviceLost{Camera: camera, ID: id, Err: s.Err, Back: s.State == capture.SourceOK, Kind: kind, Device: s.Device})
	}
}

// deviceName is the readable name of an opened device: what it reports, or
// the ID it was opened with, or fallback.
func deviceName(src any, id, fallback string) string {
	if r, ok := src.(capture.Reporter); ok && r.Status().Device != "" {
		return r.Status().Device
	}
	if id != "" {
		return id
	}
	return fallback
}

// Notice is the line that says that a device was lost, with what stands
// in and what to check, or that it is back.
func (d DeviceLost) Notice() string {
	kind := d.Kind
	if kind == "" {
		kind = KindMicrophone
		if d.Camera {
			kind = KindCamera
		}
	}
	name := d.Device
	if name == "" {
		name = d.ID
	}
	if d.Back {
		return fmt.Sprintf("%s %q is back: capturing from it again", kind, name)
	}
	standIn, check := "silence", "that it is plugged in, not muted or suspended, and that the sound server (PulseAudio or PipeWire) runs"
	if kind != KindMicrophone {
		standIn, check = "a slate", "that it is plugged in and not used by another program"
	}
	return fmt.Sprintf("warning: %s %q lost (%v): sending %s; check %s. studio picks it up again by itself", kind, name, d.Err, standIn, check)
}
