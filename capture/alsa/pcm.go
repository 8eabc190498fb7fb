package alsa

/*
#include <alsa/asoundlib.h>

// studio_alsa_setup sets a capture PCM to interleaved S16_LE with the rate
// and channel count nearest those asked (written back), a period near
// period_us and a buffer of about periods periods, and makes a wait end
// once a period is ready. It returns 0 or a negative error code.
static int studio_alsa_setup(snd_pcm_t *h, unsigned *rate, unsigned *channels, unsigned period_us,
                             unsigned periods, snd_pcm_uframes_t *period, snd_pcm_uframes_t *buffer) {
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	int err, dir = 0;
	unsigned buffer_us = period_us * periods;
	snd_pcm_hw_params_alloca(&hw);
	if ((err = snd_pcm_hw_params_any(h, hw)) < 0) return err;
	if ((err = snd_pcm_hw_params_set_access(h, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) return err;
	if ((err = snd_pcm_hw_params_set_format(h, hw, SND_PCM_FORMAT_S16_LE)) < 0) return err;
	// The device's own rate, not ALSA's linear resampler: the caller
	// resamples (better), and measures the device's clock.
	snd_pcm_hw_params_set_rate_resample(h, hw, 0);
	if ((err = snd_pcm_hw_params_set_channels_near(h, hw, channels)) < 0) return err;
	if ((err = snd_pcm_hw_params_set_rate_near(h, hw, rate, &dir)) < 0) return err;
	dir = 0;
	snd_pcm_hw_params_set_period_time_near(h, hw, &period_us, &dir);
	dir = 0;
	snd_pcm_hw_params_set_buffer_time_near(h, hw, &buffer_us, &dir);
	if ((err = snd_pcm_hw_params(h, hw)) < 0) return err;
	dir = 0;
	if ((err = snd_pcm_hw_params_get_period_size(hw, period, &dir)) < 0) return err;
	if ((err = snd_pcm_hw_params_get_buffer_size(hw, buffer)) < 0) return err;
	snd_pcm_sw_params_alloca(&sw);
	if ((err = snd_pcm_sw_params_current(h, sw)) < 0) return err;
	if ((err = snd_pcm_sw_params_set_avail_min(h, sw, *period)) < 0) return err;
	if ((err = snd_pcm_sw_params(h, sw)) < 0) return err;
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Defaults of Config.
const (
	DefaultName     = "default"
	DefaultRate     = 48000
	DefaultChannels = 2
	DefaultPeriod   = 20 * time.Millisecond
	DefaultPeriods  = 4
)

// Config says what to open. Zero fields take the defaults above.
type Config struct {
	// Name is any ALSA PCM name: "default", "pulse", "pipewire",
	// "hw:CARD=x,DEV=0", "plughw:1,0", "dsnoop:…".
	Name string
	// Rate and Channels are asked for; the device may give others (the
	// nearest it has), which PCM.Rate and PCM.Channels report.
	Rate, Channels int
	// Period is how much audio the device hands over at a time, and
	// Periods how many periods its buffer holds (the device may round
	// both). Reads are normally one period each.
	Period  time.Duration
	Periods int
}

// PCM is an open capture device delivering interleaved S16_LE samples.
//
// A PCM is not safe for concurrent use: Read and Close must be called from
// one goroutine at a time (Overruns may be called from any).
type PCM struct {
	h              *C.snd_pcm_t
	name           string
	rate, channels int
	period, buffer int // frames
	overruns       atomic.Uint64
}

// Open opens the capture PCM cfg.Name and starts it. An unknown name, or a
// sound server that does not answer, gives an error wrapping ErrNoDevice.
func Open(cfg Config) (*PCM, error) {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Channels <= 0 {
		cfg.Channels = DefaultChannels
	}
	if cfg.Period <= 0 {
		cfg.Period = DefaultPeriod
	}
	if cfg.Periods <= 0 {
		cfg.Periods = DefaultPeriods
	}
	h, err := openPCM(cfg.Name)
	if err != nil {
		return nil, err
	}
	rate, channels := C.uint(cfg.Rate), C.uint(cfg.Channels)
	var period, buffer C.snd_pcm_uframes_t
	if r := C.studio_alsa_setup(h, &rate, &channels, C.uint(cfg.Period/time.Microsecond), C.uint(cfg.Periods),
		&period, &buffer); r < 0 {
		C.snd_pcm_close(h)
		return nil, newError("set up", cfg.Name, r, nil)
	}
	p := &PCM{h: h, name: cfg.Name, rate: int(rate), channels: int(channels), period: int(period), buffer: int(buffer)}
	if r := C.snd_pcm_start(h); r < 0 {
		C.snd_pcm_close(h)
		return nil, newError("start", cfg.Name, r, nil)
	}
	return p, nil
}

// openPCM opens name for capture, non-blocking, with a fresh view of
// ALSA's configuration.
func openPCM(name string) (*C.snd_pcm_t, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	quietJack(name)
	configMu.Lock()
	defer configMu.Unlock()
	reloadConfig()
	var h *C.snd_pcm_t
	if r := C.snd_pcm_open(&h, cname, C.SND_PCM_STREAM_CAPTURE, C.SND_PCM_NONBLOCK); r < 0 {
		var kind error
		switch syscall.Errno(-r) {
		case syscall.ENOENT, syscall.ENODEV, syscall.ENXIO, syscall.ECONNREFUSED, syscall.EHOSTDOWN:
			kind = ErrNoDevice
		}
		return nil, newError("open", name, r, kind)
	}
	return h, nil
}

// Probe reports whether the capture PCM name can be opened now (a device
// busy with another program counts as present). It returns nil or an
// error wrapping ErrNoDevice.
func Probe(name string) error {
	h, err := openPCM(name)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) && ae.Code == syscall.EBUSY {
			return nil
		}
		return err
	}
	C.snd_pcm_close(h)
	return nil
}

// Name returns the PCM's name as opened.
func (p *PCM) Name() string { return p.name }

// Rate returns the sample rate the device gave.
func (p *PCM) Rate() int { return p.rate }

// Channels returns the channel count the device gave.
func (p *PCM) Channels() int { return p.channels }

// PeriodFrames returns the period, in frames (samples per channel).
func (p *PCM) PeriodFrames() int { return p.period }

// BufferFrames returns the device buffer's size, in frames.
func (p *PCM) BufferFrames() int { return p.buffer }

// Overruns counts the times the device's buffer filled up before it was
// read (audio was lost) and the PCM was restarted.
func (p *PCM) Overruns() uint64 { return p.overruns.Load() }

// Read copies the audio captured so far, up to len(buf)/Channels() frames,
// into buf (interleaved), waiting at most timeout for the first frame, and
// returns the number of frames read. Nothing of the device's memory is
// kept: buf is the caller's.
//
// Give it room for BufferFrames() frames, so that each read takes all the
// device holds. The PulseAudio plugin keeps a partly read block of the
// server's shared memory from one read to the next; if the server dies
// meanwhile, libpulse deadlocks (its thread waits, holding the lock every
// later call needs, for that block to be released). A read that empties
// the buffer leaves no such block behind.
//
// An overrun is recovered from and counted (Overruns), and the read goes
// on. It returns an error wrapping ErrTimeout when nothing came within
// timeout, ErrLost when the device failed, ErrClosed after Close.
func (p *PCM) Read(buf []int16, timeout time.Duration) (int, error) {
	if p.h == nil {
		return 0, ErrClosed
	}
	frames := len(buf) / p.channels
	if frames == 0 {
		return 0, fmt.Errorf("alsa: read %s: buffer of %d samples is under one frame of %d channels", p.name, len(buf), p.channels)
	}
	deadline := time.Now().Add(timeout)
	for {
		n := C.snd_pcm_readi(p.h, unsafe.Pointer(&buf[0]), C.snd_pcm_uframes_t(frames))
		switch {
		case n > 0:
			return int(n), nil
		case n == 0 || n == -C.snd_pcm_sframes_t(syscall.EAGAIN):
		case n == -C.snd_pcm_sframes_t(syscall.EPIPE) || n == -C.snd_pcm_sframes_t(syscall.ESTRPIPE):
			if err := p.recover("read", C.int(n)); err != nil {
				return 0, err
			}
			continue
		default:
			return 0, newError("read", p.name, C.int(n), ErrLost)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return 0, fmt.Errorf("alsa: read %s: %w (%v)", p.name, ErrTimeout, timeout)
		}
		ms := (left + time.Millisecond - 1) / time.Millisecond
		if r := C.snd_pcm_wait(p.h, C.int(ms)); r < 0 {
			if err := p.recover("wait", r); err != nil {
				return 0, err
			}
		}
	}
}

// recover restarts the PCM after an overrun or a suspend (code), or
// returns the error wrapping ErrLost when that is impossible or code is
// anything else.
func (p *PCM) recover(op string, code C.int) error {
	switch syscall.Errno(-code) {
	case syscall.EPIPE:
		p.overruns.Add(1)
	case syscall.ESTRPIPE:
	default:
		return newError(op, p.name, code, ErrLost)
	}
	if r := C.snd_pcm_recover(p.h, code, 1); r < 0 {
		return newError("recover", p.name, r, ErrLost)
	}
	if r := C.snd_pcm_start(p.h); r < 0 && syscall.Errno(-r) != syscall.EBADFD {
		return newError("restart", p.name, r, ErrLost)
	}
	return nil
}

// Close stops and closes the device; later calls do nothing.
//
// Close can block inside libasound or its plugin: the PulseAudio plugin,
// for one, waits for its server, and a hung server or driver can hold it
// indefinitely. A caller that must stay responsive runs Close (like every
// call on the PCM) on a goroutine of its own and stops waiting for it
// after a bound of its choosing.
func (p *PCM) Close() error {
	if p.h == nil {
		return nil
	}
	r := C.snd_pcm_close(p.h)
	p.h = nil
	if r < 0 {
		return newError("close", p.name, r, nil)
	}
	return nil
}
