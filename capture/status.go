package capture

import "time"

// SourceState says whether a source delivers from its device.
type SourceState int

const (
	// SourceOK: the device delivers (or the source is synthetic).
	SourceOK SourceState = iota
	// SourceLost: the device stopped delivering; stand-in media (a slate
	// or silence) goes out in its place until it comes back.
	SourceLost
)

// String returns "ok" or "lost", as the stats JSON shows them.
func (s SourceState) String() string {
	if s == SourceLost {
		return "lost"
	}
	return "ok"
}

// SourceStatus is a snapshot of one source's health.
type SourceStatus struct {
	State SourceState
	// Device is the readable name of the device ("pulse-mic", "HD Webcam
	// C615", "test pattern").
	Device string
	// Err is why the device was lost; nil while State is SourceOK.
	Err error
	// Since is when State last changed, on the session's Clock.
	Since time.Duration
	// DriftPPM is, for audio, how much faster (positive) or slower the
	// device's sample clock runs than the media clock, in parts per
	// million; 0 until measured.
	DriftPPM float64
	// Skipped counts, for video, the frames the source did not deliver in
	// time: each frame interval that passed without a frame.
	Skipped uint64
	// Gaps counts, for audio, the dropouts: stretches of time for which
	// the device delivered no samples (it or its reader stalled, and what
	// it captured then is lost). GapSilence is the silence that filled
	// them in the output, which keeps time.
	Gaps       uint64
	GapSilence time.Duration
}

// Reporter is implemented by sources that can say how they are. Status is
// safe to call from any goroutine.
type Reporter interface {
	Status() SourceStatus
}
