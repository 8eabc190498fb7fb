package tee

import (
	"sync"
	"sync/atomic"

	"studio/capture"
)

// A share is one frame of src handed to several readers. src is released
// when refs, one per reader, falls to zero.
type share struct {
	src  *capture.VideoFrame
	refs atomic.Int32
}

// A ref is one reader's frame of a share. Its VideoFrame is what the reader
// gets; its release drops the reader's reference.
type ref struct {
	frame capture.VideoFrame
	sh    *share
	rel   func() // r.release, bound once so that reuse does not allocate
}

// Shares and refs are recycled, so that a steady stream does not allocate.
var (
	sharePool = sync.Pool{New: func() any { return new(share) }}
	refPool   sync.Pool // of *ref; see getRef
)

// getRef returns a recycled ref or a new one.
func getRef() *ref {
	if r, ok := refPool.Get().(*ref); ok {
		return r
	}
	r := new(ref)
	r.rel = r.release
	return r
}

// newShare returns a share of f for n readers.
func newShare(f *capture.VideoFrame, n int) *share {
	s := sharePool.Get().(*share)
	s.src = f
	s.refs.Store(int32(n))
	return s
}

// frame returns a new reader's frame of s, which takes one of the n
// references newShare counted.
func (s *share) frame() *capture.VideoFrame {
	r := getRef()
	r.sh = s
	r.frame = *capture.NewVideoFrame(s.src.Image, s.src.PTS, s.src.Seq, r.rel)
	return &r.frame
}

// drop gives up one reference without handing out a frame.
func (s *share) drop() {
	if s.refs.Add(-1) == 0 {
		f := s.src
		s.src = nil
		sharePool.Put(s)
		f.Release()
	}
}

// release is the reader's frame's release: it recycles r and drops its
// reference. capture.VideoFrame.Release calls it at most once per handout.
func (r *ref) release() {
	s := r.sh
	r.sh = nil
	refPool.Put(r)
	s.drop()
}
