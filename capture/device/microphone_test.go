package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/alsa"
	"studio/internal/testpeer"
)

// encoderFormat is what the encoder takes, and so what microphones give.
var encoderFormat = capture.AudioProps{SampleRate: 48000, Channels: 2}

func TestOpenMissingMicrophone(t *testing.T) {
	clock := capture.NewClock()
	if mics, _ := Microphones(); len(mics) == 0 {
		src, err := OpenMicrophone(clock, "", encoderFormat)
		if !errors.Is(err, capture.ErrNoDevice) || src != nil {
			t.Errorf("OpenMicrophone(\"\") with no microphone = %v, %v; want ErrNoDevice", src, err)
		}
	}
	if _, err := OpenMicrophone(clock, "no-such-mic", encoderFormat); !errors.Is(err, capture.ErrNoDevice) || !errors.Is(err, alsa.ErrNoDevice) {
		t.Errorf("OpenMicrophone(no-such-mic): %v, want ErrNoDevice", err)
	}
	for _, p := range []capture.AudioProps{{SampleRate: 48000, Channels: 3}, {SampleRate: 0, Channels: 2}} {
		if _, err := OpenMicrophone(clock, "null", p); err == nil {
			t.Errorf("OpenMicrophone accepted %+v", p)
		}
	}
	if _, err := OpenMicrophone(nil, "null", encoderFormat); err == nil {
		t.Error("OpenMicrophone accepted a nil clock")
	}
}

// TestNullMicrophone opens ALSA's null device, which needs no hardware and
// delivers zeros as fast as it is read: frames come out in the encoder's
// format, contiguous, and the source closes cleanly.
func TestNullMicrophone(t *testing.T) {
	for _, p := range []capture.AudioProps{encoderFormat, {SampleRate: 44100, Channels: 1}} {
		src, err := OpenMicrophone(capture.NewClock(), "null", p)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var next time.Duration
		for i := range 20 {
			f, err := src.Read(ctx)
			if err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
			if f.SampleRate != p.SampleRate || f.Channels != p.Channels || len(f.Samples) != micFrameSamples*p.Channels {
				t.Fatalf("frame %d: %d samples at %d Hz, %d channels", i, len(f.Samples), f.SampleRate, f.Channels)
			}
			if i > 0 && absDur(f.PTS-next) > time.Microsecond {
				t.Fatalf("frame %d: PTS %v, want %v (contiguous)", i, f.PTS, next)
			}
			next = f.PTS + time.Duration(micFrameSamples)*time.Second/time.Duration(p.SampleRate) // ±1 ns of rounding
			f.Release()
		}
		cancel()
		st := src.(capture.Reporter).Status()
		if st.State != capture.SourceOK || st.Device != "null" {
			t.Errorf("status %+v", st)
		}
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

// micRun is what reading a microphone for a while gave.
type micRun struct {
	pcm     []float32       // first channel
	latency []time.Duration // per frame: clock when read minus the PTS of its end
	frames  int
}

// readMic reads the source for d, checking that every frame is in the
// encoder's format and follows the previous one exactly.
func readMic(t *testing.T, clock *capture.Clock, src capture.AudioSource, d time.Duration) micRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d+5*time.Second)
	defer cancel()
	var r micRun
	var next time.Duration
	frameDur := time.Duration(micFrameSamples) * time.Second / time.Duration(encoderFormat.SampleRate)
	for start := clock.Now(); clock.Now()-start < d; {
		f, err := src.Read(ctx)
		if err != nil {
			t.Fatalf("read after %d frames: %v", r.frames, err)
		}
		now := clock.Now()
		if f.SampleRate != encoderFormat.SampleRate || f.Channels != encoderFormat.Channels || len(f.Samples) != 2*micFrameSamples {
			t.Fatalf("frame %d: %d samples at %d Hz, %d channels", r.frames, len(f.Samples), f.SampleRate, f.Channels)
		}
		if r.frames > 0 && absDur(f.PTS-next) > time.Microsecond {
			t.Fatalf("frame %d: PTS %v, want %v (contiguous)", r.frames, f.PTS, next)
		}
		next = f.PTS + frameDur
		r.latency = append(r.latency, now-next)
		for i := 0; i < len(f.Samples); i += 2 {
			r.pcm = append(r.pcm, float32(f.Samples[i])/32768)
		}
		r.frames++
		f.Release()
	}
	return r
}

// openPulseMic starts a virtual microphone, points ALSA's default device
// at it, and opens it in the encoder's format.
func openPulseMic(t *testing.T, o testpeer.PulseMicOptions) (*testpeer.PulseMic, *capture.Clock, capture.AudioSource) {
	t.Helper()
	m := testpeer.StartPulseMic(t, o)
	m.Setenv(t)
	clock := capture.NewClock()
	src, err := OpenMicrophone(clock, "", encoderFormat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return m, clock, src
}

// TestMicrophoneTone: a tone from 44.1 kHz mono and 48 kHz stereo sources
// arrives as a clean 440 Hz tone in the encoder's format.
func TestMicrophoneTone(t *testing.T) {
	for _, o := range []testpeer.PulseMicOptions{{Rate: 44100, Channels: 1, Tone: 440}, {Rate: 48000, Channels: 2, Tone: 440}} {
		t.Run(fmt.Sprintf("%dHz_%dch", o.Rate, o.Channels), func(t *testing.T) {
			_, clock, src := openPulseMic(t, o)
			r := readMic(t, clock, src, 6*time.Second)
			tone := testpeer.AnalyzeTone(r.pcm, encoderFormat.SampleRate, 500*time.Millisecond)
			t.Logf("%d frames; tone %.2f Hz, amplitude %.3f, %d discontinuities %v, worst residual %.4f; latency %v",
				r.frames, tone.FreqHz, tone.Amplitude, tone.Discontinuities, tone.At, tone.WorstResidual, median(r.latency))
			if tone.Discontinuities != 0 || math.Abs(tone.FreqHz-440) > 2 || tone.Analyzed < 5*time.Second {
				t.Errorf("want a clean 440 Hz tone over 5.5 s: %+v", tone)
			}
			st := src.(capture.Reporter).Status()
			if st.State != capture.SourceOK || st.Device == "" || st.Err != nil {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// TestMicrophoneDrift: a microphone 0.5% fast or slow is measured as such,
// and its frames stay on the media clock: the latest frame's PTS keeps the
// same distance to the clock (within 40 ms) while a count of samples would
// drift by 100 ms in 20 s.
func TestMicrophoneDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("40 s of audio")
	}
	for _, skew := range []float64{1.005, 0.995} {
		t.Run(fmt.Sprint(skew), func(t *testing.T) {
			_, clock, src := openPulseMic(t, testpeer.PulseMicOptions{Rate: 44100, Channels: 1, Tone: 440, Skew: skew})
			r := readMic(t, clock, src, 20*time.Second)
			drift := src.(capture.Reporter).Status().DriftPPM
			want := (skew - 1) * 1e6
			// The latency once the drift is measured (5 to 7 s) is the
			// reference; every later second must keep it. Each second's
			// smallest latency is compared: a reader scheduled late
			// only adds to it.
			perSecond := r.frames / 20
			ref := slices.Min(r.latency[5*perSecond : 7*perSecond])
			var worst time.Duration
			for s := 7; s < 20; s++ {
				worst = max(worst, absDur(slices.Min(r.latency[s*perSecond:(s+1)*perSecond])-ref))
			}
			tone := testpeer.AnalyzeTone(r.pcm, encoderFormat.SampleRate, 500*time.Millisecond)
			t.Logf("drift %.0f ppm (want %.0f); latency %v, worst deviation %v after 7 s; tone %.2f Hz, %d discontinuities %v",
				drift, want, ref, worst, tone.FreqHz, tone.Discontinuities, tone.At)
			if math.Abs(drift-want) > 1000 {
				t.Errorf("DriftPPM %.0f, want %.0f±1000", drift, want)
			}
			if worst > 40*time.Millisecond || ref > 200*time.Millisecond || ref < -50*time.Millisecond {
				t.Errorf("latency %v, deviating up to %v: want it steady within 40 ms", ref, worst)
			}
			// At exactly the 0.5% the aligner corrects, about one run in
			// four shows one phase jump in the 20 s (a re-lock, cause not
			// yet found); uncopied buffers gave hundreds.
			if tone.Discontinuities > 1 {
				t.Errorf("%d discontinuities at %v", tone.Discontinuities, tone.At)
			}
		})
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// readUntilLost reads until Read fails, and returns how long after since
// that came, and the error.
func readUntilLost(t *testing.T, clock *capture.Clock, src capture.AudioSource, since time.Duration) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		f, err := src.Read(ctx)
		if err != nil {
			return clock.Now() - since, err
		}
		f.Release()
	}
}

// TestMicrophoneLost: when the source disappears, or its server dies, Read
// fails within 2 s with an error saying the device is lost, Status says
// so, and Close returns promptly.
func TestMicrophoneLost(t *testing.T) {
	for _, how := range []string{"remove", "kill"} {
		t.Run(how, func(t *testing.T) {
			var logged bytes.Buffer
			old := slog.Default()
			slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
			t.Cleanup(func() { slog.SetDefault(old) })
			leaked := leakedBackends.Load()

			m, clock, src := openPulseMic(t, testpeer.PulseMicOptions{Rate: 48000, Channels: 2})
			readMic(t, clock, src, time.Second)
			gone := clock.Now()
			var err error
			if how == "remove" {
				err = m.Remove()
			} else {
				err = m.Kill()
			}
			if err != nil {
				t.Fatal(err)
			}
			after, err := readUntilLost(t, clock, src, gone)
			t.Logf("%s: read failed after %v: %v", how, after, err)
			if !errors.Is(err, alsa.ErrLost) && !errors.Is(err, alsa.ErrTimeout) {
				t.Errorf("read error %v, want alsa.ErrLost or alsa.ErrTimeout", err)
			}
			if after > 2*time.Second {
				t.Errorf("the loss was noticed after %v, want ≤ 2 s", after)
			}
			if st := src.(capture.Reporter).Status(); st.State != capture.SourceLost || st.Err == nil {
				t.Errorf("status after the loss: %+v", st)
			}
			if _, again := src.Read(context.Background()); !errors.Is(again, alsa.ErrLost) && !errors.Is(again, alsa.ErrTimeout) {
				t.Errorf("second read after the loss: %v", again)
			}
			start := time.Now()
			_ = src.Close()
			took := time.Since(start)
			t.Logf("%s: close took %v; log: %q", how, took, logged.String())
			if took > 1500*time.Millisecond {
				t.Errorf("close took %v, want ≤ 1.5 s", took)
			}
			if leakedBackends.Load() != leaked && !strings.Contains(logged.String(), "audio backend did not close within 1s; leaving it") {
				t.Errorf("a backend was left behind without the log line: %q", logged.String())
			}
		})
	}
}
