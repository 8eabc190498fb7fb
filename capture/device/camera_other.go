//go:build !linux

package device

import "fmt"

// v4l2Driver finds no camera outside Linux.
type v4l2Driver struct{}

func (v4l2Driver) List() []cameraInfo { return nil }

func (v4l2Driver) Open(info cameraInfo) (cameraDevice, error) {
	return nil, fmt.Errorf("camera %s: cameras work on Linux only", info.ID)
}
