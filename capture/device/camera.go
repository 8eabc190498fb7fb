package device

import (
	"errors"
	"fmt"
	"time"

	"studio/capture"
)

// ErrCameraLost is wrapped by the error Read returns once the camera
// stopped delivering: unplugged, failing, or silent (or sending nothing
// that decodes) for longer than the stall bound (2 s).
var ErrCameraLost = errors.New("device: camera lost")

// Stall bounds: how long a camera may deliver nothing (or nothing that
// decodes) before it counts as lost, and how long its first frame may take
// (cameras take a while to start streaming).
const (
	defaultStall = 2 * time.Second
	firstFrame   = 5 * time.Second
)

// OpenCamera opens the camera id ("" for the first one Cameras lists; an
// ID such as "video0", a /dev path or a name otherwise) and returns a source
// of props.Width × props.Height I420 frames.
//
// It picks the camera mode closest to props (a frame rate of at least
// props.FPS first, then the size, then the cheapest pixel format) and takes
// the camera's raw frames (MJPEG, YUYV, UYVY, NV12, NV21, I420) straight
// from V4L2: MJPEG goes through capture/mjpeg (TurboJPEG to YUV, no RGB
// step). Frames are scaled to the requested size when the camera cannot
// deliver it. Each frame's PTS is the clock's time when the camera handed
// the frame over; Seq counts the frames Read returned. The camera paces
// the source: Props().FPS is what was asked for, not a promise. A frame
// that does not decode (a corrupt JPEG) is dropped.
//
// The source implements capture.Reporter: Device is the camera's name, and
// Skipped counts the frame intervals (at props.FPS) that passed without a
// frame from the camera. Once the camera is lost, Read returns an error
// wrapping ErrCameraLost and the cause, the state is capture.SourceLost,
// and the camera is released so that it can be opened again.
//
// A missing camera gives an error wrapping capture.ErrNoDevice.
func OpenCamera(clock *capture.Clock, id string, props capture.VideoProps) (capture.VideoSource, error) {
	s, err := openCamera(cameras, clock, id, props, defaultStall)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func openCamera(drv cameraDriver, clock *capture.Clock, id string, props capture.VideoProps, stall time.Duration) (*cameraSource, error) {
	if clock == nil {
		return nil, errors.New("device: camera: nil clock")
	}
	if props.Width < 16 || props.Height < 16 || props.Width%2 != 0 || props.Height%2 != 0 {
		return nil, fmt.Errorf("device: camera: size %dx%d: width and height must be even and at least 16", props.Width, props.Height)
	}
	if props.FPS < 1 || props.FPS > 240 {
		return nil, fmt.Errorf("device: camera: frame rate %d: must be between 1 and 240", props.FPS)
	}
	info, err := findCamera(drv, id)
	if err != nil {
		return nil, err
	}
	dev, err := drv.Open(info)
	if err != nil {
		return nil, fmt.Errorf("device: open camera %s: %w", info.Name, err)
	}
	mode, ok := chooseMode(dev.Modes(), props)
	if !ok {
		_ = dev.Close()
		return nil, fmt.Errorf("device: camera %s offers no mode in a format studio can read", info.Name)
	}
	got, err := dev.Start(mode)
	if err != nil {
		_ = dev.Close()
		return nil, fmt.Errorf("device: start camera %s (%v): %w", info.Name, mode, err)
	}
	return newCameraSource(clock, props, info.Name, dev, got, stall), nil
}
