package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
	"time"

	"studio/capture"
	"studio/internal/freelist"
)

// rawSource is a capture.VideoSource that reads raw I420 frames (the Y, Cb
// and Cr planes one after another, no padding) from a file, unpaced, with
// PTS n/FPS. It ends with io.EOF after the last whole frame or after limit
// frames. Frames are reused after Release.
type rawSource struct {
	props capture.VideoProps
	f     *os.File
	r     *bufio.Reader
	limit int // frames to read at most; 0 for all

	mu     sync.Mutex // guards n and closed
	n      int
	closed bool
	free   freelist.List[image.YCbCr]
}

func openRaw(path string, props capture.VideoProps, limit int) (*rawSource, error) {
	if props.Width <= 0 || props.Height <= 0 || props.Width%2 != 0 || props.Height%2 != 0 || props.FPS <= 0 {
		return nil, fmt.Errorf("raw source: bad size or rate %dx%d@%d", props.Width, props.Height, props.FPS)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("raw source: %w", err)
	}
	return &rawSource{props: props, f: f, r: bufio.NewReaderSize(f, 1<<20), limit: limit}, nil
}

func (s *rawSource) Props() capture.VideoProps { return s.props }

// Close closes the file; later Reads return an error. It is safe to call
// more than once.
func (s *rawSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// Read returns the next frame, io.EOF at the end, or ctx.Err().
func (s *rawSource) Read(ctx context.Context) (*capture.VideoFrame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("raw source: closed")
	}
	if s.limit > 0 && s.n >= s.limit {
		return nil, io.EOF
	}
	img := s.free.Get()
	if img == nil {
		img = image.NewYCbCr(image.Rect(0, 0, s.props.Width, s.props.Height), image.YCbCrSubsampleRatio420)
	}
	for _, plane := range [][]byte{img.Y, img.Cb, img.Cr} {
		if _, err := io.ReadFull(s.r, plane); err != nil {
			s.free.Put(img)
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, io.EOF // a partial last frame is ignored
			}
			return nil, fmt.Errorf("raw source: %w", err)
		}
	}
	pts := time.Duration(s.n) * time.Second / time.Duration(s.props.FPS)
	seq := uint64(s.n)
	s.n++
	return capture.NewVideoFrame(img, pts, seq, func() { s.free.Put(img) }), nil
}

// writeRaw writes img's planes as raw I420, row by row (any strides).
func writeRaw(w io.Writer, img *image.YCbCr) error {
	r := img.Rect
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := img.YOffset(r.Min.X, y)
		if _, err := w.Write(img.Y[i : i+r.Dx()]); err != nil {
			return err
		}
	}
	for _, plane := range [][]byte{img.Cb, img.Cr} {
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			i := img.COffset(r.Min.X, y)
			if _, err := w.Write(plane[i : i+r.Dx()/2]); err != nil {
				return err
			}
		}
	}
	return nil
}
