package app

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"studio/publish"
	"studio/publish/health"
)

// StatsLine is one line of -stats-json output: a session's Stats as JSON,
// rounded for people. Its field names are a stable contract.
type StatsLine struct {
	Time          string  `json:"time"`
	State         string  `json:"state"`
	UptimeS       float64 `json:"uptime_s"`
	VideoKbps     float64 `json:"video_kbps"`
	AudioKbps     float64 `json:"audio_kbps"`
	FPS           float64 `json:"fps"`
	FramesSent    uint64  `json:"frames_sent"`
	FramesDropped uint64  `json:"frames_dropped"`
	QueueMS       float64 `json:"queue_ms"`
	TargetKbps    int     `json:"target_kbps"`
	UserKbps      int     `json:"user_kbps"`
	EstimateKbps  float64 `json:"estimate_kbps"`
	Congestion    float64 `json:"congestion"`
	RTTMS         float64 `json:"rtt_ms"`
	LinkDelayMS   float64 `json:"link_delay_ms"`
	Reconnects    int     `json:"reconnects"`

	// ReconnectRequests counts the servers' reconnect requests honoured
	// (switches to a new connection without a gap; not reconnects), and
	// ReconnectRequestsFailed those whose new connection failed, the old
	// one going on.
	ReconnectRequests       int `json:"reconnect_requests"`
	ReconnectRequestsFailed int `json:"reconnect_requests_failed"`

	BytesSent     uint64  `json:"bytes_sent"`
	Recording     bool    `json:"recording"`
	VideoSource   string  `json:"video_source"`
	AudioSource   string  `json:"audio_source"`
	AudioDriftPPM float64 `json:"audio_drift_ppm"`
	// AudioGaps counts the microphone's dropouts (time it delivered
	// nothing, its audio then lost) and AudioGapMS the silence that
	// filled them.
	AudioGaps     uint64  `json:"audio_gaps"`
	AudioGapMS    float64 `json:"audio_gap_ms"`
	FramesSkipped uint64  `json:"frames_skipped"`
	// Destinations has one entry per destination, in the order given;
	// the fields above are their sums (rates, counts, bytes) and their
	// worst (state, queue, congestion, RTT).
	Destinations []DestinationLine `json:"destinations"`

	// GlassToServerMS is the worst live destination's glass-to-server
	// latency estimate (publish.DestinationStats.GlassToServer).
	GlassToServerMS float64 `json:"glass_to_server_ms"`

	// Health is how the stream is, what is to blame and what to do.
	Health health.Report `json:"health"`
}

// DestinationLine is one destination's part of a StatsLine.
type DestinationLine struct {
	URL           string  `json:"url"` // redacted
	State         string  `json:"state"`
	Error         string  `json:"error,omitempty"` // why it ended or last lost its connection; redact before showing
	VideoKbps     float64 `json:"video_kbps"`
	FPS           float64 `json:"fps"`
	FramesSent    uint64  `json:"frames_sent"`
	FramesDropped uint64  `json:"frames_dropped"`
	QueueMS       float64 `json:"queue_ms"`
	TargetKbps    int     `json:"target_kbps"`
	Rendition     string  `json:"rendition"` // "main", or "low" on the second, lower-bitrate encoder
	Reconnects    int     `json:"reconnects"`

	// ReconnectRequests and ReconnectRequestsFailed: as in StatsLine.
	ReconnectRequests       int `json:"reconnect_requests"`
	ReconnectRequestsFailed int `json:"reconnect_requests_failed"`

	BytesSent uint64 `json:"bytes_sent"`

	GlassToServerMS float64 `json:"glass_to_server_ms"` // see publish.DestinationStats.GlassToServer

	Health health.Report `json:"health"` // the destination's own: its link and its server
}

func newDestinationLine(d publish.DestinationStats) DestinationLine {
	l := DestinationLine{
		URL:           d.Name,
		State:         d.State.String(),
		VideoKbps:     round1(d.VideoKbps),
		FPS:           round1(d.FPS),
		FramesSent:    d.FramesSent,
		FramesDropped: d.FramesDropped,
		QueueMS:       round1(float64(d.Queue) / float64(time.Millisecond)),
		TargetKbps:    d.TargetKbps,
		Rendition:     "main",
		Reconnects:    d.Reconnects,
		BytesSent:     d.BytesSent,
		Health:        d.Health,

		ReconnectRequests:       d.ReconnectRequests,
		ReconnectRequestsFailed: d.ReconnectRequestsFailed,
	}
	l.GlassToServerMS = round1(float64(d.GlassToServer) / float64(time.Millisecond))
	if d.LowRendition {
		l.Rendition = "low"
	}
	if d.Err != nil {
		l.Error = d.Err.Error()
	}
	return l
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// NewStatsLine rounds s into a StatsLine.
func NewStatsLine(s publish.Stats) StatsLine {
	return StatsLine{
		Time:          s.Time.UTC().Format(time.RFC3339Nano),
		State:         s.State.String(),
		UptimeS:       round1(s.Uptime.Seconds()),
		VideoKbps:     round1(s.VideoKbps),
		AudioKbps:     round1(s.AudioKbps),
		FPS:           round1(s.FPS),
		FramesSent:    s.FramesSent,
		FramesDropped: s.FramesDropped,
		QueueMS:       round1(float64(s.Queue) / float64(time.Millisecond)),
		TargetKbps:    s.TargetKbps,
		UserKbps:      s.UserKbps,
		EstimateKbps:  round1(s.EstimateKbps),
		Congestion:    math.Round(s.Congestion*100) / 100,
		RTTMS:         round1(float64(s.RTT) / float64(time.Millisecond)),
		LinkDelayMS:   round1(float64(s.LinkDelay) / float64(time.Millisecond)),
		Reconnects:    s.Reconnects,
		BytesSent:     s.BytesSent,
		Recording:     s.Recording,
		VideoSource:   s.VideoSource.State.String(),
		AudioSource:   s.AudioSource.State.String(),
		AudioDriftPPM: math.Round(s.AudioSource.DriftPPM),
		AudioGaps:     s.AudioSource.Gaps,
		AudioGapMS:    round1(float64(s.AudioSource.GapSilence) / float64(time.Millisecond)),
		FramesSkipped: s.VideoSource.Skipped,
		Destinations:  destinationLines(s.Destinations),
		Health:        s.Health,

		ReconnectRequests:       s.ReconnectRequests,
		ReconnectRequestsFailed: s.ReconnectRequestsFailed,

		GlassToServerMS: round1(float64(s.GlassToServer) / float64(time.Millisecond)),
	}
}

func destinationLines(ds []publish.DestinationStats) []DestinationLine {
	out := make([]DestinationLine, 0, len(ds))
	for _, d := range ds {
		out = append(out, newDestinationLine(d))
	}
	return out
}

// WriteStats writes one JSON StatsLine of s per second to w until done
// closes, and a last line then. The destinations' errors and the health
// messages go through red, since they may quote a key; the rest holds
// none.
func WriteStats(w io.Writer, s interface{ Stats() publish.Stats }, done <-chan struct{}, red Redactor) error {
	enc := json.NewEncoder(w)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	line := func() StatsLine {
		l := NewStatsLine(s.Stats())
		l.Health.Message = red.Redact(l.Health.Message)
		for i := range l.Destinations {
			l.Destinations[i].Error = red.Redact(l.Destinations[i].Error)
			l.Destinations[i].Health.Message = red.Redact(l.Destinations[i].Health.Message)
		}
		return l
	}
	for {
		select {
		case <-t.C:
			if err := enc.Encode(line()); err != nil {
				return err
			}
		case <-done:
			return enc.Encode(line())
		}
	}
}
