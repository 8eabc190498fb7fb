package alsa

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

static void studio_jack_silent(const char *msg) {}

// studio_jack_quiet makes libjack, which ALSA's jack plugin links, print
// nothing: it reports through our errors instead. It does nothing when
// libjack is not installed.
static void studio_jack_quiet(void) {
	void *lib = dlopen("libjack.so.0", RTLD_LAZY | RTLD_GLOBAL);
	if (lib == NULL) return;
	void (*set)(void (*)(const char *));
	*(void **)(&set) = dlsym(lib, "jack_set_error_function");
	if (set != NULL) set(studio_jack_silent);
	*(void **)(&set) = dlsym(lib, "jack_set_info_function");
	if (set != NULL) set(studio_jack_silent);
	// lib stays loaded: the plugin will use it, and the handlers with it.
}
*/
import "C"

import (
	"strings"
	"sync"
)

var jackOnce sync.Once

// quietJack silences libjack before a PCM that may use it is opened.
// libjack prints every failure to connect to a JACK server on stderr
// ("Cannot connect to server socket", "jack server is not running"),
// past libasound's error handler.
func quietJack(name string) {
	if strings.HasPrefix(name, "jack") {
		jackOnce.Do(func() { C.studio_jack_quiet() })
	}
}
