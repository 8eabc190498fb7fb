package linktest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/aac"
	"studio/encode/h264"
)

// ClipConfig sets up EncodeClip. The zero value of each field selects a
// default.
type ClipConfig struct {
	// Width, Height and FPS of the clip: default 1280x720 at 30 fps, the
	// size whose encoding time is the CPU measure.
	Width, Height, FPS int
	// Length of the clip, a whole number of frames: default 2 s. The
	// clip is one group of pictures (a single IDR frame first), so that
	// it loops without breaking references.
	Length time.Duration
	// Preset is the x264 preset: default "veryfast", the one studio
	// streams with.
	Preset string
	// VideoKbps is x264's target bitrate (default 2500) and AudioKbps the
	// AAC bitrate (default 128). Padding brings the sent rate far above.
	VideoKbps, AudioKbps int
}

func (c ClipConfig) withDefaults() ClipConfig {
	if c.Width == 0 || c.Height == 0 {
		c.Width, c.Height = 1280, 720
	}
	if c.FPS == 0 {
		c.FPS = 30
	}
	if c.Length <= 0 {
		c.Length = 2 * time.Second
	}
	if c.Preset == "" {
		c.Preset = h264.DefaultPreset
	}
	if c.VideoKbps == 0 {
		c.VideoKbps = h264.DefaultBitrateKbps
	}
	if c.AudioKbps == 0 {
		c.AudioKbps = aac.DefaultBitrateKbps
	}
	return c
}

// clipSampleRate and clipChannels are the clip's audio format.
const (
	clipSampleRate = 48000
	clipChannels   = 2
)

// Clip is a short piece of real H.264 (the test pattern) and AAC
// (silence), encoded once and then looped by the prober. Its first video
// frame is an IDR frame; it is immutable and safe to share.
type Clip struct {
	Video encode.VideoConfig
	Audio encode.AudioConfig
	// Preset is the x264 preset the clip was encoded with.
	Preset string
	// EncodeFPS is how many frames a second x264 encoded, from a frame's
	// arrival to its packet (h264.Encoder.Work), over every frame but the
	// first, which pays for x264's start-up. It is wall time, so it
	// counts x264's threads working in parallel and a machine whose cores
	// are busy with something else.
	EncodeFPS float64
	// EncodeTime is the wall time EncodeClip spent encoding.
	EncodeTime time.Duration

	frames []clipFrame // Video.FPS frames a second
	audio  [][]byte    // raw AAC access units of clipFrameSamples each
}

type clipFrame struct {
	data []byte // AVCC NAL units
	key  bool
}

// Frames returns the number of video frames in the clip.
func (c *Clip) Frames() int { return len(c.frames) }

// PixelRate is the number of pixels a second that x264, with the clip's
// preset, encodes on this machine: Width × Height × EncodeFPS. x264's
// work grows about in proportion to the pixels it codes, so a picture
// size and frame rate whose Width × Height × FPS stays well below
// PixelRate can be encoded in real time.
func (c *Clip) PixelRate() float64 {
	return float64(c.Video.Width*c.Video.Height) * c.EncodeFPS
}

// EncodeClip encodes cfg's clip: the synth test pattern (unpaced, so as
// fast as x264 goes) and AAC silence. It times the video encode for
// EncodeFPS. It stops early with ctx's error.
func EncodeClip(ctx context.Context, cfg ClipConfig) (*Clip, error) {
	cfg = cfg.withDefaults()
	n := int(cfg.Length.Seconds()*float64(cfg.FPS) + 0.5)
	if n < 2 {
		return nil, fmt.Errorf("linktest: a clip of %v at %d fps has fewer than 2 frames", cfg.Length, cfg.FPS)
	}
	clock := capture.NewClock()
	c := &Clip{Preset: cfg.Preset}
	began := time.Now()
	if err := c.encodeVideo(ctx, clock, cfg, n); err != nil {
		return nil, err
	}
	c.EncodeTime = time.Since(began)
	if err := c.encodeAudio(ctx, clock, cfg); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Clip) encodeVideo(ctx context.Context, clock *capture.Clock, cfg ClipConfig, n int) (err error) {
	pat, err := synth.NewPattern(clock, capture.VideoProps{Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS}, synth.Unpaced())
	if err != nil {
		return fmt.Errorf("linktest: test pattern: %w", err)
	}
	enc, err := h264.New(pat, h264.Config{
		BitrateKbps: cfg.VideoKbps, Preset: cfg.Preset,
		KeyInterval: time.Duration(n) * time.Second / time.Duration(cfg.FPS),
	})
	if err != nil {
		_ = pat.Close()
		return fmt.Errorf("linktest: video encoder: %w", err)
	}
	defer func() {
		if cerr := enc.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("linktest: video encoder: %w", cerr)
		}
	}()
	var frames0 uint64
	var busy0 time.Duration
	for i := range n {
		p, err := enc.ReadPacket(ctx)
		if err != nil {
			return fmt.Errorf("linktest: encoding the clip: %w", err)
		}
		if i == 0 && !p.Keyframe {
			p.Release()
			return errors.New("linktest: the clip's first frame is not an IDR frame")
		}
		c.frames = append(c.frames, clipFrame{data: append([]byte(nil), p.Data...), key: p.Keyframe})
		p.Release()
		if i == 0 {
			frames0, busy0 = enc.Work()
		}
	}
	frames, busy := enc.Work()
	if frames > frames0 && busy > busy0 {
		c.EncodeFPS = float64(frames-frames0) / (busy - busy0).Seconds()
	}
	c.Video = enc.Config()
	return nil
}

// audioPackets is how many AAC frames of silence the clip keeps. Silence
// encodes to the same few bytes every frame, so a short run loops
// seamlessly.
const audioPackets = 16

func (c *Clip) encodeAudio(ctx context.Context, clock *capture.Clock, cfg ClipConfig) (err error) {
	src, err := synth.NewSilence(clock, capture.AudioProps{SampleRate: clipSampleRate, Channels: clipChannels}, 0, synth.Unpaced())
	if err != nil {
		return fmt.Errorf("linktest: silence: %w", err)
	}
	enc, err := aac.New(src, aac.Config{BitrateKbps: cfg.AudioKbps})
	if err != nil {
		_ = src.Close()
		return fmt.Errorf("linktest: audio encoder: %w", err)
	}
	defer func() {
		if cerr := enc.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("linktest: audio encoder: %w", cerr)
		}
	}()
	for range audioPackets {
		p, err := enc.ReadPacket(ctx)
		if err != nil {
			return fmt.Errorf("linktest: encoding silence: %w", err)
		}
		c.audio = append(c.audio, append([]byte(nil), p.Data...))
		p.Release()
	}
	c.Audio = enc.Config()
	return nil
}
