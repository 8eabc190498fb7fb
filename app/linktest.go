package app

import (
	"context"
	"fmt"
	"math"
	"syscall"
	"time"

	"studio/publish/linktest"
)

// The length of a link test: 2.5 s of TCP slow start that is not
// measured, then at least 0.5 s of measure.
const (
	DefaultLinkTest = linktest.DefaultDuration
	MinLinkTest     = linktest.DefaultSkip + linktest.MinMeasured
	MaxLinkTest     = linktest.MaxDuration
)

// LinkReport is what a link test found, and the settings it suggests. Its
// JSON form is the line that studio -test-link prints.
type LinkReport struct {
	// UploadKbps is what the link delivered: the bytes that the server's
	// TCP acknowledged after the first 2.5 s (slow start), over that
	// time. The test sends at up to 20 Mbit/s, so a faster link shows as
	// about 20000 (AtCeiling).
	UploadKbps int `json:"upload_kbps"`
	// RTTms is the link's round-trip time without the queueing that the
	// test itself causes: the lowest the kernel measured on the
	// connection (TCP's min RTT), in milliseconds.
	RTTms float64 `json:"rtt_ms"`
	// SuggestedKbps is the video bitrate to stream at (-bitrate), and
	// SuggestedSize ("WxH") and SuggestedFPS the picture; see Suggest.
	SuggestedKbps int    `json:"suggested_kbps"`
	SuggestedSize string `json:"suggested_size"`
	SuggestedFPS  int    `json:"suggested_fps"`

	// AtCeiling means the link took all the test sent: it may carry more.
	AtCeiling bool `json:"-"`
	// Measured is the measured part of the test.
	Measured time.Duration `json:"-"`
	// EncodeFPS is how fast x264 (EncodePreset) encoded the test clip of
	// EncodeSize on this machine, in frames a second; it caps the size.
	EncodeFPS    float64 `json:"-"`
	EncodeSize   string  `json:"-"`
	EncodePreset string  `json:"-"`
	// CPUTime is the processor time the whole test took (encoding the
	// clip, then publishing it), all threads.
	CPUTime time.Duration `json:"-"`
	// CacheErr says why the result could not be saved for LastLinkKbps
	// (nil: saved). The test itself succeeded.
	CacheErr error `json:"-"`
}

// TestLink runs a link test to rawURL (a publish URL, stream key
// included) for d (DefaultLinkTest when 0; MinLinkTest to MaxLinkTest):
//
//   - it encodes two seconds of the test pattern at 1280x720, 30 fps, with
//     x264 preset veryfast, and times it: that says what size and frame
//     rate this machine can encode in real time;
//   - it publishes that clip, looped and padded with H.264 filler data up
//     to 20 Mbit/s, with silent AAC, to the ingest (Twitch ingests get
//     ?bandwidthtest=true, so that no viewer sees it), and measures the
//     upload from the bytes the server's TCP acknowledged, after the
//     first 2.5 s;
//   - it suggests settings (Suggest) and saves the result for rawURL's
//     host (SaveLinkReport; a failure there is in CacheErr).
//
// Errors are those of publishing (publish.ErrConnect, ErrRejected, …: pass
// them to Describe with the Destination), of a bad URL (publish.ErrBadURL)
// or duration, or ctx's. None quotes the stream key.
func TestLink(ctx context.Context, rawURL string, d time.Duration) (LinkReport, error) {
	if _, err := ParseDestination(rawURL); err != nil {
		return LinkReport{}, err
	}
	if d == 0 {
		d = DefaultLinkTest
	}
	if d < MinLinkTest || d > MaxLinkTest {
		return LinkReport{}, fmt.Errorf("a link test of %v: use %v to %v", d, MinLinkTest, MaxLinkTest)
	}
	cpu0 := processCPU()
	clip, err := linktest.EncodeClip(ctx, linktest.ClipConfig{})
	if err != nil {
		return LinkReport{}, err
	}
	res, err := linktest.Run(ctx, linktest.Config{URL: rawURL, Duration: d, Clip: clip})
	if err != nil {
		return LinkReport{}, err
	}
	s := Suggest(res.UploadKbps, clip.PixelRate())
	r := LinkReport{
		UploadKbps:    int(math.Round(res.UploadKbps)),
		RTTms:         math.Round(float64(res.MinRTT.Microseconds())/100) / 10,
		SuggestedKbps: s.VideoKbps,
		SuggestedSize: s.Size(),
		SuggestedFPS:  s.FPS,
		AtCeiling:     res.AtCeiling,
		Measured:      res.Measured,
		EncodeFPS:     clip.EncodeFPS,
		EncodeSize:    fmt.Sprintf("%dx%d", clip.Video.Width, clip.Video.Height),
		EncodePreset:  clip.Preset,
		CPUTime:       processCPU() - cpu0,
	}
	r.CacheErr = SaveLinkReport(rawURL, r, time.Now())
	return r, nil
}

// processCPU is the processor time the process has used so far (user and
// system, all threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
