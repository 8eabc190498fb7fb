package publish

import (
	"time"

	"studio/capture"
	"studio/publish/health"
)

// Stats is a snapshot of a session's health. With several destinations the
// rates, counts and bytes are their sums, and the queue, congestion, RTT and
// link delay the worst of them; EstimateKbps is the lowest. Rates are over
// the last second, of what was sent to the servers; while the session only
// records, of what was recorded.
type Stats struct {
	Time          time.Time
	State         State
	Uptime        time.Duration // since the stream went live; while only recording, since the session started
	VideoKbps     float64
	AudioKbps     float64
	FPS           float64
	FramesSent    uint64
	FramesDropped uint64
	Queue         time.Duration // media time waiting to be sent
	// Congestion is the queue as a share of the queue limit, from 0 (clear)
	// to 1 (dropping video).
	Congestion float64
	// TargetKbps is the video bitrate the encoder aims at now; adaptive
	// bitrate moves it between its floor and UserKbps.
	TargetKbps int
	UserKbps   int
	// EstimateKbps is the throughput the link delivers: the transport's
	// delivery rate where it reports one, else what was sent over the
	// last second (audio and video).
	EstimateKbps float64
	// DeliveryKbps is the transport's own measure of it, 0 where unknown or
	// where the last sample was taken while sending less than the link
	// could carry.
	DeliveryKbps float64
	// RTT is the connection's smoothed round-trip time, and LinkDelay how
	// much of it queues along the path add; both zero where unknown.
	RTT        time.Duration
	LinkDelay  time.Duration
	Reconnects int
	// ReconnectRequests counts the servers' reconnect requests honoured
	// (a switch to a new connection, which is not a reconnect), and
	// ReconnectRequestsFailed those whose new connection failed (the old
	// one went on); see Destination.Redial.
	ReconnectRequests, ReconnectRequestsFailed int
	BytesSent                                  uint64
	Recording                                  bool // a local recording is being written
	// VideoSource and AudioSource are the capture devices' health (zero
	// when the Config gave no reporter).
	VideoSource, AudioSource capture.SourceStatus
	// Destinations has one entry per destination, in the order they were
	// added, including those that ended.
	Destinations []DestinationStats
	// Health says how the stream is, what is to blame and what to do; it
	// is diagnosed once a second from these numbers.
	Health health.Report

	// GlassToServer is the worst of the live destinations' (see
	// DestinationStats.GlassToServer).
	GlassToServer time.Duration
}

// DestinationStats is one destination's share of Stats.
type DestinationStats struct {
	Name       string
	State      State
	Err        error // why it ended or last lost its connection
	VideoKbps  float64
	AudioKbps  float64
	FPS        float64
	FramesSent uint64
	// FramesDropped counts the video frames this destination did not send:
	// dropped at its queue, or passed over while it moved between
	// renditions.
	FramesDropped uint64
	Queue         time.Duration
	Congestion    float64
	// TargetKbps is the video bitrate this destination's link asks for.
	TargetKbps int
	// LowRendition is set while the destination streams the low rendition
	// (see Config.Rendition) rather than the main video.
	LowRendition bool
	EstimateKbps float64
	DeliveryKbps float64
	RTT          time.Duration
	LinkDelay    time.Duration
	Reconnects   int
	// ReconnectRequests and ReconnectRequestsFailed count its server's
	// reconnect requests honoured and failed (see Stats).
	ReconnectRequests, ReconnectRequestsFailed int
	BytesSent                                  uint64
	// Health is this destination's own: its link and its server.
	Health health.Report

	// GlassToServer estimates how long a frame captured now takes until
	// the server has its last byte: the encoder's delay, the wait in the
	// destination's queue, the time the socket needs to deliver what it
	// holds unsent and unacknowledged, and half the link's minimum round
	// trip (see glass.go). Zero while the destination is not connected.
	GlassToServer time.Duration
}

// sum folds the destinations into the session's totals.
func (st *Stats) sum(ds []DestinationStats) {
	first := true
	for _, d := range ds {
		st.FramesSent += d.FramesSent
		st.FramesDropped += d.FramesDropped
		st.Reconnects += d.Reconnects
		st.ReconnectRequests += d.ReconnectRequests
		st.ReconnectRequestsFailed += d.ReconnectRequestsFailed
		st.BytesSent += d.BytesSent
		if !d.State.active() {
			continue
		}
		st.VideoKbps += d.VideoKbps
		st.AudioKbps += d.AudioKbps
		st.FPS = max(st.FPS, d.FPS)
		st.Queue = max(st.Queue, d.Queue)
		st.Congestion = max(st.Congestion, d.Congestion)
		st.RTT = max(st.RTT, d.RTT)
		st.LinkDelay = max(st.LinkDelay, d.LinkDelay)
		st.GlassToServer = max(st.GlassToServer, d.GlassToServer)
		if first || d.EstimateKbps < st.EstimateKbps {
			st.EstimateKbps = d.EstimateKbps
		}
		if first || d.DeliveryKbps < st.DeliveryKbps {
			st.DeliveryKbps = d.DeliveryKbps
		}
		first = false
	}
}
