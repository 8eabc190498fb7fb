// Package health turns a session's numbers into an answer a streamer can
// act on: how the stream is (good, warning, bad), what is to blame
// (network, encoder, capture, audio, server), and one plain sentence with
// the number behind it and what to do.
//
// A Diagnosis reads one Sample a second. It judges each destination's link
// and server on their own, and the session as the worst of them and of
// what the destinations share (encoder, camera, microphone). A problem is
// reported from the first sample that shows it; a report gets better only
// after the better state has held for Settle samples, so that a link at its
// limit does not flap between good and warning.
package health

import (
	"time"

	"studio/capture"
)

// Status is how the stream is.
type Status string

const (
	Good    Status = "good"
	Warning Status = "warning" // viewers may notice; the stream goes on
	Bad     Status = "bad"     // viewers notice: frames are lost, or nothing goes out
)

func (s Status) rank() int {
	switch s {
	case Bad:
		return 2
	case Warning:
		return 1
	}
	return 0
}

// Cause is what is to blame.
type Cause string

const (
	None Cause = "none"
	// Network: the link delivers less than the target, the send queue
	// grows, or video is dropped; or the connection timed out.
	Network Cause = "network"
	// Encoder: encoding cannot keep real time.
	Encoder Cause = "encoder"
	// Capture: the camera or screen delivers late or not at all.
	Capture Cause = "capture"
	// Audio: the microphone is lost, or its clock drifts more than studio
	// corrects.
	Audio Cause = "audio"
	// Server: the server refused the stream, dropped the connection, or
	// stopped acknowledging.
	Server Cause = "server"
)

// Report is one verdict. Message is empty when Status is Good.
type Report struct {
	Status  Status `json:"status"`
	Cause   Cause  `json:"cause"`
	Message string `json:"message"`
}

// OK is the report of a stream with nothing wrong.
var OK = Report{Status: Good, Cause: None}

// worse reports whether r is worse than o.
func (r Report) worse(o Report) bool { return r.Status.rank() > o.Status.rank() }

// LinkState is where a destination's connection stands.
type LinkState int

const (
	Connecting LinkState = iota
	Live
	Reconnecting
	Ended  // ended cleanly
	Failed // ended with an error
)

// Destination is one destination's part of a Sample. Counters are totals
// since the session started.
type Destination struct {
	Name  string // as shown to the user (redacted)
	State LinkState
	// Err is why it ended, or last lost its connection.
	Err          error
	UserKbps     int     // the video bitrate the user asked for
	TargetKbps   int     // the video bitrate its link asks for now
	EstimateKbps float64 // what its link delivers, audio and video
	AudioKbps    float64
	Queue        time.Duration // media waiting to be sent
	Dropped      uint64        // video frames it did not send
	Reconnects   int
	LowRendition bool
}

// Sample is what the diagnosis reads once a second.
type Sample struct {
	// At is the time since the session started.
	At time.Duration
	// FPS is the frame rate asked for; 0 when not known yet.
	FPS int
	// Encoded and EncodeBusy are the main video encoder's totals: frames
	// encoded and the wall time spent on them; both 0 when the encoder
	// does not tell.
	Encoded    uint64
	EncodeBusy time.Duration
	// Video and Audio are the capture devices' health.
	Video, Audio capture.SourceStatus
	Destinations []Destination
}
