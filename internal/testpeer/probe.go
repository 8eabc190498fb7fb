package testpeer

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Recording is what ffprobe reports about a recorded file.
type Recording struct {
	Path        string
	VideoCodec  string
	Width       int
	Height      int
	FrameRate   float64 // from r_frame_rate
	VideoFrames int     // decoded frame count
	AudioCodec  string
	SampleRate  int
	Channels    int
	AudioFrames int
	Duration    float64 // container duration, seconds
	VideoKbps   float64 // video payload bits over the video's time span
	FirstVideo  float64 // first video packet's PTS, seconds
	FirstAudio  float64 // first audio packet's PTS, seconds
	VideoPTS    []float64
	VideoSizes  []int // bytes of each video packet, in VideoPTS order
	AudioPTS    []float64
}

// VideoKbpsBetween returns the video bitrate of the packets whose PTS is
// in [from, to) seconds.
func (r Recording) VideoKbpsBetween(from, to float64) float64 {
	var bytes int
	for i, ts := range r.VideoPTS {
		if ts >= from && ts < to {
			bytes += r.VideoSizes[i]
		}
	}
	return float64(bytes) * 8 / (to - from) / 1000
}

// MaxGap returns the longest time between consecutive timestamps.
func MaxGap(pts []float64) float64 {
	var gap float64
	for i := 1; i < len(pts); i++ {
		gap = max(gap, pts[i]-pts[i-1])
	}
	return gap
}

type probeJSON struct {
	Streams []struct {
		CodecType    string `json:"codec_type"`
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		RFrameRate   string `json:"r_frame_rate"`
		SampleRate   string `json:"sample_rate"`
		Channels     int    `json:"channels"`
		NbReadFrames string `json:"nb_read_frames"`
	} `json:"streams"`
	Packets []struct {
		CodecType string `json:"codec_type"`
		PTSTime   string `json:"pts_time"`
		Size      string `json:"size"`
	} `json:"packets"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// Probe runs ffprobe on path and returns what it found. It fails the test
// when ffprobe cannot read the file.
func Probe(t testing.TB, path string) Recording {
	t.Helper()
	bin := Require(t, "ffprobe")[0]
	out, err := exec.Command(bin, "-v", "error", "-count_frames",
		"-show_entries", "stream=codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels,nb_read_frames:format=duration:packet=codec_type,pts_time,size",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probeJSON
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	r := Recording{Path: path}
	r.Duration, _ = strconv.ParseFloat(p.Format.Duration, 64)
	for _, s := range p.Streams {
		n, _ := strconv.Atoi(s.NbReadFrames)
		switch s.CodecType {
		case "video":
			r.VideoCodec, r.Width, r.Height, r.VideoFrames = s.CodecName, s.Width, s.Height, n
			r.FrameRate = parseRatio(s.RFrameRate)
		case "audio":
			r.AudioCodec, r.Channels, r.AudioFrames = s.CodecName, s.Channels, n
			r.SampleRate, _ = strconv.Atoi(s.SampleRate)
		}
	}
	var videoBytes int
	for _, pk := range p.Packets {
		ts, err := strconv.ParseFloat(pk.PTSTime, 64)
		if err != nil {
			continue
		}
		size, _ := strconv.Atoi(pk.Size)
		switch pk.CodecType {
		case "video":
			r.VideoPTS = append(r.VideoPTS, ts)
			r.VideoSizes = append(r.VideoSizes, size)
			videoBytes += size
		case "audio":
			r.AudioPTS = append(r.AudioPTS, ts)
		}
	}
	if len(r.VideoPTS) > 0 {
		r.FirstVideo = r.VideoPTS[0]
	}
	if len(r.AudioPTS) > 0 {
		r.FirstAudio = r.AudioPTS[0]
	}
	if n := len(r.VideoPTS); n > 1 && r.FrameRate > 0 {
		span := r.VideoPTS[n-1] - r.VideoPTS[0] + 1/r.FrameRate
		r.VideoKbps = float64(videoBytes) * 8 / span / 1000
	}
	return r
}

func parseRatio(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	n, _ := strconv.ParseFloat(num, 64)
	d, _ := strconv.ParseFloat(den, 64)
	if d == 0 {
		return 0
	}
	return n / d
}

// DecodeErrors decodes every frame of path with ffmpeg and returns what it
// printed at level error; a clean file gives "".
//
// Frames keep their own timestamps, in the file's own millisecond time base
// (-fps_mode passthrough -enc_time_base -1). Otherwise ffmpeg converts them
// to a time base of one frame at the rate it guesses from the first
// packets, and a guess below the real rate, thrown off by frames the source
// skipped under load, makes neighbouring frames collide there: ffmpeg then
// reports repeated timestamps that are not in the file. Timestamps that
// really repeat or go back are still reported.
func DecodeErrors(t testing.TB, path string) string {
	t.Helper()
	bin := Require(t, "ffmpeg")[0]
	out, err := exec.Command(bin, "-nostdin", "-v", "error", "-i", path,
		"-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-").CombinedOutput()
	if err != nil && len(out) == 0 {
		return fmt.Sprintf("ffmpeg failed: %v", err)
	}
	return string(out)
}

// Expect is what a recording of a synthetic stream must show.
type Expect struct {
	Width, Height int
	FPS           int
	Seconds       float64
	VideoKbps     float64 // 0: not checked
	SampleRate    int
	Channels      int
	// Skipped is how many frames studio reported (frames_skipped) that its
	// source did not deliver in time; they count towards the frame total.
	Skipped uint64
}

// missingSlots counts the frame slots at fps that no frame fills between
// the first and the last of pts.
func missingSlots(pts []float64, fps int) uint64 {
	var n uint64
	for i := 1; i < len(pts); i++ {
		if slots := math.Round((pts[i] - pts[i-1]) * float64(fps)); slots > 1 {
			n += uint64(slots) - 1
		}
	}
	return n
}

// sentShare is the share of frame slots that carried a frame.
func sentShare(sent int, skipped uint64) float64 {
	if sent <= 0 {
		return 1
	}
	return float64(sent) / (float64(sent) + float64(skipped))
}

// Check fails the test unless the recording has the expected codecs, size,
// frame rate and count (±3; when the source reported skipped slots, every
// slot missing between the first frame and the last must be among them),
// duration (±0.3 s), video bitrate (±10%, of the frames sent), audio
// format, decodes without errors, and starts audio and video within one
// frame of each other.
func Check(t testing.TB, r Recording, want Expect) {
	t.Helper()
	frame := 1 / float64(want.FPS)
	if r.VideoCodec != "h264" || r.Width != want.Width || r.Height != want.Height {
		t.Errorf("%s: video %s %dx%d, want h264 %dx%d", r.Path, r.VideoCodec, r.Width, r.Height, want.Width, want.Height)
	}
	if math.Abs(r.FrameRate-float64(want.FPS)) > 0.01 {
		t.Errorf("%s: frame rate %.3f, want %d", r.Path, r.FrameRate, want.FPS)
	}
	// Every frame slot is accounted for: sent, or reported skipped. With
	// no skips, that is the run's slots. A source that runs behind stops
	// a few slots short of the end, since the run ends by the clock (the
	// duration check below bounds that), and its count covers its whole
	// life, connecting and stopping included; then every slot missing
	// from the recording, between its first frame and its last, must be
	// one it reported.
	total := want.Seconds * float64(want.FPS)
	if want.Skipped == 0 {
		if n := float64(r.VideoFrames); n < total-3 || n > total+3 {
			t.Errorf("%s: %d video frames, want %.0f to %.0f", r.Path, r.VideoFrames, total-3, total+3)
		}
	} else {
		missing := missingSlots(r.VideoPTS, want.FPS)
		if float64(r.VideoFrames) > total+3 || missing > want.Skipped+3 {
			t.Errorf("%s: %d video frames and %d slots missing between them, %d reported skipped; want at most %.0f frames, and every missing slot reported (±3)",
				r.Path, r.VideoFrames, missing, want.Skipped, total+3)
		}
	}
	if r.AudioCodec != "aac" || r.SampleRate != want.SampleRate || r.Channels != want.Channels {
		t.Errorf("%s: audio %s %d Hz %d ch, want aac %d Hz %d ch", r.Path, r.AudioCodec, r.SampleRate, r.Channels, want.SampleRate, want.Channels)
	}
	if math.Abs(r.Duration-want.Seconds) > 0.3 {
		t.Errorf("%s: duration %.3f s, want %.1f±0.3", r.Path, r.Duration, want.Seconds)
	}
	// x264 spends its budget per frame (bitrate / frame rate): frame slots
	// the source skipped carry no bits.
	if kbps := want.VideoKbps * sentShare(r.VideoFrames, want.Skipped); kbps > 0 && math.Abs(r.VideoKbps-kbps) > kbps*0.10 {
		t.Errorf("%s: video bitrate %.0f kbps, want %.0f±10%% (%.0f for the %d of %d frame slots sent)", r.Path, r.VideoKbps, kbps,
			want.VideoKbps, r.VideoFrames, uint64(r.VideoFrames)+want.Skipped)
	}
	if len(r.VideoPTS) == 0 || len(r.AudioPTS) == 0 {
		t.Errorf("%s: %d video and %d audio packets", r.Path, len(r.VideoPTS), len(r.AudioPTS))
	} else if d := math.Abs(r.FirstVideo - r.FirstAudio); d > frame+1e-6 {
		t.Errorf("%s: first video at %.3f s and first audio at %.3f s: %.1f ms apart, want ≤ one frame", r.Path, r.FirstVideo, r.FirstAudio, d*1000)
	}
	if errs := DecodeErrors(t, r.Path); errs != "" {
		t.Errorf("%s: ffmpeg decode printed:\n%s", r.Path, errs)
	}
	t.Logf("%s: %s %dx%d %.2f fps %d frames, %s %d Hz %d ch %d frames, %.3f s, video %.0f kbps, first v/a %.3f/%.3f s",
		r.Path, r.VideoCodec, r.Width, r.Height, r.FrameRate, r.VideoFrames, r.AudioCodec, r.SampleRate, r.Channels,
		r.AudioFrames, r.Duration, r.VideoKbps, r.FirstVideo, r.FirstAudio)
}
