// Package device opens real cameras and microphones and turns them into
// capture sources: cameras give I420 frames of exactly the requested size,
// microphones interleaved 16-bit PCM at 48 kHz, both stamped on the
// session's capture.Clock.
//
// Cameras are read straight from V4L2 (github.com/blackjack/webcam), raw
// frames and all, so that MJPEG goes through capture/mjpeg; they are listed
// when asked. This package is the only place where the mediadevices drivers
// are registered: the microphone (miniaudio through malgo) driver is linked
// in by the imports of this file, and it discovers the devices present when
// the program starts. No other package may import it.
//
// Listing never fails because a device is missing: with no camera or no
// microphone, Cameras and Microphones return empty lists. Opening a device that
// is not there returns an error wrapping capture.ErrNoDevice.
package device

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pion/mediadevices/pkg/driver"
	// The one place the drivers are registered: each registers the
	// devices it finds in its init function.
	_ "github.com/pion/mediadevices/pkg/driver/microphone"

	"studio/capture"
)

// labelSeparator separates the parts of a camera driver's label
// ("by-path-name;video0"); it is camera.LabelSeparator.
const labelSeparator = ";"

// isNull reports whether info describes miniaudio's null backend device,
// which it offers when there is no sound card: its ID is "null" (hex
// 6e756c6c) and it generates zeros as fast as it is read. It records
// nothing real, so it is not listed and never chosen as the default
// microphone; it can still be opened by its ID, "6e756c6c" (tests do).
func isNull(info driver.Info) bool {
	return info.DeviceType == driver.Microphone &&
		(info.Label == nullID || info.Name == "NULL Capture Device" || strings.Contains(info.Name, "generate zero samples"))
}

// nullID is the ID of miniaudio's null capture device: "null" in hex.
const nullID = "6e756c6c"

// Microphones lists the microphones found when the program started, the
// system default first. It returns an empty list, not an error, when there
// is none (miniaudio's null device is not a microphone and is left out).
func Microphones() ([]capture.Device, error) {
	return list(driver.Microphone, capture.Microphone), nil
}

// entry is one registered driver with the description shown to users.
type entry struct {
	d   driver.Driver
	dev capture.Device
}

// drivers returns the registered drivers of type t, best first (by the
// drivers' priority, then by ID), including miniaudio's null device when
// withNull is set.
func drivers(t driver.DeviceType, kind capture.DeviceKind, withNull bool) []entry {
	var out []entry
	for _, d := range driver.GetManager().Query(driver.FilterDeviceType(t)) {
		info := d.Info()
		if isNull(info) && !withNull {
			continue
		}
		out = append(out, entry{d: d, dev: describe(info, kind)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := out[i].d.Info().Priority, out[j].d.Info().Priority
		if pi != pj {
			return pi > pj
		}
		return out[i].dev.ID < out[j].dev.ID
	})
	return out
}

func list(t driver.DeviceType, kind capture.DeviceKind) []capture.Device {
	ds := drivers(t, kind, false)
	out := make([]capture.Device, 0, len(ds))
	for _, e := range ds {
		out = append(out, e.dev)
	}
	return out
}

// describe makes a stable ID and a readable name from a driver's info.
// Cameras: the ID is the V4L2 node ("video0"), the name the card's name
// ("HD Webcam C615"), falling back to the node. Microphones: the ID is
// miniaudio's device ID (hex), the name the backend's description.
func describe(info driver.Info, kind capture.DeviceKind) capture.Device {
	dev := capture.Device{ID: info.Label, Name: strings.TrimSpace(info.Name), Kind: kind}
	if kind == capture.Camera {
		parts := strings.Split(info.Label, labelSeparator)
		dev.ID = parts[len(parts)-1]
		name, _, _ := strings.Cut(info.Name, labelSeparator)
		dev.Name = strings.TrimSpace(name)
	}
	if dev.Name == "" {
		dev.Name = dev.ID
	}
	return dev
}

// find picks the driver for id: the first listed one when id is "", else
// the one whose ID, label (or a part of it), /dev path or name matches id
// (names case-insensitively). The error wraps capture.ErrNoDevice.
func find(t driver.DeviceType, kind capture.DeviceKind, id string) (entry, error) {
	what := "camera"
	if kind == capture.Microphone {
		what = "microphone"
	}
	if id == "" {
		ds := drivers(t, kind, false)
		if len(ds) == 0 {
			return entry{}, fmt.Errorf("device: no %s found: %w", what, capture.ErrNoDevice)
		}
		return ds[0], nil
	}
	for _, e := range drivers(t, kind, true) {
		if matches(e, id) {
			return e, nil
		}
	}
	return entry{}, fmt.Errorf("device: %s %q not found: %w", what, id, capture.ErrNoDevice)
}

func matches(e entry, id string) bool {
	if id == e.dev.ID || id == e.d.ID() || id == e.d.Info().Label || strings.EqualFold(id, e.dev.Name) {
		return true
	}
	for _, part := range strings.Split(e.d.Info().Label, labelSeparator) {
		if id == part || id == "/dev/"+part {
			return true
		}
	}
	return false
}
