package app

import (
	"context"
	"image"
	"time"

	"studio/encode"
	"studio/publish"
)

// Source IDs that every Backend offers, whatever hardware the machine has,
// and the IDs that name the default devices. Any other ID is a device's
// (capture.Device.ID).
const (
	TestPatternID = "synth"   // a moving test pattern with a frame counter and clock
	ScreenID      = "screen"  // the X11 display
	TestToneID    = "tone"    // a 1 kHz tone
	SilenceID     = "silence" // digital silence
	// DefaultCameraID and DefaultMicrophoneID open the first camera and
	// the default microphone, whatever they are.
	DefaultCameraID     = "camera"
	DefaultMicrophoneID = "mic"
)

// Source is a camera or microphone that the user can pick.
type Source struct {
	ID   string
	Name string
	// Synthetic is true for the test pattern, tone and silence.
	Synthetic bool
}

// Settings are what a front end asks to capture, encode and send. The
// stream key is part of URL and must never be logged.
type Settings struct {
	CameraID      string // see the Source IDs; "" is the test pattern
	Width, Height int
	FPS           int
	MicrophoneID  string // see the Source IDs; "" is the test tone
	VideoKbps     int
	AudioKbps     int
	Preset        string // x264's; HEVC and AV1 use their encoder's real-time default
	KeyInterval   time.Duration
	// Codec is the video codec: H.264 (the zero value), HEVC or AV1, the
	// last two over Enhanced RTMP.
	Codec encode.VideoCodec
	// URL is the full publish URL, stream key included; empty for a
	// recording on its own.
	URL string
	// MoreURLs are further publish URLs streamed at the same time, each on
	// its own connection (at most publish.MaxDestinations in all).
	MoreURLs []string
	// RecordPath, when set, is the local FLV file the session writes.
	RecordPath string
	// Duration, when positive, ends the session cleanly once this much
	// media has been captured.
	Duration time.Duration
}

// Preview is a running preview. Close stops its callbacks; it is safe to
// call more than once.
type Preview interface {
	Close() error
}

// Live is one running session (a stream, a recording, or both).
// Its methods are safe for concurrent use.
type Live interface {
	// Stop ends the session cleanly, or drops the connection when ctx ends
	// first, and returns the error that ended the session.
	Stop(ctx context.Context) error
	Stats() publish.Stats
	// Done is closed once the session has ended and released everything.
	Done() <-chan struct{}
	Err() error
	SetBitrate(kbps int) error
	// StartRecording starts writing the session's stream to a new local
	// FLV file at path, from the next keyframe on, while the stream goes
	// on. It returns publish.ErrRecording when the session records already.
	StartRecording(path string) error
	// StopRecording finishes the recording; the stream goes on.
	StopRecording() error
	// StartStream starts streaming to url a session that only records,
	// without a gap in the recording. It returns at once; the session's
	// events show the stream's progress, and if the stream fails by
	// itself an event carries publish.ErrStreamEnded while the recording
	// goes on. It returns publish.ErrStreaming when the session streams.
	StartStream(url string) error
	// StopStream ends the stream cleanly and returns once it has ended (at
	// most when ctx ends); the recording goes on.
	StopStream(ctx context.Context) error
	// StopDestination ends one destination cleanly, by its name in
	// Stats().Destinations, and returns once it has ended (at most when ctx
	// ends); the others go on. It returns publish.ErrNotStreaming when no
	// such destination streams.
	StopDestination(ctx context.Context, name string) error
	// ReconnectDestination makes the named destination retry its
	// connection at once, when it waits to reconnect.
	ReconnectDestination(name string) error
}

// DeviceLost says that an open camera, screen or microphone stopped
// working. The session goes on without it: a "camera lost" slate stands in
// for a camera or screen, silence for a microphone.
//
// With Back set, the device came back and is captured again.
type DeviceLost struct {
	Camera bool   // a video source (camera or screen), else the microphone
	ID     string // the Source's ID
	Err    error
	Back   bool
	// Kind is "camera", "screen" or "microphone", and Device the device's
	// readable name; both are set by the sources this package opens.
	Kind   string
	Device string
}

// Backend is everything the window drives. Engine implements it with the
// real capture, encode and publish packages; tests fake it.
//
// The window calls StartPreview, GoLive and Stop from goroutines of its own,
// never from the UI goroutine; the other methods must return at once.
// Callbacks may be called from any goroutine.
type Backend interface {
	// Cameras and Microphones list what can be picked. They always include
	// the synthetic sources.
	Cameras() []Source
	Microphones() []Source
	// AudioOutput returns nil when monitoring can play, else why not.
	AudioOutput() error
	// StartPreview opens the sources of s and calls onFrame with what will
	// be sent, as a 4:2:0 *image.YCbCr at most PreviewWidth wide, up to
	// PreviewMaxFPS times a second (the image is reused: it is valid only
	// during the call), and onLevel with the audio level in dBFS about 20
	// times a second, until the Preview is closed. Sources stay
	// open for GoLive. A new StartPreview replaces the previous one.
	StartPreview(s Settings, onFrame func(image.Image), onLevel func(peakDB, rmsDB float64)) (Preview, error)
	// GoLive starts a session with the sources of the running preview.
	// onEvent receives the session's events, one at a time.
	GoLive(s Settings, onEvent func(publish.Event)) (Live, error)
	// SetMuted silences the microphone in what is sent and monitored.
	SetMuted(muted bool)
	// SetMonitor turns playing the microphone on the audio output on or off.
	SetMonitor(on bool) error
	// CPU returns the process's CPU use, in percent of one core, since the
	// previous call.
	CPU() float64
	// TestLink runs the pre-flight link test (see TestLink) to url, a
	// publish URL with its key, for DefaultLinkTest or until ctx ends.
	TestLink(ctx context.Context, url string) (LinkReport, error)
	// OnDeviceLost sets the function told, from any goroutine, when an
	// open camera or microphone is lost.
	OnDeviceLost(fn func(DeviceLost))
}
