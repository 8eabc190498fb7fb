package synth

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"studio/capture"
	"studio/internal/freelist"
)

// DefaultFrameSamples is the frame size, in samples per channel, used when
// NewTone or NewSilence is given 0: one AAC frame, so an AAC encoder fed by
// the source never has to split or join frames.
const DefaultFrameSamples = 1024

// ToneLevel is the peak amplitude of the tone relative to full scale
// (-12 dBFS).
const ToneLevel = 0.25

// Tone is a capture.AudioSource that produces a sine wave, the same on every
// channel, with its phase continuous across frames, or silence when its
// frequency is 0.
//
// Every frame holds exactly FrameSamples samples per channel. Frame k is due
// at start + k·FrameSamples/SampleRate, where start is the clock time of the
// first Read, and its PTS is that time, computed from k to the nanosecond so
// it never drifts. Audio is never skipped: a reader that falls behind gets
// the frames it missed at once, so the samples stay contiguous and the PTS
// of every frame is exactly one frame duration after the previous one.
//
// Frames are reused after Release, and Read does not allocate once enough
// frames are in circulation. Read must not be called concurrently with
// itself; Close may be called from any goroutine, any number of times.
type Tone struct {
	clock        *capture.Clock
	props        capture.AudioProps
	freq         float64
	frameSamples int
	unpaced      bool
	pace         *capture.Pacer

	// period holds one whole period of the tone, when it spans a whole
	// number of samples of at most maxPeriod (an integral frequency: 1 kHz
	// at 48 kHz takes 48 samples): the tone then costs a table lookup a
	// sample instead of a sine.
	period []int16

	mu      sync.Mutex // serialises Read; guards the fields below
	started bool
	start   time.Duration
	k       int64   // index of the next frame
	phase   float64 // of the next sample, in cycles, in [0, 1); without period
	pos     int     // index in period of the next sample

	free freelist.List[toneBuf]
}

type toneBuf struct {
	samples []int16
	frame   capture.AudioFrame
	rel     func()
}

// NewTone returns a source of a freqHz sine wave at props.SampleRate with
// props.Channels identical channels, in frames of frameSamples samples per
// channel (DefaultFrameSamples when 0). freqHz 0 gives silence; otherwise it
// must be below half the sample rate. The sample rate must be between 8000
// and 384000 Hz and the channel count between 1 and 8.
func NewTone(clock *capture.Clock, props capture.AudioProps, freqHz float64, frameSamples int, opts ...Option) (*Tone, error) {
	if clock == nil {
		return nil, fmt.Errorf("synth: tone: nil clock")
	}
	if props.SampleRate < 8000 || props.SampleRate > 384000 {
		return nil, fmt.Errorf("synth: tone: sample rate %d Hz: must be between 8000 and 384000", props.SampleRate)
	}
	if props.Channels < 1 || props.Channels > 8 {
		return nil, fmt.Errorf("synth: tone: %d channels: must be between 1 and 8", props.Channels)
	}
	if math.IsNaN(freqHz) || freqHz < 0 || freqHz >= float64(props.SampleRate)/2 {
		return nil, fmt.Errorf("synth: tone: frequency %g Hz: must be 0 or below half the sample rate", freqHz)
	}
	if frameSamples == 0 {
		frameSamples = DefaultFrameSamples
	}
	if frameSamples < 1 || frameSamples > props.SampleRate {
		return nil, fmt.Errorf("synth: tone: %d samples per frame: must be between 1 and the sample rate", frameSamples)
	}
	o := applyOptions(opts)
	return &Tone{
		clock:        clock,
		props:        props,
		freq:         freqHz,
		frameSamples: frameSamples,
		unpaced:      o.unpaced,
		pace:         capture.NewPacer(clock),
		period:       tonePeriod(freqHz, props.SampleRate),
	}, nil
}

// maxPeriod bounds the table of one period of a tone, in samples.
const maxPeriod = 4800

// tonePeriod returns one period of a freqHz tone at rate, rounded to int16
// as synthesize rounds it, or nil when the frequency is 0 or not a whole
// number of hertz or the period is longer than maxPeriod samples. Sample
// i's phase is computed exactly, from i·freq mod rate.
func tonePeriod(freqHz float64, rate int) []int16 {
	f := int64(freqHz)
	if f <= 0 || float64(f) != freqHz {
		return nil
	}
	n := int64(rate) / gcd(f, int64(rate)) // samples in a whole number of cycles
	if n > maxPeriod {
		return nil
	}
	const amp = ToneLevel * 32767
	p := make([]int16, n)
	for i := range p {
		phase := float64(int64(i)*f%int64(rate)) / float64(rate)
		p[i] = int16(math.Round(amp * math.Sin(2*math.Pi*phase)))
	}
	return p
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// NewSilence returns a source of digital silence; see NewTone.
func NewSilence(clock *capture.Clock, props capture.AudioProps, frameSamples int, opts ...Option) (*Tone, error) {
	return NewTone(clock, props, 0, frameSamples, opts...)
}

// Props returns the properties the source was created with.
func (t *Tone) Props() capture.AudioProps { return t.props }

// FrameSamples returns the number of samples per channel in every frame.
func (t *Tone) FrameSamples() int { return t.frameSamples }

// Close makes pending and future Reads return capture.ErrClosed. Frames
// already returned stay valid until released. It always returns nil.
func (t *Tone) Close() error {
	t.pace.Close()
	return nil
}

// frameTime is the offset of frame k from the start of the timeline.
func (t *Tone) frameTime(k int64) time.Duration {
	return time.Duration(capture.ScaleDiv(k*int64(t.frameSamples), int64(time.Second), int64(t.props.SampleRate)))
}

// Read waits until the next frame is due and returns it (see Tone for the
// timing rules). It returns ctx.Err() if ctx ends first and capture.ErrClosed
// after Close. The caller must Release the frame.
func (t *Tone) Read(ctx context.Context) (*capture.AudioFrame, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.pace.Gate(ctx); err != nil {
		return nil, err
	}
	if !t.started {
		t.started = true
		t.start = t.clock.Now()
	} else if !t.unpaced {
		if err := t.pace.WaitUntil(ctx, t.start+t.frameTime(t.k)); err != nil {
			return nil, err
		}
	}
	b := t.get()
	t.synthesize(b.samples)
	b.frame = *capture.NewAudioFrame(b.samples, t.props.SampleRate, t.props.Channels, t.start+t.frameTime(t.k), b.rel)
	t.k++
	return &b.frame, nil
}

// synthesize fills s with the next frame of the tone.
func (t *Tone) synthesize(s []int16) {
	if t.freq == 0 {
		clear(s)
		return
	}
	ch := t.props.Channels
	if p := t.period; p != nil {
		pos := t.pos
		for i := 0; i < len(s); i += ch {
			v := p[pos]
			for c := range ch {
				s[i+c] = v
			}
			if pos++; pos == len(p) {
				pos = 0
			}
		}
		t.pos = pos
		return
	}
	step := t.freq / float64(t.props.SampleRate)
	phase := t.phase
	const amp = ToneLevel * 32767
	for i := 0; i < len(s); i += ch {
		v := int16(math.Round(amp * math.Sin(2*math.Pi*phase)))
		for c := range ch {
			s[i+c] = v
		}
		phase += step
		if phase >= 1 {
			phase--
		}
	}
	t.phase = phase
}

func (t *Tone) get() *toneBuf {
	if b := t.free.Get(); b != nil {
		return b
	}
	b := &toneBuf{samples: make([]int16, t.frameSamples*t.props.Channels)}
	b.rel = func() { t.put(b) }
	return b
}

func (t *Tone) put(b *toneBuf) {
	t.free.Put(b)
}
