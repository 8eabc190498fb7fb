// Package alsa is a thin binding to libasound (ALSA) for capturing audio:
// it opens a capture PCM by name, reads interleaved signed 16-bit samples
// into the caller's buffers, and lists the PCMs that can record.
//
// Why ALSA directly, rather than a portable layer such as miniaudio: ALSA
// gives reads that wait at most a given time (snd_pcm_wait), error codes
// when a device is unplugged or its server dies, any sample rate and
// channel count the device offers, and a close whose blocking can be
// bounded by the caller (see PCM.Close). Desktop sound servers are reached
// through ALSA too: with Debian's libasound2-plugins, the "default" PCM
// routes to PulseAudio or PipeWire whenever one runs, and "pulse" and
// "pipewire" name them explicitly.
//
// libasound prints its own errors on stderr unless told otherwise; this
// package silences them when it is initialised, and reports every failure
// through the errors it returns instead. Errors wrap one of the sentinels
// below and the underlying syscall.Errno, so callers branch with
// errors.Is.
package alsa

/*
#cgo pkg-config: alsa
#include <alsa/asoundlib.h>

static void studio_alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {}

static void studio_alsa_quiet(void) { snd_lib_error_set_handler(studio_alsa_silent); }
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
)

var (
	// ErrNoDevice: the named PCM does not exist, or its sound server does
	// not answer.
	ErrNoDevice = errors.New("alsa: no such device")
	// ErrLost: the device failed while open (unplugged, its sound server
	// died, or an error a read cannot recover from). The PCM is of no
	// further use; close it and open the device again.
	ErrLost = errors.New("alsa: device lost")
	// ErrTimeout: no audio arrived within the read's timeout.
	ErrTimeout = errors.New("alsa: no audio within the timeout")
	// ErrClosed: the PCM was closed.
	ErrClosed = errors.New("alsa: closed")
)

func init() { C.studio_alsa_quiet() }

// configMu serialises reloading libasound's global configuration with the
// opens and listings that read it.
var configMu sync.Mutex

// reloadConfig makes the next open or listing read ALSA's configuration
// afresh. The configuration is cached by libasound when first read, and
// Debian's hook that routes "default" to PulseAudio only does so when the
// server answered at that moment: without a reload, a sound server started
// (or restarted) after this process first used ALSA would never be
// reached. Open PCMs are not affected. Call with configMu held.
func reloadConfig() { C.snd_config_update_free_global() }

// Error is a failure reported by libasound.
type Error struct {
	Op   string        // "open", "read", …
	Name string        // the PCM's name
	Code syscall.Errno // what libasound returned, made positive
	Kind error         // ErrNoDevice, ErrLost, or nil for other failures
}

func (e *Error) Error() string {
	msg := C.GoString(C.snd_strerror(-C.int(e.Code)))
	switch e.Kind {
	case ErrLost:
		return fmt.Sprintf("alsa: %s %s: device lost: %s", e.Op, e.Name, msg)
	case ErrNoDevice:
		return fmt.Sprintf("alsa: %s %s: no such device: %s", e.Op, e.Name, msg)
	}
	return fmt.Sprintf("alsa: %s %s: %s", e.Op, e.Name, msg)
}

// Unwrap returns the sentinel (when there is one) and the errno.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Code}
	}
	return []error{e.Kind, e.Code}
}

// newError wraps a negative libasound return code.
func newError(op, name string, code C.int, kind error) *Error {
	return &Error{Op: op, Name: name, Code: syscall.Errno(-code), Kind: kind}
}
