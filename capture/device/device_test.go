package device

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"go.uber.org/goleak"

	"studio/capture"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
		if d.ID == nullID {
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

func TestOpenMissingMicrophone(t *testing.T) {
	clock := capture.NewClock()
	props := capture.AudioProps{SampleRate: 48000, Channels: 2}
	if mics, _ := Microphones(); len(mics) == 0 {
		src, err := OpenMicrophone(clock, "", props)
		if !errors.Is(err, capture.ErrNoDevice) || src != nil {
			t.Errorf("OpenMicrophone(\"\") with no microphone = %v, %v; want ErrNoDevice", src, err)
		}
	}
	if _, err := OpenMicrophone(clock, "no-such-mic", props); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("OpenMicrophone(no-such-mic): %v, want ErrNoDevice", err)
	}
	if _, err := OpenMicrophone(clock, "", capture.AudioProps{SampleRate: 44100, Channels: 2}); err == nil {
		t.Error("OpenMicrophone accepted 44.1 kHz")
	}
}

// TestNullMicrophone opens miniaudio's null capture device, which exists on
// machines with no sound card, through the real driver with explicit
// constraints: it must read frames of the right shape without panicking.
func TestNullMicrophone(t *testing.T) {
	if len(drivers(driver.Microphone, capture.Microphone, true)) == 0 {
		t.Skip("no null microphone backend here")
	}
	for _, ch := range []int{1, 2} {
		src, err := OpenMicrophone(capture.NewClock(), nullID, capture.AudioProps{SampleRate: 48000, Channels: ch})
		if err != nil {
			// A clean error is acceptable; a panic is not.
			t.Logf("null microphone: %v", err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var next time.Duration
		for i := range 20 {
			f, err := src.Read(ctx)
			if err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
			if f.SampleRate != 48000 || f.Channels != ch || len(f.Samples) == 0 || len(f.Samples)%ch != 0 {
				t.Fatalf("frame %d: %d samples at %d Hz, %d channels", i, len(f.Samples), f.SampleRate, f.Channels)
			}
			if i > 0 && f.PTS < next {
				t.Fatalf("frame %d: PTS %v before the end of the previous frame %v", i, f.PTS, next)
			}
			next = f.PTS + time.Duration(len(f.Samples)/ch)*time.Second/48000
			f.Release()
		}
		cancel()
		if err := src.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
		if _, err := src.Read(context.Background()); !errors.Is(err, capture.ErrClosed) {
			t.Errorf("read after close: %v, want ErrClosed", err)
		}
	}
}
