package device

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"

	"studio/capture"
)

// MicRate is the only sample rate the microphone driver (miniaudio through
// malgo) captures at.
const MicRate = 48000

// micLatency is the driver period asked for: one chunk every 20 ms.
const micLatency = 20 * time.Millisecond

// micBacklog is how many chunks (about 20 ms each) wait for a slow reader
// before the oldest is dropped.
const micBacklog = 32

// micResync is how far the sample-counted PTS may fall behind the clock
// before it is moved forward to it.
const micResync = 50 * time.Millisecond

// closeGrace is how long Close waits for the capture goroutine to notice it
// on its own (it does at the next chunk, every 20 ms) before it closes the
// driver under it. See micSource.Close.
const closeGrace = 500 * time.Millisecond

// OpenMicrophone opens the microphone id ("" for the default one; an ID or a
// name otherwise) and returns a source of interleaved 16-bit PCM at
// props.SampleRate, which must be 48000, with props.Channels (1 or 2).
//
// The driver is always opened with explicit constraints (48 kHz, the channel
// count, 16-bit integer, interleaved): with no sound card, miniaudio falls
// back to a null device, and an unconstrained open then panics on the first
// read. Frame sizes follow the driver's period (about 20 ms). Each frame's PTS
// is the capture time of its first sample: the clock when the first chunk
// arrived minus its duration, then counted in samples (so consecutive frames
// are exactly contiguous and PTS never goes back), moved forward to the clock
// when the clock runs more than 50 ms ahead (audio was lost). A reader more than about 640 ms behind loses the oldest audio.
//
// A missing microphone gives an error wrapping capture.ErrNoDevice.
func OpenMicrophone(clock *capture.Clock, id string, props capture.AudioProps) (capture.AudioSource, error) {
	if clock == nil {
		return nil, errors.New("device: microphone: nil clock")
	}
	if props.SampleRate != MicRate {
		return nil, fmt.Errorf("device: microphone: sample rate %d Hz: only %d Hz is supported", props.SampleRate, MicRate)
	}
	if props.Channels < 1 || props.Channels > 2 {
		return nil, fmt.Errorf("device: microphone: %d channels: use 1 or 2", props.Channels)
	}
	e, err := find(driver.Microphone, capture.Microphone, id)
	if err != nil {
		return nil, err
	}
	rec, ok := e.d.(driver.AudioRecorder)
	if !ok {
		return nil, fmt.Errorf("device: microphone %s is not an audio recorder: %w", e.dev.Name, capture.ErrNoDevice)
	}
	if err := e.d.Open(); err != nil {
		return nil, fmt.Errorf("device: open microphone %s: %w", e.dev.Name, err)
	}
	r, err := rec.AudioRecord(prop.Media{Audio: prop.Audio{
		ChannelCount:  props.Channels,
		SampleRate:    props.SampleRate,
		SampleSize:    2,
		IsFloat:       false,
		IsInterleaved: true,
		Latency:       micLatency,
	}})
	if err != nil {
		_ = e.d.Close()
		return nil, fmt.Errorf("device: start microphone %s: %w", e.dev.Name, err)
	}
	m := &micSource{
		clock:  clock,
		props:  props,
		name:   e.dev.Name,
		drv:    e.d,
		frames: make(chan *capture.AudioFrame, micBacklog),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go m.pump(r)
	return m, nil
}

// micSource is a capture.AudioSource reading a microphone driver on its own
// goroutine (started by OpenMicrophone, stopped by Close).
type micSource struct {
	clock *capture.Clock
	props capture.AudioProps
	name  string
	drv   driver.Driver

	frames chan *capture.AudioFrame
	done   chan struct{} // closed by Close
	exited chan struct{} // closed when pump returns
	err    error         // why pump stopped; written before exited is closed

	closeOnce    sync.Once
	closeDrvOnce sync.Once
	closeDrvErr  error

	// Owned by pump.
	started bool
	first   time.Duration // PTS of sample 0 of the timeline
	samples int64         // samples per channel captured since first

	poolMu sync.Mutex
	free   []*micBuf
}

type micBuf struct {
	samples []int16
	frame   capture.AudioFrame
	rel     func()
}

func (m *micSource) Props() capture.AudioProps { return m.props }

// closeDriver closes the driver once, from whichever goroutine gets there
// first.
func (m *micSource) closeDriver() error {
	m.closeDrvOnce.Do(func() { m.closeDrvErr = m.drv.Close() })
	return m.closeDrvErr
}

// pump reads the driver until it fails or the source is closed. It closes the
// driver itself when it sees Close: the driver's reader is not safe against
// a concurrent Close (it may block forever on a channel Close sets to nil),
// so Close leaves that to pump whenever chunks are still arriving.
func (m *micSource) pump(r audio.Reader) {
	defer close(m.exited)
	for {
		chunk, release, err := r.Read()
		select {
		case <-m.done:
			if release != nil {
				release()
			}
			_ = m.closeDriver()
			return
		default:
		}
		if err != nil {
			m.err = err
			return
		}
		now := m.clock.Now()
		b, err := m.convert(chunk)
		if release != nil {
			release()
		}
		if err != nil {
			m.err = err
			return
		}
		if b == nil {
			continue
		}
		n := int64(len(b.samples) / m.props.Channels)
		measured := now - m.duration(n)
		pts := m.first + m.duration(m.samples)
		// Resync only forwards (audio was lost): going back would
		// overlap frames already sent.
		if !m.started || measured-pts > micResync {
			m.started = true
			m.first, m.samples, pts = measured, 0, measured
		}
		m.samples += n
		b.frame = *capture.NewAudioFrame(b.samples, m.props.SampleRate, m.props.Channels, pts, b.rel)
		select {
		case m.frames <- &b.frame:
		default:
			select {
			case old := <-m.frames:
				old.Release()
			default:
			}
			m.frames <- &b.frame
		}
	}
}

func (m *micSource) duration(samples int64) time.Duration {
	return time.Duration(samples * int64(time.Second) / int64(m.props.SampleRate))
}

// convert copies a driver chunk into a pooled buffer of int16 samples. It
// returns nil for an empty chunk.
func (m *micSource) convert(chunk wave.Audio) (*micBuf, error) {
	switch a := chunk.(type) {
	case *wave.Int16Interleaved:
		if len(a.Data) == 0 {
			return nil, nil
		}
		if len(a.Data)%m.props.Channels != 0 {
			return nil, fmt.Errorf("device: microphone %s: chunk of %d samples for %d channels", m.name, len(a.Data), m.props.Channels)
		}
		b := m.get(len(a.Data))
		copy(b.samples, a.Data)
		return b, nil
	case *wave.Float32Interleaved:
		if len(a.Data) == 0 {
			return nil, nil
		}
		if len(a.Data)%m.props.Channels != 0 {
			return nil, fmt.Errorf("device: microphone %s: chunk of %d samples for %d channels", m.name, len(a.Data), m.props.Channels)
		}
		b := m.get(len(a.Data))
		for i, v := range a.Data {
			b.samples[i] = int16(math.Round(float64(max(-1, min(1, v))) * 32767))
		}
		return b, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("device: microphone %s: unsupported sample format %T", m.name, chunk)
}

// Read returns the next block of samples. It returns ctx.Err() when ctx
// ends, capture.ErrClosed after Close, and an error wrapping the driver's
// when the microphone stops delivering.
func (m *micSource) Read(ctx context.Context) (*capture.AudioFrame, error) {
	select {
	case <-m.done:
		return nil, capture.ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case f := <-m.frames:
		return f, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-m.done:
		return nil, capture.ErrClosed
	case <-m.exited:
		select {
		case <-m.done: // closed while reading: that is not a failure
			return nil, capture.ErrClosed
		default:
		}
		select {
		case f := <-m.frames:
			return f, nil
		default:
		}
		return nil, fmt.Errorf("device: microphone %s stopped: %w", m.name, m.err)
	}
}

// Close stops the microphone and waits for its goroutine. The goroutine
// closes the driver when the next chunk arrives; if none comes within
// closeGrace (the device died), Close closes the driver itself, which wakes
// the goroutine. Safe to call more than once.
func (m *micSource) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		t := time.NewTimer(closeGrace)
		select {
		case <-m.exited:
			t.Stop()
		case <-t.C:
		}
		_ = m.closeDriver()
		<-m.exited
		for {
			select {
			case f := <-m.frames:
				f.Release()
				continue
			default:
			}
			break
		}
	})
	if err := m.closeDriver(); err != nil {
		return fmt.Errorf("device: close microphone %s: %w", m.name, err)
	}
	return nil
}

func (m *micSource) get(n int) *micBuf {
	m.poolMu.Lock()
	for i := len(m.free) - 1; i >= 0; i-- {
		if b := m.free[i]; cap(b.samples) >= n {
			m.free[i] = m.free[len(m.free)-1]
			m.free = m.free[:len(m.free)-1]
			m.poolMu.Unlock()
			b.samples = b.samples[:n]
			return b
		}
	}
	m.poolMu.Unlock()
	b := &micBuf{samples: make([]int16, n)}
	b.rel = func() { m.put(b) }
	return b
}

func (m *micSource) put(b *micBuf) {
	m.poolMu.Lock()
	if len(m.free) < 2*micBacklog {
		m.free = append(m.free, b)
	}
	m.poolMu.Unlock()
}
