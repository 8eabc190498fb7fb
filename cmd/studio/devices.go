package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"studio/capture"
	"studio/capture/device"
	"studio/capture/failover"
	"studio/capture/synth"
)

// Source names for -video and -audio. A device source may name one device
// after a colon ("camera:video2", "mic:6e756c6c"); without it, the first one
// -list-devices shows is used.
const (
	videoCamera = "camera"
	audioMic    = "mic"
)

// validVideo reports whether s is a -video source: synth, camera or
// camera:ID.
func validVideo(s string) bool {
	kind, id, hasID := strings.Cut(s, ":")
	return s == "synth" || kind == videoCamera && (!hasID || id != "")
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

// warnf prints a warning on stderr the way headless mode prints its lines.
// Failover calls it from the encoders' goroutines.
var warnf = func(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "studio: warning: "+format+"\n", args...)
}

// openVideoFlag opens the -video source: the test pattern, or a camera wrapped
// in failover so that losing it puts a slate on the stream.
func openVideoFlag(o options, clock *capture.Clock) (capture.VideoSource, error) {
	props := capture.VideoProps{Width: o.width, Height: o.height, FPS: o.fps}
	kind, id, _ := strings.Cut(o.video, ":")
	if kind != videoCamera {
		return synth.NewPattern(clock, props)
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
	return failover.Video(cam, clock, func(err error) {
		warnf("camera lost (%v): sending a slate", err)
	}), nil
}

// openAudioFlag opens the -audio source: the tone, silence, or a microphone
// wrapped in failover so that losing it puts silence on the stream.
func openAudioFlag(o options, clock *capture.Clock) (capture.AudioSource, error) {
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	kind, id, _ := strings.Cut(o.audio, ":")
	switch {
	case o.audio == "silence":
		return synth.NewSilence(clock, props, synth.DefaultFrameSamples)
	case kind != audioMic:
		return synth.NewTone(clock, props, 1000, synth.DefaultFrameSamples)
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
	return failover.Audio(mic, clock, func(err error) {
		warnf("microphone lost (%v): sending silence", err)
	}), nil
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
