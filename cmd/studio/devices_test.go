package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/app"
	"studio/capture"
	"studio/capture/device"
)

// TestListDevices: -list-devices always names the test sources, and says
// plainly when there is no camera or microphone.
func TestListDevices(t *testing.T) {
	r := studio(t, 20*time.Second, nil, "-list-devices")
	if r.code != 0 {
		t.Fatalf("studio -list-devices exited %d", r.code)
	}
	for _, want := range []string{"Cameras:", "Microphones:", "-video synth", "-audio synth", "-audio silence"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-list-devices does not show %q:\n%s", want, r.stdout)
		}
	}
	if cams, _ := device.Cameras(); len(cams) == 0 && !strings.Contains(r.stdout, "no camera found: use -video synth for the test pattern") {
		t.Errorf("with no camera, -list-devices does not say so:\n%s", r.stdout)
	}
	if mics, _ := device.Microphones(); len(mics) == 0 && !strings.Contains(r.stdout, "no microphone found") {
		t.Errorf("with no microphone, -list-devices does not say so:\n%s", r.stdout)
	}
}

// TestMissingDevicesFailClearly: asking for a camera or microphone that is
// not there ends with exit 1 and one line that says what is missing and
// what to use instead — never a panic, never a stream.
func TestMissingDevicesFailClearly(t *testing.T) {
	cams, _ := device.Cameras()
	mics, _ := device.Microphones()
	rec := filepath.Join(t.TempDir(), "never.flv")
	cases := []struct {
		args    []string
		skip    bool
		missing string
		hint    string
	}{
		{[]string{"-video", "camera"}, len(cams) > 0, "no camera found", "-video synth"},
		{[]string{"-video", "camera:video-none"}, false, `camera "video-none" not found`, "-video synth"},
		{[]string{"-audio", "mic"}, len(mics) > 0, "no microphone found", "-audio silence"},
		{[]string{"-audio", "mic:nothing-here"}, false, `microphone "nothing-here" not found`, "-audio synth"},
	}
	for _, c := range cases {
		if c.skip {
			continue
		}
		args := append([]string{"-headless", "-size", "320x180", "-duration", "1s", "-record", rec}, c.args...)
		r := studio(t, 20*time.Second, nil, args...)
		own := ownLines(r.stderr)
		last := lastLine(r.stderr)
		switch {
		case r.code != 1:
			t.Errorf("studio %v: exit %d, want 1", c.args, r.code)
		case strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine "):
			t.Errorf("studio %v panicked:\n%s", c.args, r.stderr)
		case len(own) != 1 || !strings.Contains(last, c.missing) || !strings.Contains(last, c.hint):
			t.Errorf("studio %v: stderr %q; want one line saying %q and suggesting %q", c.args, r.stderr, c.missing, c.hint)
		}
	}
}

func TestSourceFlags(t *testing.T) {
	for _, s := range []string{"synth", "camera", "camera:video0", "camera:/dev/video2"} {
		if !validVideo(s) {
			t.Errorf("-video %s rejected", s)
		}
	}
	for _, s := range []string{"", "cam", "camera:", "mic", "silence"} {
		if validVideo(s) {
			t.Errorf("-video %q accepted", s)
		}
	}
	for _, s := range []string{"synth", "silence", "mic", "mic:6e756c6c"} {
		if !validAudio(s) {
			t.Errorf("-audio %s rejected", s)
		}
	}
	for _, s := range []string{"", "microphone", "mic:", "camera"} {
		if validAudio(s) {
			t.Errorf("-audio %q accepted", s)
		}
	}
}

// TestFlagSources: the -video and -audio values name the app's sources.
func TestFlagSources(t *testing.T) {
	for flag, id := range map[string]string{
		"synth": app.TestPatternID, "screen": app.ScreenID, "camera": app.DefaultCameraID,
		"camera:video2": "video2", "camera:/dev/video2": "/dev/video2",
	} {
		if got := videoID(flag); got != id {
			t.Errorf("-video %s: source %q, want %q", flag, got, id)
		}
	}
	for flag, id := range map[string]string{
		"synth": app.TestToneID, "silence": app.SilenceID, "mic": app.DefaultMicrophoneID,
		"mic:plughw:CARD=C615,DEV=0": "plughw:CARD=C615,DEV=0",
	} {
		if got := audioID(flag); got != id {
			t.Errorf("-audio %s: source %q, want %q", flag, got, id)
		}
	}
}

func TestFlagHints(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("video source: %w", &app.SourceError{Kind: app.KindCamera, Err: capture.ErrNoDevice}),
			"video source: no camera found: use -video synth for the test pattern (studio -list-devices shows what there is)"},
		{fmt.Errorf("video source: %w", &app.SourceError{Kind: app.KindScreen, Err: capture.ErrNoDevice}),
			"video source: no screen to capture (is DISPLAY set to a running X server?): use -video synth for the test pattern (studio -list-devices shows what there is)"},
		{fmt.Errorf("video source: %w", &app.SourceError{Kind: app.KindCamera, ID: "v", Err: errors.New("busy")}),
			`video source: camera "v": busy (use -video synth for the test pattern)`},
		{fmt.Errorf("audio source: %w", &app.SourceError{Kind: app.KindMicrophone, ID: "x", Err: capture.ErrNoDevice}),
			`audio source: microphone "x" not found: use -audio synth for a test tone or -audio silence (studio -list-devices shows what there is)`},
		{fmt.Errorf("audio source: %w", &app.SourceError{Kind: app.KindMicrophone, Err: errors.New("busy")}),
			"audio source: microphone: busy (use -audio synth or -audio silence)"},
		{errors.New("video encoder: no"), "video encoder: no"},
	} {
		if got := withFlagHint(tc.err); got != tc.want {
			t.Errorf("withFlagHint(%v)\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}
