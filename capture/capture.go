// Package capture defines the media that sources produce: raw video frames and
// PCM audio frames, each stamped on one monotonic capture clock, and the
// interfaces that cameras, microphones and synthetic sources implement.
package capture

import (
	"context"
	"errors"
	"image"
	"time"
)

// ErrClosed is returned by a source's Read after Close.
var ErrClosed = errors.New("capture: source closed")

// ErrNoDevice is returned when a requested device does not exist.
var ErrNoDevice = errors.New("capture: no such device")

// Clock is a monotonic clock shared by the audio and video sources of one
// session, so that their timestamps can be compared directly. The zero time
// is the moment the clock was created.
type Clock struct {
	start time.Time
}

// NewClock returns a clock whose zero is now.
func NewClock() *Clock { return &Clock{start: time.Now()} }

// Now returns the time elapsed since the clock's zero. It never goes backwards.
func (c *Clock) Now() time.Duration { return time.Since(c.start) }

// Start returns the wall time of the clock's zero.
func (c *Clock) Start() time.Time { return c.start }

// VideoFrame is one picture in I420 (YCbCr 4:2:0) with its capture time.
// A frame must not be used after Release; Release may be called once.
type VideoFrame struct {
	Image *image.YCbCr
	// PTS is the capture time on the session's Clock.
	PTS time.Duration
	// Seq counts frames from 0 for the source that made this frame.
	Seq     uint64
	release func()
}

// NewVideoFrame returns a frame whose Release calls release (which may be nil).
func NewVideoFrame(img *image.YCbCr, pts time.Duration, seq uint64, release func()) *VideoFrame {
	return &VideoFrame{Image: img, PTS: pts, Seq: seq, release: release}
}

// Release hands the frame's buffers back to its source.
func (f *VideoFrame) Release() {
	if f != nil && f.release != nil {
		r := f.release
		f.release = nil
		r()
	}
}

// AudioFrame is a block of interleaved signed 16-bit PCM with the capture
// time of its first sample. len(Samples) is a multiple of Channels.
type AudioFrame struct {
	Samples    []int16
	SampleRate int
	Channels   int
	// PTS is the capture time of Samples[0] on the session's Clock.
	PTS     time.Duration
	release func()
}

// NewAudioFrame returns a frame whose Release calls release (which may be nil).
func NewAudioFrame(samples []int16, rate, channels int, pts time.Duration, release func()) *AudioFrame {
	return &AudioFrame{Samples: samples, SampleRate: rate, Channels: channels, PTS: pts, release: release}
}

// Release hands the frame's buffers back to its source.
func (f *AudioFrame) Release() {
	if f != nil && f.release != nil {
		r := f.release
		f.release = nil
		r()
	}
}

// VideoProps describes the frames a video source produces.
type VideoProps struct {
	Width, Height int
	FPS           int
}

// AudioProps describes the frames an audio source produces.
type AudioProps struct {
	SampleRate int
	Channels   int
}

// VideoSource produces video frames paced in real time.
//
// Read blocks until the next frame is due and returns it; it returns
// ctx.Err() when ctx ends and ErrClosed after Close. Close is safe to call
// more than once and from another goroutine than Read.
type VideoSource interface {
	Read(ctx context.Context) (*VideoFrame, error)
	Props() VideoProps
	Close() error
}

// AudioSource produces PCM frames paced in real time, with the same contract
// as VideoSource.
type AudioSource interface {
	Read(ctx context.Context) (*AudioFrame, error)
	Props() AudioProps
	Close() error
}

// Device describes a camera or microphone that can be opened.
type Device struct {
	ID   string
	Name string
	Kind DeviceKind
}

// DeviceKind tells cameras from microphones.
type DeviceKind int

const (
	Camera DeviceKind = iota
	Microphone
)
