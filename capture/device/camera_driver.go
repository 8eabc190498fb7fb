package device

import (
	"errors"
	"fmt"
	"time"
)

// pixelFormat is a V4L2 pixel format (a fourcc, V4L2_PIX_FMT_*).
type pixelFormat uint32

func fourcc(a, b, c, d byte) pixelFormat {
	return pixelFormat(a) | pixelFormat(b)<<8 | pixelFormat(c)<<16 | pixelFormat(d)<<24
}

// The camera formats this package converts, from the V4L2 headers.
var (
	fmtI420  = fourcc('Y', 'U', '1', '2')
	fmtNV12  = fourcc('N', 'V', '1', '2')
	fmtNV21  = fourcc('N', 'V', '2', '1')
	fmtYUYV  = fourcc('Y', 'U', 'Y', 'V')
	fmtUYVY  = fourcc('U', 'Y', 'V', 'Y')
	fmtMJPEG = fourcc('M', 'J', 'P', 'G')
	fmtJPEG  = fourcc('J', 'P', 'E', 'G') // some cameras say JPEG for MJPEG
)

// cameraFormats are the pixel formats this package converts, in order of
// preference when several modes fit equally well (cheapest first).
var cameraFormats = []pixelFormat{fmtI420, fmtNV12, fmtNV21, fmtYUYV, fmtUYVY, fmtMJPEG, fmtJPEG}

func (f pixelFormat) String() string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return fmt.Sprintf("0x%08x", uint32(f))
		}
	}
	return string(b)
}

// cameraMode is one way a camera can deliver frames. FPS is 0 when the
// camera does not say.
type cameraMode struct {
	Format        pixelFormat
	Width, Height int
	FPS           float64
}

func (m cameraMode) String() string {
	return fmt.Sprintf("%dx%d %s @%g", m.Width, m.Height, m.Format, m.FPS)
}

// cameraInfo describes one camera a driver found.
type cameraInfo struct {
	// ID is stable while the camera stays plugged in: the V4L2 node
	// ("video0").
	ID string
	// Name is the card's name ("HD Webcam C615"), or the ID.
	Name string
	// Path opens it ("/dev/video0").
	Path string
}

// cameraDriver is a camera backend: V4L2 in the program, a fake in tests.
type cameraDriver interface {
	// List returns the cameras present now, the default first. It never
	// fails: no camera is an empty list.
	List() []cameraInfo
	// Open opens a camera List returned, without starting it.
	Open(info cameraInfo) (cameraDevice, error)
}

// errFrameTimeout is returned by cameraDevice.ReadFrame when no frame came
// in time.
var errFrameTimeout = errors.New("no frame in time")

// errDeviceClosed is returned by cameraDevice.ReadFrame after Close.
var errDeviceClosed = errors.New("camera closed")

// cameraDevice is an open camera. ReadFrame is called from one goroutine
// at a time; Close may be called from any goroutine, at any time.
type cameraDevice interface {
	// Modes lists the modes the camera offers.
	Modes() []cameraMode
	// Start sets mode m and starts streaming. It returns the mode the
	// camera took, which may differ in size and rate.
	Start(m cameraMode) (cameraMode, error)
	// ReadFrame waits up to timeout for the next frame and calls use with
	// its bytes, which are valid only during the call. It returns
	// errFrameTimeout when none came in time, errDeviceClosed after
	// Close, and another error when the device failed (unplugged).
	ReadFrame(timeout time.Duration, use func(raw []byte)) error
	// Close stops the camera and frees it. A ReadFrame in progress
	// returns promptly; Close waits for it before freeing the buffers.
	// Safe to call more than once.
	Close() error
}
