package publish

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrStreaming is returned by Connect while the session streams already.
var ErrStreaming = errors.New("already streaming")

// ErrNotStreaming is returned by Disconnect when the session does not
// stream.
var ErrNotStreaming = errors.New("not streaming")

// ErrStreamEnded wraps, in a warning Event, why a destination added to a
// running session has ended by itself. The session goes on.
var ErrStreamEnded = errors.New("the stream ended; the recording goes on")

// ErrTooManyDestinations is returned by AddDestination when the session
// streams to MaxDestinations already.
var ErrTooManyDestinations = fmt.Errorf("at most %d destinations", MaxDestinations)

// Connect starts streaming to d (named "stream" when d.Name is empty)
// while the session goes on recording without a gap. It returns
// ErrStreaming while any destination streams, and otherwise behaves as
// AddDestination.
func (s *Session) Connect(d Destination) error {
	if d.Dial == nil && d.Redial == nil {
		return errors.New("publish: Connect needs a DialFunc or a RedialFunc")
	}
	for _, o := range s.outs.destinations() {
		if o.entryState().active() {
			return ErrStreaming
		}
	}
	if d.Name == "" {
		d.Name = "stream"
	}
	return s.AddDestination(d)
}

// AddDestination starts streaming to d while the session runs. The new
// destination starts on a keyframe, asked for at once, with its timestamps
// at zero, and then behaves as one from Start (states, reconnects, adaptive
// bitrate), except that its failure ends only it: an Event then carries
// ErrStreamEnded. It returns at once; it returns ErrClosed once the session
// is stopping and ErrTooManyDestinations when MaxDestinations stream.
func (s *Session) AddDestination(d Destination) error {
	if d.Dial == nil && d.Redial == nil {
		return fmt.Errorf("publish: destination %q has no DialFunc", d.Name)
	}
	if s.book.stopRequested() || s.outs.isClosed() {
		return ErrClosed
	}
	n := 0
	for _, o := range s.outs.destinations() {
		if o.entryState().active() {
			n++
		}
	}
	if n >= MaxDestinations {
		return ErrTooManyDestinations
	}
	dst := s.newDestination(d, true)
	if !s.outs.add(dst) {
		dst.stop()
		s.book.finish(dst.entry, nil, false)
		return ErrClosed
	}
	dst.forceKeyframe()
	return nil
}

// Disconnect ends every destination cleanly (each gets what was captured
// until now, then its server is told the stream ends) and waits for them;
// when ctx ends first, they are dropped at once. The session goes on, recording if it records; Connect can start
// a new stream. It returns ErrNotStreaming when nothing streams.
func (s *Session) Disconnect(ctx context.Context) error {
	var ended []*destination
	for _, d := range s.outs.destinations() {
		if d.entryState().active() {
			ended = append(ended, d)
		}
	}
	if len(ended) == 0 {
		return ErrNotStreaming
	}
	return s.end(ctx, ended)
}

// RemoveDestination ends the destination named name as Disconnect does;
// the others go on. It returns ErrNotStreaming when no such destination
// streams.
func (s *Session) RemoveDestination(ctx context.Context, name string) error {
	for _, d := range s.outs.destinations() {
		if d.name == name && d.entryState().active() {
			return s.end(ctx, []*destination{d})
		}
	}
	return ErrNotStreaming
}

// end ends ds: a live one sends what was captured until now and then
// unpublishes; one that is not live stops at once. When ctx ends first,
// they stop at once.
func (s *Session) end(ctx context.Context, ds []*destination) error {
	for _, d := range ds {
		d.userEnded.Store(true)
		if d.entryState() == StateLive && !s.muxFinished() {
			d.endAt.CompareAndSwap(0, s.lastVideo.Load()+1)
		} else {
			d.stop()
		}
	}
	for _, d := range ds {
		select {
		case <-d.done:
		case <-ctx.Done():
			for _, d := range ds {
				d.stop()
			}
			return ctx.Err()
		}
	}
	return nil
}

// StartRecording starts writing the stream to rec while the session runs,
// from the next keyframe on (within one keyframe interval). The session
// owns rec from then on and closes it when the recording stops.
func (s *Session) StartRecording(rec Publisher) error {
	closeRec := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = rec.Close(ctx)
		cancel()
	}
	if r := s.outs.recorder(); r != nil && r.recording() {
		closeRec()
		return ErrRecording
	}
	_, midStream := s.hdr.known()
	if s.book.stopRequested() || !s.outs.add(s.newRecorder(rec, midStream)) {
		closeRec()
		return ErrClosed
	}
	return nil
}

// StopRecording finishes the local recording and returns once it is
// closed; the stream goes on.
func (s *Session) StopRecording() error {
	r := s.outs.recorder()
	if r == nil {
		return nil
	}
	s.outs.remove(r)
	r.finish()
	<-r.done
	return nil
}

// Stats returns a snapshot of the session's numbers, with the health
// diagnosed from them at most a second ago.
func (s *Session) Stats() Stats {
	st := s.snapshot()
	s.diag.fill(&st)
	return st
}

// snapshot is Stats without the health.
func (s *Session) snapshot() Stats {
	now := s.cfg.Clock.Now()
	st := Stats{Time: now, State: s.State(), Uptime: s.book.uptime(now)}
	user, target, _, _ := s.rate.targets(nil)
	st.UserKbps, st.TargetKbps = user, target
	for _, d := range s.outs.destinations() {
		ds := d.stats(now)
		ds.State, ds.Err = s.book.get(d.entry)
		_, _, ds.TargetKbps, ds.LowRendition = s.rate.targets(d)
		st.Destinations = append(st.Destinations, ds)
	}
	st.sum(st.Destinations)
	if r := s.outs.recorder(); r != nil && r.recording() {
		st.Recording = true
		if !anyActive(st.Destinations) {
			st.VideoKbps, st.AudioKbps, st.FPS = r.rate.rates(now)
			st.EstimateKbps = st.VideoKbps + st.AudioKbps
		}
	}
	if r := s.cfg.VideoSource; r != nil {
		st.VideoSource = r.Status()
	}
	if r := s.cfg.AudioSource; r != nil {
		st.AudioSource = r.Status()
	}
	return st
}

func anyActive(ds []DestinationStats) bool {
	for _, d := range ds {
		if d.State.active() {
			return true
		}
	}
	return false
}
