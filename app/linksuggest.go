package app

import "fmt"

// What a suggestion leaves aside, and for what.
const (
	// LinkHeadroom is the share of the measured upload that a stream may
	// use (video and audio together): the rest absorbs the link's dips
	// and other traffic on it.
	LinkHeadroom = 0.75
	// LinkAudioKbps is the audio bitrate a suggestion counts on (studio's
	// default -audio-bitrate).
	LinkAudioKbps = 128
	// EncoderCPUShare is the share of x264's measured speed a suggestion
	// may use: the rest is for capture, audio, the preview and spikes.
	EncoderCPUShare = 0.6
	// MinSuggestedKbps is the lowest video bitrate suggested (the lowest
	// -bitrate accepts), even on a link too slow for it.
	MinSuggestedKbps = 100
)

// Suggestion is a video setting for a link and a machine.
type Suggestion struct {
	VideoKbps     int // the video bitrate, for -bitrate
	Width, Height int
	FPS           int
}

// Size is "WxH", as -size takes it.
func (s Suggestion) Size() string { return fmt.Sprintf("%dx%d", s.Width, s.Height) }

// rung is one step of the ladder: a size and frame rate, the video
// bitrate it needs to look right (minKbps) and the most it makes good use
// of (maxKbps).
type rung struct {
	w, h, fps        int
	minKbps, maxKbps int
}

// ladder is ordered from the best rung down. Each rung's maxKbps is at
// least the minKbps of the rung above it, so that, as the link grows, the
// suggested bitrate never steps down when the size steps up. The figures follow the platforms' recommendations for
// x264 (Twitch, YouTube) at the low end of each range.
var ladder = []rung{
	{1920, 1080, 60, 5500, 6000},
	{1920, 1080, 30, 4000, 6000},
	{1280, 720, 60, 3200, 6000},
	{1280, 720, 30, 2000, 4500},
	{960, 540, 30, 1200, 2500},
	{854, 480, 30, 800, 1500},
	{640, 360, 30, 0, 1000},
}

// Suggest picks the video bitrate, size and frame rate for a link that
// delivered uploadKbps, on a machine whose x264 (preset veryfast) encodes
// pixelRate pixels a second (see linktest.Clip.PixelRate; 0: unknown, no
// limit). It is a pure function:
//
//   - the stream may use LinkHeadroom of the upload; the video gets that
//     less LinkAudioKbps, rounded down to 50 kbit/s, at least
//     MinSuggestedKbps;
//   - the size and frame rate are the best rung of the ladder (1080p60,
//     1080p30, 720p60, 720p30, 540p30, 480p30, 360p30) whose minimum
//     bitrate the video reaches and whose pixels a second stay within
//     EncoderCPUShare of pixelRate; 360p30 when none does;
//   - the bitrate is capped at what that rung makes good use of.
func Suggest(uploadKbps, pixelRate float64) Suggestion {
	video := int(uploadKbps*LinkHeadroom) - LinkAudioKbps
	video = max(video/50*50, MinSuggestedKbps)
	pick := ladder[len(ladder)-1]
	for _, r := range ladder {
		fits := pixelRate <= 0 || float64(r.w*r.h*r.fps) <= pixelRate*EncoderCPUShare
		if video >= r.minKbps && fits {
			pick = r
			break
		}
	}
	return Suggestion{VideoKbps: min(video, pick.maxKbps), Width: pick.w, Height: pick.h, FPS: pick.fps}
}
