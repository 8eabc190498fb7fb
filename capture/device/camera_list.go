package device

import (
	"fmt"
	"path/filepath"
	"strings"

	"studio/capture"
)

// cameras is the camera backend of the program (tests use a fake one).
var cameras cameraDriver = v4l2Driver{}

// Cameras lists the cameras present now (V4L2 nodes that capture video in a
// format studio reads), video0 first, with the card's name. It returns an
// empty list, not an error, when there is none.
func Cameras() ([]capture.Device, error) {
	return listCameras(cameras), nil
}

func listCameras(drv cameraDriver) []capture.Device {
	infos := drv.List()
	out := make([]capture.Device, 0, len(infos))
	for _, c := range infos {
		out = append(out, capture.Device{ID: c.ID, Name: c.Name, Kind: capture.Camera})
	}
	return out
}

// findCamera picks the camera for id: the first listed when id is "", else
// the one whose ID, path or name (case-insensitively) is id; a /dev path
// that is a symbolic link (/dev/v4l/by-id/…) counts as its target. The
// error wraps capture.ErrNoDevice.
func findCamera(drv cameraDriver, id string) (cameraInfo, error) {
	infos := drv.List()
	if id == "" {
		if len(infos) == 0 {
			return cameraInfo{}, fmt.Errorf("device: no camera found: %w", capture.ErrNoDevice)
		}
		return infos[0], nil
	}
	target := id
	if strings.HasPrefix(id, "/dev/") {
		if p, err := filepath.EvalSymlinks(id); err == nil {
			target = p
		}
	}
	for _, c := range infos {
		if id == c.ID || id == c.Path || target == c.Path || strings.EqualFold(id, c.Name) {
			return c, nil
		}
	}
	return cameraInfo{}, fmt.Errorf("device: camera %q not found: %w", id, capture.ErrNoDevice)
}
