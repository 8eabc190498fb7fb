// Package monitor plays PCM on the computer's audio output, so the user can
// listen to what is being streamed.
//
// The output is opened once per process (oto allows one context per
// process): 48 kHz stereo 16-bit, on first use of Available or New. When it
// cannot be opened — on a machine with no sound card, ALSA's "default" device
// does not exist, and oto reports that only asynchronously and then stays
// silent — Available and New return an error wrapping ErrNoOutput that says
// why, and the window shows "no audio output" instead of pretending to play.
// The outcome of that first attempt is remembered for the life of the
// process.
package monitor

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ebitengine/oto/v3"
)

// ErrNoOutput is wrapped by the errors of Available and New when there is no
// audio output to play on.
var ErrNoOutput = errors.New("monitor: no audio output")

// Rate and Channels are the format of the one output the process opens.
const (
	Rate     = 48000
	Channels = 2
)

// openTimeout bounds the wait for the audio driver to open the device.
const openTimeout = 5 * time.Second

// bufferLatency is the size of the driver's and oto's player buffers, and
// maxBuffered the most audio a Player holds before Write drops samples.
const (
	bufferLatency = 50 * time.Millisecond
	maxBuffered   = 200 * time.Millisecond
)

var (
	openOnce sync.Once
	theCtx   *oto.Context
	openErr  error
)

// output returns the process's oto context, opening it on first use and
// waiting until the driver has opened the device (or failed to).
func output() (*oto.Context, error) {
	openOnce.Do(func() {
		ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
			SampleRate:   Rate,
			ChannelCount: Channels,
			Format:       oto.FormatSignedInt16LE,
			BufferSize:   bufferLatency,
		})
		if err != nil {
			openErr = fmt.Errorf("%w: %v", ErrNoOutput, err)
			return
		}
		t := time.NewTimer(openTimeout)
		defer t.Stop()
		select {
		case <-ready:
		case <-t.C:
			openErr = fmt.Errorf("%w: the audio driver did not open the device within %v", ErrNoOutput, openTimeout)
			return
		}
		if err := ctx.Err(); err != nil {
			openErr = fmt.Errorf("%w: %v", ErrNoOutput, err)
			return
		}
		theCtx = ctx
	})
	if openErr != nil {
		return nil, openErr
	}
	if err := theCtx.Err(); err != nil {
		// The device failed after it opened (unplugged, for example).
		return nil, fmt.Errorf("%w: %v", ErrNoOutput, err)
	}
	return theCtx, nil
}

// Available returns nil when the audio output can play, and otherwise an
// error wrapping ErrNoOutput that says why. The first call opens the output
// and may take a moment; later calls are cheap.
func Available() error {
	_, err := output()
	return err
}

// Player plays PCM written to it as it arrives. Write never blocks: it
// queues up to about 200 ms and drops what does not fit, and the output
// plays silence when the queue runs dry, so a stalled stream never stalls the
// caller. All methods are safe for concurrent use.
type Player struct {
	channels int
	p        *oto.Player
	q        *queue
}

// New returns a started player for interleaved 16-bit PCM at rate Hz with
// channels channels (1 or 2; mono is played on both speakers). The rate must
// be 48000. The error wraps ErrNoOutput when there is no output.
func New(rate, channels int) (*Player, error) {
	if rate != Rate {
		return nil, fmt.Errorf("monitor: %d Hz: only %d Hz can be played", rate, Rate)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("monitor: %d channels: use 1 or 2", channels)
	}
	ctx, err := output()
	if err != nil {
		return nil, err
	}
	q := newQueue(int(maxBuffered * Rate / time.Second * Channels))
	p := ctx.NewPlayer(q)
	p.SetBufferSize(int(bufferLatency * Rate / time.Second * Channels * 2))
	p.Play()
	return &Player{channels: channels, p: p, q: q}, nil
}

// Write queues samples (interleaved, in the player's channel count) for
// playing. It never blocks and does not keep samples.
func (p *Player) Write(samples []int16) {
	p.q.write(samples, p.channels)
}

// Close stops playing and releases the player. Safe to call more than once.
func (p *Player) Close() error {
	// Since oto v3.4 a player needs no Close: pausing it takes it off
	// the mixer, and the queue reads io.EOF from now on.
	p.q.close()
	p.p.Pause()
	return nil
}

// queue is a bounded FIFO of stereo 16-bit samples that oto reads as
// little-endian bytes. An empty queue reads as a little silence, never
// as nothing, so oto neither spins nor stops.
type queue struct {
	mu     sync.Mutex
	buf    []int16 // ring of stereo samples
	head   int     // index of the oldest sample
	n      int     // samples queued
	closed bool
}

// silenceChunk is how much silence (in samples) a read of an empty queue
// returns: 10 ms of stereo.
const silenceChunk = Rate / 100 * Channels

func newQueue(capacity int) *queue { return &queue{buf: make([]int16, capacity)} }

// write appends samples of the given channel count (1 is duplicated to
// stereo), dropping what does not fit. It reports how many input samples it
// dropped.
func (q *queue) write(samples []int16, channels int) (dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return len(samples)
	}
	for i, v := range samples {
		need := 1
		if channels == 1 {
			need = 2
		}
		if q.n+need > len(q.buf) {
			return len(samples) - i
		}
		for range need {
			q.buf[(q.head+q.n)%len(q.buf)] = v
			q.n++
		}
	}
	return 0
}

// Read fills b with queued samples as little-endian bytes; io.EOF once
// closed.
func (q *queue) Read(b []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, io.EOF
	}
	max := len(b) / 4 * 2 // whole stereo frames
	if max == 0 {
		return 0, nil
	}
	if q.n == 0 {
		n := min(max, silenceChunk)
		clear(b[:2*n])
		return 2 * n, nil
	}
	n := min(max, q.n&^1)
	for i := range n {
		v := q.buf[(q.head+i)%len(q.buf)]
		b[2*i] = byte(v)
		b[2*i+1] = byte(uint16(v) >> 8)
	}
	q.head = (q.head + n) % len(q.buf)
	q.n -= n
	return 2 * n, nil
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
