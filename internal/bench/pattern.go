package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"

	"studio/capture"
	"studio/capture/synth"
)

// patternSeconds is how much of studio's test pattern and tone
// ffmpeg-pattern loops. 3 s of the 1 kHz tone at 48 kHz is a whole number
// of its periods, so the loop is seamless.
const patternSeconds = 3

// patternFiles are studio's own pictures and sound, as ffmpeg-pattern sends
// them: raw I420 frames, and raw PCM (s16le, 48 kHz, stereo).
type patternFiles struct{ video, audio string }

// inputs returns ffmpeg's options for reading the files in real time,
// looped: input 0 the video, input 1 the audio.
func (f patternFiles) inputs(c config) []string {
	return []string{
		"-re", "-stream_loop", "-1", "-f", "rawvideo", "-pix_fmt", "yuv420p",
		"-s", fmt.Sprintf("%dx%d", c.Width, c.Height), "-r", fmt.Sprint(c.FPS), "-i", f.video,
		"-re", "-stream_loop", "-1", "-f", "s16le", "-ar", fmt.Sprint(toneRate), "-ac", fmt.Sprint(toneChannels), "-i", f.audio,
	}
}

// The tone studio sends in the bench: its default synth source.
const (
	toneHz       = 1000
	toneRate     = 48000
	toneChannels = 2
)

// dumpPattern writes patternSeconds of studio's test pattern and tone, as
// studio makes them, to the files.
func dumpPattern(files patternFiles, c config) error {
	if err := dumpVideo(files.video, c); err != nil {
		return err
	}
	return dumpTone(files.audio)
}

// dumpTone writes patternSeconds of studio's tone to path as s16le.
func dumpTone(path string) error {
	tone, err := synth.NewTone(capture.NewClock(), capture.AudioProps{SampleRate: toneRate, Channels: toneChannels}, toneHz, 0, synth.Unpaced())
	if err != nil {
		return fmt.Errorf("tone: %w", err)
	}
	defer tone.Close()
	total := patternSeconds * toneRate
	b := make([]byte, 0, total*toneChannels*2)
	for n := 0; n < total; {
		f, err := tone.Read(context.Background())
		if err != nil {
			return fmt.Errorf("tone: %w", err)
		}
		s := f.Samples[:min(len(f.Samples), (total-n)*toneChannels)]
		for _, v := range s {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		n += len(s) / toneChannels
		f.Release()
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("tone: %w", err)
	}
	return nil
}

// dumpVideo writes patternSeconds of studio's test pattern, as studio
// renders it, to path as raw I420.
func dumpVideo(path string, c config) error {
	pat, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: c.Width, Height: c.Height, FPS: c.FPS}, synth.Unpaced())
	if err != nil {
		return fmt.Errorf("test pattern: %w", err)
	}
	defer pat.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("test pattern: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ySize, cSize := c.Width*c.Height, c.Width*c.Height/4
	for range patternSeconds * c.FPS {
		fr, err := pat.Read(context.Background())
		if err != nil {
			f.Close()
			return fmt.Errorf("test pattern: %w", err)
		}
		img := fr.Image
		for _, plane := range [][]byte{img.Y[:ySize], img.Cb[:cSize], img.Cr[:cSize]} {
			if _, err := w.Write(plane); err != nil {
				f.Close()
				return fmt.Errorf("test pattern: %w", err)
			}
		}
		fr.Release()
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("test pattern: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("test pattern: %w", err)
	}
	return nil
}
