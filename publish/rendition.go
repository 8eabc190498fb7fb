package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"studio/encode"
)

// renditions runs the low video rendition: a second encoder on the same
// capture at a lower bitrate, for destinations whose link cannot carry the
// main one. At most one runs at a time. Its methods are safe for concurrent
// use.
type renditions struct {
	mu     sync.Mutex
	cur    *rendition // guarded by mu; nil when none runs
	closed bool       // guarded by mu; no more may start
	wg     sync.WaitGroup
	// unusable is set when a rendition's sequence headers differ from the
	// main video's: destinations could not move between them at a
	// keyframe, so no rendition is used again.
	unusable atomic.Bool
}

// current returns the running rendition's encoder, or nil.
func (rs *renditions) current() encode.VideoEncoder {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.cur == nil {
		return nil
	}
	return rs.cur.enc
}

// fits reports whether the running rendition can stand in for the main
// video of info: the same sequence headers. It marks renditions unusable
// when not.
func (s *Session) renditionFits(info encode.StreamInfo) bool {
	enc := s.rend.current()
	if enc == nil {
		return false
	}
	c := enc.Config()
	if bytes.Equal(c.SPS, info.Video.SPS) && bytes.Equal(c.PPS, info.Video.PPS) {
		return true
	}
	if !s.rend.unusable.Swap(true) {
		s.log.Warn("the low rendition's SPS/PPS differ from the main video's: slow destinations drop frames instead")
	}
	return false
}

// rendition is one running low rendition.
type rendition struct {
	enc    encode.VideoEncoder
	cancel context.CancelFunc
	done   chan struct{} // closed when its encode loop has ended
}

// errNoRendition is returned when the session cannot make a rendition.
var errNoRendition = errors.New("publish: no second rendition can be made")

// start opens the low rendition at kbps and feeds its packets to the mux.
func (s *Session) startRendition(kbps int) (*rendition, error) {
	if s.cfg.Rendition == nil || s.rend.unusable.Load() {
		return nil, errNoRendition
	}
	rs := &s.rend
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed || s.capture.Err() != nil {
		return nil, ErrClosed
	}
	if rs.cur != nil {
		return rs.cur, nil
	}
	enc, err := s.cfg.Rendition(kbps)
	if err != nil {
		return nil, fmt.Errorf("opening the low rendition: %w", err)
	}
	ctx, cancel := context.WithCancel(s.capture)
	r := &rendition{enc: enc, cancel: cancel, done: make(chan struct{})}
	rs.cur = r
	rs.wg.Go(func() {
		defer close(r.done)
		s.encodeLoop(ctx, enc.ReadPacket, trackLow)
		s.in <- muxIn{nil, trackLow}
	})
	s.log.Info("low rendition started", "kbps", kbps)
	return r, nil
}

// ended reports whether r's encoder has stopped by itself.
func (r *rendition) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// stopRendition ends r and closes its encoder.
func (s *Session) stopRendition(r *rendition) {
	rs := &s.rend
	rs.mu.Lock()
	if rs.cur == r {
		rs.cur = nil
	}
	rs.mu.Unlock()
	r.cancel()
	<-r.done
	_ = r.enc.Close()
	s.log.Info("low rendition stopped")
}

// closeAll stops the running rendition, if any, and lets no other start;
// it returns once no rendition loop can send to the mux.
func (rs *renditions) closeAll() {
	rs.mu.Lock()
	rs.closed = true
	r := rs.cur
	rs.cur = nil
	rs.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
		_ = r.enc.Close()
	}
	rs.wg.Wait()
}
