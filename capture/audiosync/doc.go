// Package audiosync puts a microphone's PCM on the media clock.
//
// A sound card samples with its own crystal, which runs up to about 0.5%
// fast or slow against the system's monotonic clock: timestamps that merely
// count samples drift by seconds an hour. An Aligner takes the device's
// blocks as they are read, with the media-clock time of each read, and
// produces fixed-size frames in the encoder's format whose PTS are
// contiguous on the media clock.
//
// Timeline. The first block starts the output at the capture time of its
// first sample, estimated as arrival minus the block's duration (never
// before 0: earlier input is dropped). From then on frame k+1's PTS is
// exactly frameSamples/rate after frame k's.
//
// Drift. The (input sample count, arrival) pairs of the last 20 s are fitted
// by least squares (blocks are averaged per 250 ms; the slope is shared
// across re-locks, the intercept is not). The slope gives the device's real
// rate (DriftPPM, reported after 3 s); the resampler reads input at that rate
// plus a correction of the lock error (output PTS minus the estimated
// capture time of the input being read) over a 2 s time constant, capped at
// 0.5%. The ratio glides toward that target sample by sample (a 0.5 s
// first-order approach, at most 1600 ppm per second of output), so the pitch
// never steps. Arrival jitter of tens of milliseconds averages out; points more
// than 40 ms off a trusted line are ignored unless they persist for 1 s, in
// which case the line is re-anchored.
//
// Resampling. Channels are converted first when going to mono (stereo is
// averaged) and last when going to stereo (mono is duplicated). The
// interpolator is a 32-tap Kaiser-windowed sinc (128 tabulated phases,
// linearly interpolated) with its cutoff at 0.42 of the lower rate, and a
// read position carried across blocks, so a ratio change is phase-continuous.
//
// Gaps. A block more than 100 ms later than the line predicts is held until
// the following arrivals show whether it starts a catch-up burst (the
// reader stalled but the device buffered: the audio is continuous and plays
// unchanged) or follows a real gap (lateness persists for 60 ms of clock, or
// 0.5 s is held): then the input is re-locked at the held audio's estimated
// capture time and exact silence fills the output up to it. Audio is never
// stretched to cover a gap.
//
// Stale data. A block more than 100 ms earlier than the line predicts (the
// device delivered more samples than time allows, such as a buffer of old
// audio) re-locks the input at arrival minus the block's duration, dropping
// the input that would overlap output already produced.
//
// Reset. After Reset the next block re-locks the same way: silence from
// the output's end to its first sample's capture time, or its overlapping
// samples dropped. The drift estimate restarts, from the old one when the
// rate and channel count are unchanged. One Push writes at most 10 s of
// silence; a longer jump is filled over the following Pushes.
package audiosync
