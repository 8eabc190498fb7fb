package av1

import (
	"errors"
	"fmt"
	"math"
	"time"

	"studio/capture"
)

// Defaults for a zero Config field.
const (
	DefaultBitrateKbps = 2500
	DefaultKeyInterval = 2 * time.Second
	// DefaultPreset is SVT-AV1's fastest. In the low-delay structure this
	// package uses it costs about 40% less CPU than preset 12 for about
	// 0.1 to 0.5 dB of PSNR at the same bitrate, and it is the only preset
	// that can keep 1280x720 at 30 fps on two cores (see the package doc).
	DefaultPreset = 13
)

// MinPreset and MaxPreset bound Config.Preset. Presets below 8 are
// far too slow for live video.
const (
	MinPreset = 1
	MaxPreset = 13
)

// EncoderName is reported in VideoConfig.Encoder.
const EncoderName = "studio (SVT-AV1)"

// Config sets up an Encoder. The zero value of each field selects a default.
type Config struct {
	// Width, Height and FPS describe the frames; zero takes the source's
	// Props. When set they must agree with the source. SVT-AV1 needs at
	// least 64x64.
	Width, Height, FPS int
	// BitrateKbps is the target bitrate in kbit/s (DefaultBitrateKbps
	// when 0), kept by SVT-AV1's CBR rate control.
	BitrateKbps int
	// KeyInterval is the time between key frames (DefaultKeyInterval when
	// 0), rounded to a whole number of frames, at least one.
	KeyInterval time.Duration
	// Preset is the SVT-AV1 speed preset, MinPreset (slowest) to
	// MaxPreset (fastest); DefaultPreset when 0.
	Preset int
}

// KeyIntervalFrames returns the key frame interval in frames for c:
// round(FPS × KeyInterval), at least 1. c must have FPS set.
func (c Config) KeyIntervalFrames() int {
	ki := c.KeyInterval
	if ki == 0 {
		ki = DefaultKeyInterval
	}
	return max(1, int(math.Round(float64(c.FPS)*ki.Seconds())))
}

// normalise fills c's zero fields from props and the defaults and checks it.
func (c Config) normalise(props capture.VideoProps) (Config, error) {
	if c.Width == 0 {
		c.Width = props.Width
	}
	if c.Height == 0 {
		c.Height = props.Height
	}
	if c.FPS == 0 {
		c.FPS = props.FPS
	}
	if c.Width != props.Width || c.Height != props.Height || c.FPS != props.FPS {
		return c, fmt.Errorf("av1: config %dx%d@%d does not match the source's %dx%d@%d",
			c.Width, c.Height, c.FPS, props.Width, props.Height, props.FPS)
	}
	if c.Width < 64 || c.Height < 64 || c.Width%2 != 0 || c.Height%2 != 0 {
		return c, fmt.Errorf("av1: size %dx%d: width and height must be even and at least 64", c.Width, c.Height)
	}
	if c.FPS <= 0 {
		return c, fmt.Errorf("av1: frame rate %d must be positive", c.FPS)
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = DefaultBitrateKbps
	}
	if err := checkBitrate(c.BitrateKbps); err != nil {
		return c, err
	}
	if c.KeyInterval == 0 {
		c.KeyInterval = DefaultKeyInterval
	}
	if c.KeyInterval < 0 {
		return c, fmt.Errorf("av1: key interval %v must be positive", c.KeyInterval)
	}
	if c.Preset == 0 {
		c.Preset = DefaultPreset
	}
	if c.Preset < MinPreset || c.Preset > MaxPreset {
		return c, fmt.Errorf("av1: preset %d is not in %d..%d", c.Preset, MinPreset, MaxPreset)
	}
	return c, nil
}

// maxBitrateKbps keeps the bitrate in bit/s within SVT-AV1's uint32.
const maxBitrateKbps = 100_000

var errBitrate = errors.New("av1: bitrate out of range")

func checkBitrate(kbps int) error {
	if kbps <= 0 || kbps > maxBitrateKbps {
		return fmt.Errorf("%w: %d kbit/s is not in 1..%d", errBitrate, kbps, maxBitrateKbps)
	}
	return nil
}

func (c Config) svt(kbps int) svtConfig {
	return svtConfig{
		width: c.Width, height: c.Height, fps: c.FPS, preset: c.Preset,
		bitrate: kbps * 1000, keyint: c.KeyIntervalFrames(),
	}
}
