package hevc

import (
	"fmt"
	"math"
	"strings"
	"time"

	"studio/capture"
)

// Defaults for a zero Config field.
const (
	DefaultBitrateKbps = 2500
	DefaultKeyInterval = 2 * time.Second
	// DefaultPreset is x265's fastest, the only one that comes near
	// 1280x720 at 30 fps on two cores (see the package doc and
	// BenchmarkCodec720p).
	DefaultPreset = "ultrafast"
)

// EncoderName is reported in VideoConfig.Encoder.
const EncoderName = "studio (x265)"

// Presets lists the x265 preset names Config.Preset accepts, fastest first.
func Presets() []string {
	return []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}
}

// Config sets up an Encoder. The zero value of each field selects a default.
type Config struct {
	// Width, Height and FPS describe the frames; zero takes the source's
	// Props. When set they must agree with the source.
	Width, Height, FPS int
	// BitrateKbps is the target average bitrate in kbit/s
	// (DefaultBitrateKbps when 0).
	BitrateKbps int
	// KeyInterval is the time between IDR frames (DefaultKeyInterval when
	// 0), rounded to a whole number of frames, at least one.
	KeyInterval time.Duration
	// Preset is an x265 preset name, "ultrafast" to "placebo"
	// (DefaultPreset when empty). See Presets.
	Preset string
}

// KeyIntervalFrames returns the IDR interval in frames for c:
// round(FPS × KeyInterval), at least 1. c must have FPS set.
func (c Config) KeyIntervalFrames() int {
	ki := c.KeyInterval
	if ki == 0 {
		ki = DefaultKeyInterval
	}
	return max(1, int(math.Round(float64(c.FPS)*ki.Seconds())))
}

// normalise fills cfg's defaults from props and checks it.
func normalise(cfg Config, props capture.VideoProps) (Config, error) {
	if cfg.Width == 0 {
		cfg.Width = props.Width
	}
	if cfg.Height == 0 {
		cfg.Height = props.Height
	}
	if cfg.FPS == 0 {
		cfg.FPS = props.FPS
	}
	if cfg.Width != props.Width || cfg.Height != props.Height || cfg.FPS != props.FPS {
		return cfg, fmt.Errorf("hevc: config %dx%d@%d does not match the source's %dx%d@%d",
			cfg.Width, cfg.Height, cfg.FPS, props.Width, props.Height, props.FPS)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width%2 != 0 || cfg.Height%2 != 0 {
		return cfg, fmt.Errorf("hevc: size %dx%d: width and height must be positive and even", cfg.Width, cfg.Height)
	}
	if cfg.FPS <= 0 {
		return cfg, fmt.Errorf("hevc: frame rate %d must be positive", cfg.FPS)
	}
	if cfg.BitrateKbps == 0 {
		cfg.BitrateKbps = DefaultBitrateKbps
	}
	if cfg.BitrateKbps < 0 {
		return cfg, fmt.Errorf("hevc: bitrate %d kbit/s must be positive", cfg.BitrateKbps)
	}
	if cfg.KeyInterval == 0 {
		cfg.KeyInterval = DefaultKeyInterval
	}
	if cfg.KeyInterval < 0 {
		return cfg, fmt.Errorf("hevc: key interval %v must be positive", cfg.KeyInterval)
	}
	if cfg.Preset == "" {
		cfg.Preset = DefaultPreset
	}
	cfg.Preset = strings.ToLower(cfg.Preset)
	for _, p := range Presets() {
		if p == cfg.Preset {
			return cfg, nil
		}
	}
	return cfg, fmt.Errorf("%w %q (want one of %s)", ErrUnknownPreset, cfg.Preset, strings.Join(Presets(), ", "))
}
