package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"studio/capture"
	"studio/capture/device"
	"studio/capture/failover"
	"studio/capture/screen"
	"studio/capture/synth"
)

// Source names for -video and -audio. A device source may name one device
// after a colon ("camera:video2", "mic:plughw:CARD=C615,DEV=0"); without it, the first one
// -list-devices shows is used.
const (
	videoCamera = "camera"
	videoScreen = "screen"
	audioMic    = "mic"
)

// validVideo reports whether s is a -video source: synth, screen, camera
// or camera:ID.
func validVideo(s string) bool {
	kind, id, hasID := strings.Cut(s, ":")
	return s == "synth" || s == videoScreen || kind == videoCamera && (!hasID || id != "")
}

// validAudio reports whether s is an -audio source: synth, silence, mic or
// mic:ID.
func validAudio(s string) bool {
	kind, id, hasID := strings.Cut(s, ":")
	return s == "synth" || s == "silence" || kind == audioMic && (!hasID || id != "")
}

// hintError is an error whose text is a complete message for the user
// (what is missing and what to use instead) that still wraps its cause.
type hintError struct {
	msg string
	err error
}

func (e *hintError) Error() string { return e.msg }
func (e *hintError) Unwrap() error { return e.err }

// openVideoFlag opens the -video source, wrapped in failover: a camera
// that is lost puts a slate on the stream until it comes back.
func openVideoFlag(o options, clock *capture.Clock) (*failover.VideoSource, error) {
	props := capture.VideoProps{Width: o.width, Height: o.height, FPS: o.fps}
	kind, id, _ := strings.Cut(o.video, ":")
	if o.video == videoScreen {
		return openScreen(clock, props, func(s capture.SourceStatus) { say(deviceNotice("screen", s)) })
	}
	if kind != videoCamera {
		pat, err := synth.NewPattern(clock, props)
		if err != nil {
			return nil, err
		}
		return failover.Video(pat, clock, failover.Options[capture.VideoSource]{Device: "test pattern"}), nil
	}
	cam, err := device.OpenCamera(clock, id, props)
	if errors.Is(err, capture.ErrNoDevice) {
		what := "no camera found"
		if id != "" {
			what = fmt.Sprintf("camera %q not found", id)
		}
		return nil, &hintError{msg: what + ": use -video synth for the test pattern (studio -list-devices shows what there is)", err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("camera: %w (use -video synth for the test pattern)", err)
	}
	return failover.Video(cam, clock, failover.Options[capture.VideoSource]{
		Device: deviceName(cam, id, "camera"),
		Reopen: func(context.Context) (capture.VideoSource, error) { return device.OpenCamera(clock, id, props) },
		Notify: func(s capture.SourceStatus) { say(deviceNotice("camera", s)) },
	}), nil
}

// openScreen opens the X11 screen as a video source, with failover: if the
// display goes away a slate stands in until it is back.
func openScreen(clock *capture.Clock, props capture.VideoProps, notify func(capture.SourceStatus)) (*failover.VideoSource, error) {
	scr, err := screen.Open(clock, props)
	if errors.Is(err, capture.ErrNoDevice) {
		return nil, &hintError{msg: "no screen to capture (is DISPLAY set to a running X server?): use -video synth for the test pattern", err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("screen: %w", err)
	}
	return failover.Video(scr, clock, failover.Options[capture.VideoSource]{
		Device: deviceName(scr, "", "screen"),
		Reopen: func(context.Context) (capture.VideoSource, error) { return screen.Open(clock, props) },
		Notify: notify,
	}), nil
}

// openAudioFlag opens the -audio source, wrapped in failover: a microphone
// that is lost puts silence on the stream until it (or, for the default
// microphone, another default one) comes back.
func openAudioFlag(o options, clock *capture.Clock) (*failover.AudioSource, error) {
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	kind, id, _ := strings.Cut(o.audio, ":")
	switch {
	case o.audio == "silence":
		src, err := synth.NewSilence(clock, props, synth.DefaultFrameSamples)
		if err != nil {
			return nil, err
		}
		return failover.Audio(src, clock, failover.Options[capture.AudioSource]{Device: "silence"}), nil
	case kind != audioMic:
		src, err := synth.NewTone(clock, props, 1000, synth.DefaultFrameSamples)
		if err != nil {
			return nil, err
		}
		return failover.Audio(src, clock, failover.Options[capture.AudioSource]{Device: "test tone"}), nil
	}
	mic, err := device.OpenMicrophone(clock, id, props)
	if errors.Is(err, capture.ErrNoDevice) {
		what := "no microphone found"
		if id != "" {
			what = fmt.Sprintf("microphone %q not found", id)
		}
		return nil, &hintError{msg: what + ": use -audio synth for a test tone or -audio silence (studio -list-devices shows what there is)", err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("microphone: %w (use -audio synth or -audio silence)", err)
	}
	return failover.Audio(mic, clock, failover.Options[capture.AudioSource]{
		Device: deviceName(mic, id, "default microphone"),
		Reopen: func(context.Context) (capture.AudioSource, error) { return device.OpenMicrophone(clock, id, props) },
		Notify: func(s capture.SourceStatus) { say(deviceNotice("microphone", s)) },
	}), nil
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

// deviceNotice is the line that says that a device was lost, with what
// stands in and what to check, or that it is back.
func deviceNotice(kind string, s capture.SourceStatus) string {
	if s.State == capture.SourceOK {
		return fmt.Sprintf("%s %q is back: capturing from it again", kind, s.Device)
	}
	standIn, check := "silence", "that it is plugged in, not muted or suspended, and that the sound server (PulseAudio or PipeWire) runs"
	if kind != "microphone" {
		standIn, check = "a slate", "that it is plugged in and not used by another program"
	}
	return fmt.Sprintf("warning: %s %q lost (%v): sending %s; check %s. studio picks it up again by itself", kind, s.Device, s.Err, standIn, check)
}

// say prints one of studio's lines on stderr. Failover calls it from the
// encoders' goroutines.
var say = func(line string) {
	fmt.Fprintf(os.Stderr, "studio: %s\n", line)
}

// listDevices prints the cameras and microphones found and the sources that
// are always there, and returns the exit code.
func listDevices(w io.Writer) int {
	cams, err := device.Cameras()
	if err != nil {
		fmt.Fprintf(os.Stderr, "studio: listing cameras: %v\n", err)
		return 1
	}
	mics, err := device.Microphones()
	if err != nil {
		fmt.Fprintf(os.Stderr, "studio: listing microphones: %v\n", err)
		return 1
	}
	fmt.Fprintln(w, "Cameras:")
	if len(cams) == 0 {
		fmt.Fprintln(w, "  no camera found: use -video synth for the test pattern")
	}
	for i, d := range cams {
		fmt.Fprintf(w, "  -video camera:%s\t%s%s\n", d.ID, d.Name, deflt(i))
	}
	fmt.Fprintln(w, "Screen:")
	if d, err := screen.Describe(); err == nil {
		fmt.Fprintf(w, "  -video screen\t%s\n", d.Name)
	} else {
		fmt.Fprintln(w, "  no X display to capture (DISPLAY is unset or its server does not answer)")
	}
	fmt.Fprintln(w, "Microphones:")
	if len(mics) == 0 {
		fmt.Fprintln(w, "  no microphone found: use -audio synth for a test tone, or -audio silence")
	}
	for i, d := range mics {
		fmt.Fprintf(w, "  -audio mic:%s\t%s%s\n", d.ID, d.Name, deflt(i))
	}
	fmt.Fprintln(w, "Always available:")
	fmt.Fprintln(w, "  -video synth\ttest pattern (moving, with a frame counter and clock)")
	fmt.Fprintln(w, "  -audio synth\t1 kHz tone at -12 dBFS")
	fmt.Fprintln(w, "  -audio silence\tsilence")
	return 0
}

func deflt(i int) string {
	if i == 0 {
		return " (default: -video camera / -audio mic)"
	}
	return ""
}
