package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"studio/capture"
)

func TestSourceErrorText(t *testing.T) {
	cause := errors.New("busy")
	for _, tc := range []struct {
		err  *SourceError
		want string
	}{
		{&SourceError{Kind: KindCamera, Err: capture.ErrNoDevice}, "no camera found"},
		{&SourceError{Kind: KindCamera, ID: "video9", Err: fmt.Errorf("x: %w", capture.ErrNoDevice)}, `camera "video9" not found`},
		{&SourceError{Kind: KindMicrophone, Err: capture.ErrNoDevice}, "no microphone found"},
		{&SourceError{Kind: KindScreen, Err: capture.ErrNoDevice}, "no screen to capture (is DISPLAY set to a running X server?)"},
		{&SourceError{Kind: KindCamera, Err: cause}, "camera: busy"},
		{&SourceError{Kind: KindMicrophone, ID: "hw:1", Err: cause}, `microphone "hw:1": busy`},
		{&SourceError{Err: cause}, "busy"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.err, got, tc.want)
		}
	}
	if !errors.Is(&SourceError{Kind: KindCamera, Err: capture.ErrNoDevice}, capture.ErrNoDevice) {
		t.Error("SourceError does not unwrap")
	}
}

func TestOpenSynthetic(t *testing.T) {
	in, err := OpenSources(Settings{CameraID: TestPatternID, MicrophoneID: SilenceID, Width: 160, Height: 90, FPS: 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Video.Close()
	defer in.Audio.Close()
	if p := in.Video.Props(); p.Width != 160 || p.Height != 90 || p.FPS != 30 {
		t.Errorf("video props %+v", p)
	}
	if p := in.Audio.Props(); p != AudioProps {
		t.Errorf("audio props %+v", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 0x7fffffff)
	defer cancel()
	f, err := in.Video.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	if in.VideoStatus.Status().Device != "test pattern" || in.AudioStatus.Status().Device != "silence" {
		t.Errorf("devices %q and %q", in.VideoStatus.Status().Device, in.AudioStatus.Status().Device)
	}
}

func TestOpenMissingDevices(t *testing.T) {
	_, err := OpenSources(Settings{CameraID: "video-none-here", Width: 160, Height: 90, FPS: 30}, nil)
	var se *SourceError
	if !errors.As(err, &se) || se.Kind != KindCamera || !errors.Is(err, capture.ErrNoDevice) ||
		err.Error() != `video source: camera "video-none-here" not found` {
		t.Errorf("missing camera: %v", err)
	}
	_, err = OpenSources(Settings{CameraID: TestPatternID, MicrophoneID: "nothing-here", Width: 160, Height: 90, FPS: 30}, nil)
	if !errors.As(err, &se) || se.Kind != KindMicrophone || !strings.HasPrefix(err.Error(), "audio source: microphone") {
		t.Errorf("missing microphone: %v", err)
	}
}

func TestDeviceNotice(t *testing.T) {
	lost := DeviceLost{Camera: true, ID: "video0", Err: errors.New("gone"), Kind: KindCamera, Device: "C615"}
	want := `warning: camera "C615" lost (gone): sending a slate; check that it is plugged in and not used by another program. studio picks it up again by itself`
	if got := lost.Notice(); got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	mic := DeviceLost{ID: "hw:1", Err: errors.New("gone")}
	if got := mic.Notice(); !strings.HasPrefix(got, `warning: microphone "hw:1" lost (gone): sending silence; check that it is plugged in, not muted`) {
		t.Errorf("notice %q", got)
	}
	back := DeviceLost{Camera: true, Kind: KindScreen, Device: ":99", Back: true}
	if got := back.Notice(); got != `screen ":99" is back: capturing from it again` {
		t.Errorf("notice %q", got)
	}
}
