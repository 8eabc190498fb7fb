// Package synth provides synthetic capture sources: a moving video test
// pattern with a burned-in frame counter and clock (Pattern), and a sine tone
// or silence (Tone). They stand in for a camera and a microphone in tests and
// on machines that have neither.
//
// Both sources are paced in real time against a capture.Clock. The timeline
// of a source starts at its first Read: that Read returns at once, stamped
// with the clock time of the call, and every later frame n is due, and
// stamped, at start + n × frame duration, computed from n (never accumulated)
// so timestamps never drift. Two sources made from the same Clock and read
// for the first time together therefore have first timestamps within a few
// microseconds of each other.
//
// For tests and benchmarks the Unpaced option removes the waiting: Read
// returns the next frame at once, with the same timestamps it would have had
// in real time.
//
// Frames come from small free lists and go back to them on Release; in steady
// state Read does not allocate.
package synth

// Option changes how a synthetic source behaves.
type Option func(*options)

type options struct {
	unpaced bool
}

// Unpaced makes Read return the next frame immediately instead of waiting
// until it is due. Timestamps still follow the nominal rate from the first
// Read, so an unpaced source produces the same frames and PTS values as a
// paced one read in time, only faster. Meant for tests and benchmarks.
func Unpaced() Option { return func(o *options) { o.unpaced = true } }

func applyOptions(opts []Option) options {
	var o options
	for _, fn := range opts {
		if fn != nil {
			fn(&o)
		}
	}
	return o
}
