// Package aac encodes PCM from a capture.AudioSource to AAC-LC with
// github.com/tphakala/go-aac (pure Go, a port of FFmpeg's native encoder).
//
// Timestamps: packet n carries PTS = DTS = firstPTS + n·1024/SampleRate,
// where firstPTS is the capture time of the first sample read, computed from
// n to the nanosecond so it never drifts. The encoder emits nothing for its
// first input frame (1024 samples of priming, aac.EncoderDelay), so packet n
// decodes to input samples (n-1)·1024 … n·1024-1: played at its PTS, audio is
// heard 1024 samples (21.3 ms at 48 kHz) after its capture time. FLV and RTMP
// cannot signal priming and players ignore it, and 21 ms of audio lag is well
// inside lip-sync tolerance, so this package does not compensate.
//
// The encoder assumes the source's samples are contiguous: it counts samples,
// not source timestamps, after the first.
package aac

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	goaac "github.com/tphakala/go-aac"

	"studio/capture"
	"studio/encode"
	"studio/internal/freelist"
)

// DefaultBitrateKbps is the bitrate used when Config.BitrateKbps is 0.
const DefaultBitrateKbps = 128

// FrameSamples is the number of samples per channel in one AAC frame, and so
// in one packet.
const FrameSamples = goaac.FrameSize

// Config sets up an Encoder. The sample rate and channel count come from the
// source's Props.
type Config struct {
	// BitrateKbps is the average bitrate of the stream, all channels
	// together, in kbit/s (DefaultBitrateKbps when 0).
	BitrateKbps int
}

// Encoder is an encode.AudioEncoder producing AAC-LC.
//
// Each ReadPacket returns one raw AAC access unit (no ADTS header) for 1024
// samples per channel, reading as many source frames as that takes; source
// frames may be of any size and are released once consumed. Packets are
// keyframes, with PTS = DTS as described in the package documentation, and
// come from a free list: Release them.
//
// ReadPacket must not be called concurrently with itself; Config and Close
// may be called from any goroutine at any time.
type Encoder struct {
	src    capture.AudioSource
	config encode.AudioConfig // immutable
	enc    *goaac.Encoder

	isClosed  atomic.Bool
	closeOnce sync.Once

	readMu   sync.Mutex // serialises ReadPacket; guards the fields below
	planes   [][]float32
	fill     int                 // samples per channel in planes
	cur      *capture.AudioFrame // source frame being consumed
	curOff   int                 // samples per channel of cur already used
	started  bool
	firstPTS time.Duration
	n        int64 // packets returned

	free freelist.List[packetBuf]
}

type packetBuf struct {
	data []byte
	pkt  encode.Packet
	rel  func()
}

// maxAUBytes is the largest access unit the AAC buffer model allows per
// channel (6144 bits).
const maxAUBytes = 6144 / 8

// New returns an encoder for src's PCM. The source must deliver 44100 or
// 48000 Hz, mono or stereo. The encoder owns src: Close closes it. On error
// src is left open.
func New(src capture.AudioSource, cfg Config) (*Encoder, error) {
	if src == nil {
		return nil, errors.New("aac: nil source")
	}
	props := src.Props()
	if props.SampleRate != 48000 && props.SampleRate != 44100 {
		return nil, fmt.Errorf("aac: sample rate %d Hz is not supported (want 44100 or 48000)", props.SampleRate)
	}
	if props.Channels != 1 && props.Channels != 2 {
		return nil, fmt.Errorf("aac: %d channels are not supported (want 1 or 2)", props.Channels)
	}
	if cfg.BitrateKbps == 0 {
		cfg.BitrateKbps = DefaultBitrateKbps
	}
	// The AAC buffer model caps a frame at 6144 bits per channel.
	maxKbps := 6144 * props.Channels * props.SampleRate / FrameSamples / 1000
	if cfg.BitrateKbps < 8 || cfg.BitrateKbps > maxKbps {
		return nil, fmt.Errorf("aac: bitrate %d kbit/s out of range (8 to %d for %d Hz, %d channels)",
			cfg.BitrateKbps, maxKbps, props.SampleRate, props.Channels)
	}
	enc, err := goaac.NewEncoder(goaac.EncoderConfig{
		SampleRate: props.SampleRate,
		Channels:   props.Channels,
		Bitrate:    cfg.BitrateKbps * 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("aac: new encoder: %w", err)
	}
	e := &Encoder{
		src: src,
		enc: enc,
		config: encode.AudioConfig{
			SampleRate:  props.SampleRate,
			Channels:    props.Channels,
			ASC:         enc.AudioSpecificConfig(),
			BitrateKbps: cfg.BitrateKbps,
		},
		planes: make([][]float32, props.Channels),
	}
	for c := range e.planes {
		e.planes[c] = make([]float32, FrameSamples)
	}
	return e, nil
}

// Config returns the stream's configuration; it is valid from New on. The
// ASC slice is shared and must not be modified.
func (e *Encoder) Config() encode.AudioConfig { return e.config }

// Close closes the source, which makes a ReadPacket waiting on it return
// encode.ErrClosed. It is safe to call more than once; later calls return
// nil.
func (e *Encoder) Close() error {
	var err error
	e.closeOnce.Do(func() {
		e.isClosed.Store(true)
		if cerr := e.src.Close(); cerr != nil {
			err = fmt.Errorf("aac: close source: %w", cerr)
		}
	})
	return err
}

// ReadPacket returns the next AAC frame, reading from the source as needed.
// It returns encode.ErrClosed after Close and ctx.Err() when ctx ends while
// waiting for the source; samples read before that are kept for the next
// call.
func (e *Encoder) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	e.readMu.Lock()
	defer e.readMu.Unlock()
	for {
		if e.isClosed.Load() {
			e.cur.Release()
			e.cur = nil
			return nil, encode.ErrClosed
		}
		if err := e.fillFrame(ctx); err != nil {
			return nil, err
		}
		b := e.get()
		out, err := e.enc.EncodeFrame(b.data[:0], e.planes)
		e.fill = 0
		if err != nil {
			e.put(b)
			return nil, fmt.Errorf("aac: encode: %w", err)
		}
		if len(out) == 0 { // priming: the first frame yields no output
			e.put(b)
			continue
		}
		b.data = out
		pts := e.firstPTS + time.Duration(scaleDiv(e.n*FrameSamples, int64(time.Second), int64(e.config.SampleRate)))
		e.n++
		b.pkt = *encode.NewPacket(encode.Audio, pts, pts, true, out, b.rel)
		return &b.pkt, nil
	}
}

// fillFrame reads source frames until planes holds FrameSamples samples per
// channel, converting to planar float32.
func (e *Encoder) fillFrame(ctx context.Context) error {
	ch := e.config.Channels
	for e.fill < FrameSamples {
		if e.cur == nil {
			f, err := e.src.Read(ctx)
			if err != nil {
				if e.isClosed.Load() {
					return encode.ErrClosed
				}
				if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
					return err
				}
				return fmt.Errorf("aac: read source: %w", err)
			}
			if f.SampleRate != e.config.SampleRate || f.Channels != ch || len(f.Samples)%ch != 0 {
				f.Release()
				return fmt.Errorf("aac: source frame of %d samples at %d Hz, %d channels; want %d Hz, %d channels",
					len(f.Samples), f.SampleRate, f.Channels, e.config.SampleRate, ch)
			}
			if !e.started {
				e.started = true
				e.firstPTS = f.PTS
			}
			e.cur, e.curOff = f, 0
		}
		avail := len(e.cur.Samples)/ch - e.curOff
		n := min(FrameSamples-e.fill, avail)
		in := e.cur.Samples[e.curOff*ch : (e.curOff+n)*ch]
		const scale = 1.0 / 32768
		if ch == 2 {
			l, r := e.planes[0][e.fill:e.fill+n], e.planes[1][e.fill:e.fill+n]
			for i := range n {
				l[i] = float32(in[2*i]) * scale
				r[i] = float32(in[2*i+1]) * scale
			}
		} else {
			m := e.planes[0][e.fill : e.fill+n]
			for i := range n {
				m[i] = float32(in[i]) * scale
			}
		}
		e.fill += n
		e.curOff += n
		if e.curOff*ch == len(e.cur.Samples) {
			e.cur.Release()
			e.cur = nil
		}
	}
	return nil
}

// scaleDiv returns n × unit / div, rounded down, without overflow for any
// n that fits in an int64 and unit ≤ 1e9.
func scaleDiv(n, unit, div int64) int64 {
	q, r := n/div, n%div
	return q*unit + r*unit/div
}

func (e *Encoder) get() *packetBuf {
	if b := e.free.Get(); b != nil {
		return b
	}
	b := &packetBuf{data: make([]byte, 0, maxAUBytes*e.config.Channels)}
	b.rel = func() { e.put(b) }
	return b
}

func (e *Encoder) put(b *packetBuf) {
	e.free.Put(b)
}
