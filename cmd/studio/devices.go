package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"studio/app"
	"studio/capture"
	"studio/capture/device"
	"studio/capture/screen"
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

// settings are the app.Settings that the flags ask for.
func (o options) settings() app.Settings {
	return app.Settings{
		CameraID: videoID(o.video), MicrophoneID: audioID(o.audio),
		Width: o.width, Height: o.height, FPS: o.fps,
		VideoKbps: o.bitrate, AudioKbps: o.audioBitrate, Preset: o.preset,
		KeyInterval: time.Duration(o.keyint * float64(time.Second)),
		URL:         o.urls.first(), MoreURLs: o.urls.rest(), RecordPath: o.record, Duration: o.duration,
		Codec: o.codec,
	}
}

// videoID is the app source ID of a valid -video value.
func videoID(flag string) string {
	kind, id, hasID := strings.Cut(flag, ":")
	switch {
	case flag == videoScreen:
		return app.ScreenID
	case kind == videoCamera && hasID:
		return id
	case kind == videoCamera:
		return app.DefaultCameraID
	}
	return app.TestPatternID
}

// audioID is the app source ID of a valid -audio value.
func audioID(flag string) string {
	kind, id, hasID := strings.Cut(flag, ":")
	switch {
	case flag == "silence":
		return app.SilenceID
	case kind == audioMic && hasID:
		return id
	case kind == audioMic:
		return app.DefaultMicrophoneID
	}
	return app.TestToneID
}

// withFlagHint is the line for an error that kept the session from
// starting: for a source that could not be opened, it names the flags
// that pick another.
func withFlagHint(err error) string {
	var se *app.SourceError
	if !errors.As(err, &se) || se.Kind == "" {
		return err.Error()
	}
	missing := errors.Is(err, capture.ErrNoDevice)
	switch {
	case se.Kind == app.KindMicrophone && missing:
		return err.Error() + ": use -audio synth for a test tone or -audio silence (studio -list-devices shows what there is)"
	case se.Kind == app.KindMicrophone:
		return err.Error() + " (use -audio synth or -audio silence)"
	case missing:
		return err.Error() + ": use -video synth for the test pattern (studio -list-devices shows what there is)"
	}
	return err.Error() + " (use -video synth for the test pattern)"
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
