package device

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"studio/capture"
)

// TestMain checks for leaked goroutines after the tests. A microphone's
// capture goroutine left inside an audio backend that would not close is
// allowed only when the source logged that it left it (leakedBackends).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		var opts []goleak.Option
		if leakedBackends.Load() > 0 {
			opts = append(opts, goleak.IgnoreAnyFunction("studio/capture/device.(*micSource).run"))
		}
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func TestListingNeverFails(t *testing.T) {
	cams, err := Cameras()
	if err != nil || cams == nil {
		t.Fatalf("Cameras() = %v, %v; want a (possibly empty) list and no error", cams, err)
	}
	mics, err := Microphones()
	if err != nil || mics == nil {
		t.Fatalf("Microphones() = %v, %v; want a (possibly empty) list and no error", mics, err)
	}
	for _, d := range append(cams, mics...) {
		if d.ID == "" || d.Name == "" {
			t.Errorf("device without ID or name: %+v", d)
		}
		if d.Kind == capture.Microphone && d.ID == "null" {
			t.Errorf("the null backend is listed as a microphone: %+v", d)
		}
	}
	t.Logf("cameras %v, microphones %v", cams, mics)
}

func TestOpenMissingCamera(t *testing.T) {
	clock := capture.NewClock()
	props := capture.VideoProps{Width: 640, Height: 360, FPS: 30}
	if cams, _ := Cameras(); len(cams) == 0 {
		src, err := OpenCamera(clock, "", props)
		if !errors.Is(err, capture.ErrNoDevice) || src != nil {
			t.Errorf("OpenCamera(\"\") with no camera = %v, %v; want ErrNoDevice", src, err)
		}
	}
	src, err := OpenCamera(clock, "no-such-camera", props)
	if !errors.Is(err, capture.ErrNoDevice) || src != nil {
		t.Errorf("OpenCamera(no-such-camera) = %v, %v; want ErrNoDevice", src, err)
	}
	if _, err := OpenCamera(clock, "", capture.VideoProps{Width: 15, Height: 10, FPS: 30}); err == nil {
		t.Error("OpenCamera accepted 15x10")
	}
}
