package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// TestMicrophoneToNginx streams 10 s from a virtual microphone (a 440 Hz
// tone at 44.1 kHz mono, then 48 kHz stereo) through ALSA's default device
// to nginx-rtmp: the server's recording decodes cleanly, its audio is the
// tone without a single discontinuity after the first 0.5 s, and studio
// prints nothing but its own lines (and x264's, known noise). A machine
// short of CPU may stall the audio server: a dropout then shows as a
// silence in the recording, and studio must have counted it.
func TestMicrophoneToNginx(t *testing.T) {
	for _, o := range []testpeer.PulseMicOptions{{Rate: 44100, Channels: 1, Tone: 440}, {Rate: 48000, Channels: 2, Tone: 440}} {
		t.Run(fmt.Sprintf("%dHz_%dch", o.Rate, o.Channels), func(t *testing.T) {
			mic := testpeer.StartPulseMic(t, o)
			n := testpeer.StartNginx(t)
			key := fmt.Sprintf("mic-%d-%d", o.Rate, o.Channels)
			// A real locale: with LANG=C Fyne prints a locale error (see
			// the README's known noise).
			env := append(mic.Env(), "LANG=en_US.UTF-8", "LC_ALL=")
			r := studio(t, 40*time.Second, env, "-headless", "-audio", "mic", "-size", "640x360", "-fps", "30",
				"-bitrate", "800", "-audio-bitrate", "128", "-duration", "10s", "-url", n.RTMPURL+"/"+key, "-stats-json", "-")
			if r.code != 0 {
				t.Fatalf("studio exited %d", r.code)
			}
			for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if !strings.HasPrefix(l, "studio: ") && !strings.HasPrefix(l, "x264 [info]") {
					t.Errorf("stderr line from outside studio: %q", l)
				}
				if strings.Contains(l, "lost") {
					t.Errorf("the microphone was lost: %q", l)
				}
			}
			n.Stop(t)
			recs := n.Recordings(t, key)
			if len(recs) != 1 {
				t.Fatalf("nginx recorded %v, want one file\n%s", recs, n.ErrorLog())
			}
			rec := testpeer.Probe(t, recs[0])
			if rec.AudioCodec != "aac" || rec.SampleRate != 48000 || rec.Channels != 2 || math.Abs(rec.Duration-10) > 0.5 {
				t.Errorf("recording: audio %s %d Hz %d ch, %.2f s; want aac 48000 Hz 2 ch, 10 s", rec.AudioCodec, rec.SampleRate, rec.Channels, rec.Duration)
			}
			if errs := testpeer.DecodeErrors(t, recs[0]); errs != "" {
				t.Errorf("ffmpeg decode printed:\n%s", errs)
			}
			pcm, rate, errs := testpeer.DecodeAudio(t, recs[0])
			if errs != "" {
				t.Errorf("ffmpeg audio decode printed:\n%s", errs)
			}
			tone := testpeer.AnalyzeTone(pcm, rate, 500*time.Millisecond)
			t.Logf("recorded tone: %.2f Hz, amplitude %.3f, %d discontinuities %v, %d silences %v, %v judged, worst residual %.4f",
				tone.FreqHz, tone.Amplitude, tone.Discontinuities, tone.At, tone.Marks, tone.MarkAt, tone.Analyzed, tone.WorstResidual)
			final := finalStats(t, r.stdout)
			t.Logf("studio counted %d dropouts of the microphone, %v ms of silence", final.AudioGaps, final.AudioGapMS)
			if tone.Discontinuities != 0 || math.Abs(tone.FreqHz-440) > 2 || tone.Analyzed < 9*time.Second {
				t.Errorf("want 9 s or more of a 440 Hz tone without a discontinuity: %d discontinuities at %v, %.2f Hz, %v judged",
					tone.Discontinuities, tone.At, tone.FreqHz, tone.Analyzed)
			}
			if uint64(tone.Marks) > final.AudioGaps || final.AudioGaps > 2 {
				t.Errorf("%d silences at %v in the recording, %d dropouts counted by studio: want every silence counted, and at most 2",
					tone.Marks, tone.MarkAt, final.AudioGaps)
			}
		})
	}
}
