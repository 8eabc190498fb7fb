package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
	"studio/capture/alsa"
	"studio/capture/audiosync"
)

const (
	// micFrameSamples is the size of the frames a microphone returns, per
	// channel: one AAC frame.
	micFrameSamples = 1024
	// micReadTimeout bounds one read from the device; the capture
	// goroutine looks at Close between reads.
	micReadTimeout = 200 * time.Millisecond
	// micLostAfter is how long the device may deliver nothing before it
	// counts as lost.
	micLostAfter = time.Second
	// micBacklog is how much audio waits for a slow reader before the
	// oldest frame is dropped.
	micBacklog = 500 * time.Millisecond
	// micCloseBound is how long Close waits for the device to close, and
	// OpenMicrophone for it to open, before giving up on it.
	micCloseBound = time.Second
	// micPeriods is the device buffer, in 20 ms periods. A capture buffer
	// adds no latency (each period is read as soon as it is ready); it is
	// the slack the capture goroutine has when the machine is busy before
	// audio is lost to an overrun.
	micPeriods = 8
	// micOpenBound bounds opening: a sound server that accepts the
	// connection but never answers must not hang the caller.
	micOpenBound = 5 * time.Second
)

// errNoAudio is why a device that stopped delivering is lost: it wraps
// alsa.ErrTimeout.
var errNoAudio = fmt.Errorf("no audio for %v: %w", micLostAfter, alsa.ErrTimeout)

// leakedBackends counts capture goroutines left behind because their
// audio backend did not close (or open) in time; tests check leaks
// against it.
var leakedBackends atomic.Int64

// OpenMicrophone opens the microphone id through ALSA and returns a source
// of frames in props' format (props.SampleRate Hz, props.Channels 1 or 2,
// 1024 samples per channel), stamped on clock.
//
// id "" is ALSA's "default" device (the PulseAudio or PipeWire default
// source on a desktop); otherwise it is an ALSA PCM name ("pulse",
// "plughw:CARD=C615,DEV=0") or the name Microphones lists for one. The
// device is opened at whatever rate and channel count it offers nearest
// props; one goroutine, owned by the source and stopped by Close, reads it
// and converts each block through an audiosync.Aligner, so frames are
// contiguous on the media clock with the device's clock drift absorbed.
// A reader more than about 0.5 s behind loses the oldest frames.
//
// When the device fails, or delivers nothing for 1 s, Read returns the
// frames still queued and then, for good, an error wrapping alsa.ErrLost or
// alsa.ErrTimeout; the source does not reopen the device (capture/failover
// does). Status reports it lost from then on. Close returns within about
// 1 s, whatever the device does.
//
// A device that does not exist gives an error wrapping capture.ErrNoDevice.
func OpenMicrophone(clock *capture.Clock, id string, props capture.AudioProps) (capture.AudioSource, error) {
	if clock == nil {
		return nil, errors.New("device: microphone: nil clock")
	}
	if props.SampleRate < 8000 || props.SampleRate > 192000 {
		return nil, fmt.Errorf("device: microphone: sample rate %d Hz: use 8000 to 192000", props.SampleRate)
	}
	if props.Channels < 1 || props.Channels > 2 {
		return nil, fmt.Errorf("device: microphone: %d channels: use 1 or 2", props.Channels)
	}
	name, desc := resolveMicrophone(id)
	m := &micSource{
		clock:   clock,
		props:   props,
		name:    desc,
		aligner: audiosync.New(props, micFrameSamples),
		frames:  make(chan *capture.AudioFrame, backlogFrames(props)),
		opened:  make(chan error, 1),
		done:    make(chan struct{}),
		failed:  make(chan struct{}),
		exited:  make(chan struct{}),
	}
	m.status = capture.SourceStatus{State: capture.SourceOK, Device: desc, Since: clock.Now()}
	go m.run(alsa.Config{Name: name, Rate: props.SampleRate, Channels: props.Channels, Periods: micPeriods})
	select {
	case err := <-m.opened:
		if err == nil {
			return m, nil
		}
		<-m.exited
		if errors.Is(err, alsa.ErrNoDevice) {
			return nil, fmt.Errorf("device: microphone %q: %w: %w", name, capture.ErrNoDevice, err)
		}
		return nil, fmt.Errorf("device: open microphone %q: %w", name, err)
	case <-time.After(micOpenBound):
		close(m.done) // the goroutine closes the device if the open ever ends
		m.leak("open", micOpenBound)
		return nil, fmt.Errorf("device: open microphone %q: no answer within %v: %w", name, micOpenBound, alsa.ErrTimeout)
	}
}

// backlogFrames is how many frames make micBacklog of audio.
func backlogFrames(p capture.AudioProps) int {
	return max(2, int(micBacklog.Seconds()*float64(p.SampleRate)+micFrameSamples-1)/micFrameSamples)
}

// resolveMicrophone maps an id to an ALSA PCM name and a readable name:
// "" is "default", a name that Microphones lists (case-insensitively) is
// its device, anything else is taken as an ALSA PCM name.
func resolveMicrophone(id string) (name, desc string) {
	name = id
	if name == "" {
		name = alsa.DefaultName
	}
	mics, _ := Microphones()
	for _, d := range mics {
		if d.ID == name {
			return d.ID, d.Name
		}
	}
	for _, d := range mics {
		if strings.EqualFold(d.Name, id) {
			return d.ID, d.Name
		}
	}
	return name, name
}

// micSource is the capture.AudioSource that OpenMicrophone returns.
type micSource struct {
	clock   *capture.Clock
	props   capture.AudioProps
	name    string // readable, for messages and Status
	aligner *audiosync.Aligner

	frames chan *capture.AudioFrame // the backlog; run sends, Read receives
	opened chan error               // run's open result
	done   chan struct{}            // closed by Close (or a timed-out open)
	failed chan struct{}            // closed by fail
	exited chan struct{}            // closed when run returns

	lastData atomic.Int64 // clock time of the last block from the device

	mu        sync.Mutex
	status    capture.SourceStatus // guarded by mu
	err       error                // why the device is lost; guarded by mu
	closeOnce sync.Once
	closeErr  error // the device's close error; written before exited is closed
}

func (m *micSource) Props() capture.AudioProps { return m.props }

// Status reports the device's name, drift and dropouts, and whether it is
// lost.
func (m *micSource) Status() capture.SourceStatus {
	m.mu.Lock()
	s := m.status
	m.mu.Unlock()
	s.DriftPPM = m.aligner.DriftPPM()
	as := m.aligner.Stats()
	s.Gaps = uint64(as.Gaps)
	s.GapSilence = time.Duration(capture.ScaleDiv(as.SilenceSamples, int64(time.Second), int64(m.props.SampleRate)))
	return s
}

// fail marks the device lost with err (the first failure wins).
func (m *micSource) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return
	}
	m.err = fmt.Errorf("device: microphone %s: %w", m.name, err)
	m.status.State, m.status.Err, m.status.Since = capture.SourceLost, m.err, m.clock.Now()
	close(m.failed)
}

func (m *micSource) lostErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

func (m *micSource) closed() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Read returns the next frame. It returns ctx.Err() when ctx ends,
// capture.ErrClosed after Close, and, once the queued frames are read, the
// device's failure (see OpenMicrophone).
func (m *micSource) Read(ctx context.Context) (*capture.AudioFrame, error) {
	if m.closed() {
		return nil, capture.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		// A device stuck inside its backend cannot say so: the reader
		// notices the silence itself.
		last := time.Duration(m.lastData.Load())
		wait := time.NewTimer(max(0, last+micLostAfter-m.clock.Now()))
		select {
		case f := <-m.frames:
			wait.Stop()
			return f, nil
		case <-ctx.Done():
			wait.Stop()
			return nil, ctx.Err()
		case <-m.done:
			wait.Stop()
			return nil, capture.ErrClosed
		case <-m.failed:
			wait.Stop()
			select {
			case f := <-m.frames:
				return f, nil
			default:
			}
			return nil, m.lostErr()
		case <-wait.C:
			if time.Duration(m.lastData.Load()) == last {
				m.fail(errNoAudio)
			}
		}
	}
}

// Close stops the capture goroutine, which closes the device, and waits
// for it at most about 1 s: a backend that does not close in time is left
// behind (its goroutine with it), and one line says so on slog.Default().
// Safe to call more than once and from any goroutine.
func (m *micSource) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		t := time.NewTimer(micCloseBound)
		defer t.Stop()
		select {
		case <-m.exited:
		case <-t.C:
			m.leak("close", micCloseBound)
		}
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
	select {
	case <-m.exited:
		if m.closeErr != nil {
			return fmt.Errorf("device: close microphone %s: %w", m.name, m.closeErr)
		}
	default:
	}
	return nil
}

// leak records a capture goroutine left inside its audio backend.
func (m *micSource) leak(what string, after time.Duration) {
	leakedBackends.Add(1)
	slog.Default().Warn(fmt.Sprintf("microphone %s: audio backend did not %s within %v; leaving it", m.name, what, after))
}
