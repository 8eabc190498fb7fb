package alsa

/*
#include <stdlib.h>
#include <alsa/asoundlib.h>
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Device is a PCM that can record.
type Device struct {
	// Name opens it ("default", "pulse", "plughw:CARD=PCH,DEV=0").
	Name string
	// Desc is ALSA's description, on one line ("HDA Intel PCH, ALC892
	// Analog, Default Audio Device").
	Desc string
}

// skipped are PCMs that ALSA's configuration offers but that are not
// microphones: converters and effects that need a slave to be useful, the
// null device (endless zeros), legacy OSS emulation, and JACK (whose
// library prints to stderr and may try to start a server; JACK users reach
// it through PipeWire or PulseAudio).
var skipped = map[string]bool{
	"null": true, "lavrate": true, "samplerate": true, "speexrate": true, "speex": true,
	"upmix": true, "vdownmix": true, "a52": true, "jack": true, "oss": true, "usbstream": true,
}

// servers are the PCMs that are sound servers: listed only when their
// server answers.
var servers = map[string]bool{"pulse": true, "pipewire": true}

// Devices lists the PCMs that can record: "default" first (when it can be
// opened), the sound servers that answer, then each card's capture
// devices. Raw "hw:" devices are left out, since "plughw:" opens the same
// device with format conversion. It never returns an error for a missing
// device, only an empty list.
func Devices() ([]Device, error) {
	hints, err := nameHints()
	if err != nil {
		return nil, err
	}
	var out []Device
	seen := map[string]bool{}
	if Probe(DefaultName) == nil {
		out = append(out, Device{Name: DefaultName, Desc: defaultDesc(hints)})
		seen[DefaultName] = true
	}
	for _, h := range hints {
		base, _, _ := strings.Cut(h.Name, ":")
		switch {
		case seen[h.Name], h.IOID == "Output", skipped[base], base == "hw", h.Name == DefaultName:
			continue
		case servers[base] && Probe(h.Name) != nil:
			continue
		}
		seen[h.Name] = true
		out = append(out, Device{Name: h.Name, Desc: h.Desc})
	}
	return out, nil
}

// defaultDesc describes the default PCM: "System default", with the sound
// server it routes to when its description names one.
func defaultDesc(hints []hint) string {
	for _, h := range hints {
		if h.Name != DefaultName {
			continue
		}
		if _, what, ok := strings.Cut(h.Desc, "(currently "); ok {
			return "System default (" + strings.TrimSuffix(what, ")") + ")"
		}
		for _, server := range []string{"PipeWire", "PulseAudio"} {
			if strings.Contains(h.Desc, server) {
				return "System default (" + server + ")"
			}
		}
	}
	return "System default"
}

// hint is one entry of ALSA's device name hints.
type hint struct {
	Name, Desc string
	IOID       string // "Input", "Output" or "" (both)
}

// nameHints returns the PCM hints of every card and of the configuration.
func nameHints() ([]hint, error) {
	iface := C.CString("pcm")
	defer C.free(unsafe.Pointer(iface))
	configMu.Lock()
	reloadConfig()
	var hints *unsafe.Pointer
	r := C.snd_device_name_hint(-1, iface, &hints)
	configMu.Unlock()
	if r < 0 {
		return nil, newError("list", "pcm", r, nil)
	}
	defer C.snd_device_name_free_hint(hints)
	var out []hint
	for p := hints; *p != nil; p = (*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
		h := hint{Name: hintField(*p, "NAME"), Desc: hintField(*p, "DESC"), IOID: hintField(*p, "IOID")}
		if h.Name == "" {
			continue
		}
		h.Desc = strings.Join(strings.Fields(strings.ReplaceAll(h.Desc, "\n", ", ")), " ")
		if h.Desc == "" {
			h.Desc = h.Name
		}
		out = append(out, h)
	}
	return out, nil
}

func hintField(h unsafe.Pointer, id string) string {
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	v := C.snd_device_name_get_hint(h, cid)
	if v == nil {
		return ""
	}
	defer C.free(unsafe.Pointer(v))
	return C.GoString(v)
}
