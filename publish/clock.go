package publish

import "time"

// Clock is where a session reads the time and waits: event times, uptime,
// the stats and adaptive-bitrate tick, the wait before each reconnect
// attempt, and how long Stop lets the encoders run on. Config.Clock nil is
// the system clock; a test can pass one it moves itself, so that timing is
// checked without waiting for it. (Deadlines on the network and the disk
// stay on the system clock: they are about the world outside.)
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's one-shot timer.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }
