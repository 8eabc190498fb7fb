package device

import (
	"errors"
	"time"

	"studio/capture"
	"studio/capture/alsa"
)

// pcm is what the capture goroutine uses of a device: an *alsa.PCM, or a
// fake in tests.
type pcm interface {
	Read(buf []int16, timeout time.Duration) (int, error)
	Close() error
	Rate() int
	Channels() int
	BufferFrames() int
}

// openPCM opens a device; tests replace it.
var openPCM = func(cfg alsa.Config) (pcm, error) {
	p, err := alsa.Open(cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// run is the microphone's capture goroutine: every call on the ALSA device
// (open, reads, close) happens here, so that a backend that blocks holds
// only this goroutine. It opens the device and reports the result on
// m.opened, then reads it until Close or a failure, and closes it.
func (m *micSource) run(cfg alsa.Config) {
	defer close(m.exited)
	dev, err := openPCM(cfg)
	m.opened <- err
	if err != nil {
		return
	}
	defer func() { m.closeErr = dev.Close() }()
	if m.closed() { // OpenMicrophone gave up waiting
		return
	}
	m.lastData.Store(int64(m.clock.Now()))
	// Room for the device's whole buffer: each read empties it (see
	// alsa.PCM.Read for why that matters).
	ch := dev.Channels()
	buf := make([]int16, dev.BufferFrames()*ch)
	var stereo []int16
	if ch > 2 {
		stereo = make([]int16, dev.BufferFrames()*2)
	}
	m.dropStale(dev, buf)
	var out []*capture.AudioFrame
	for !m.closed() {
		n, err := dev.Read(buf, micReadTimeout)
		now := m.clock.Now()
		if errors.Is(err, alsa.ErrTimeout) {
			if now-time.Duration(m.lastData.Load()) >= micLostAfter {
				m.fail(errNoAudio)
				return
			}
			continue
		}
		if err != nil {
			m.fail(err)
			return
		}
		m.lastData.Store(int64(now))
		block, inCh := buf[:n*ch], ch
		if ch > 2 { // the aligner takes mono or stereo: keep the first two channels
			for i := range n {
				stereo[2*i], stereo[2*i+1] = buf[i*ch], buf[i*ch+1]
			}
			block, inCh = stereo[:2*n], 2
		}
		out = m.aligner.PushAppend(out[:0], block, dev.Rate(), inCh, now)
		for _, f := range out {
			m.enqueue(f)
		}
		clear(out)
	}
}

// dropStale reads and drops the audio that was waiting when the device
// started: the first block and whatever is right behind it. A sound server
// hands its whole buffer over at once when a stream starts (PulseAudio:
// over 100 ms), so this audio arrives later than it was captured by more
// than its duration, and the aligner would see the device run ahead and
// spend seconds pulling it back by resampling (a pitch shift). The
// timeline starts with the first audio read after it. A device that always
// has audio ready stops the dropping after staleReads reads.
func (m *micSource) dropStale(dev pcm, buf []int16) {
	const staleReads = 8
	if _, err := dev.Read(buf, micReadTimeout); err != nil {
		return // the read loop sees the failure or the silence again
	}
	for range staleReads {
		if n, err := dev.Read(buf, 0); err != nil || n == 0 {
			return
		}
	}
}

// enqueue queues a frame for Read, dropping the oldest queued one when the
// reader is micBacklog behind.
func (m *micSource) enqueue(f *capture.AudioFrame) {
	for {
		select {
		case m.frames <- f:
			return
		default:
		}
		select {
		case old := <-m.frames:
			old.Release()
		default:
		}
	}
}
