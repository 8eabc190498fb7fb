package rtmp

// Closing: FCUnpublish and deleteStream, a half-close that lets the server
// finish, then the socket and the reader goroutine.

import (
	"context"
	"fmt"
	"time"

	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// closeDrainLimit bounds how long Close waits for the server to close its
// side after our FCUnpublish and deleteStream.
const closeDrainLimit = 2 * time.Second

// Close ends the stream: FCUnpublish and deleteStream if the connection is
// still healthy, then it waits (within ctx, and 2 s at most) for the server
// to close its side, closes the socket and waits for the reader goroutine.
// It is idempotent and safe to call concurrently with a failing write. When
// ctx ends first, the socket is closed anyway and Close returns ctx's error.
//
// When Close returns, no goroutine of the Stream runs any more, with one
// exception: called from OnStatus, Close cannot wait for the reader
// goroutine that is running OnStatus; that goroutine ends as soon as
// OnStatus returns. The wait for the reader goroutine is not bounded by
// ctx: once the socket is closed it ends at once, unless OnStatus is
// running, which must return quickly.
func (s *Stream) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Stream) close(ctx context.Context) error {
	s.closing.Store(true)
	onReader := s.inOnStatus() // called from OnStatus: the reader goroutine is this one
	var err error
	if s.Err() == nil {
		err = s.unpublish(ctx)
	}
	if err == nil && s.Err() == nil && !onReader {
		// Half-close and let the server finish: this makes sure it has
		// read everything (closing with unread data would reset the
		// connection) and finalizes the recording. Not from OnStatus:
		// the reader goroutine that would see the server's close is the
		// one running it.
		if cw, ok := s.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			t := time.NewTimer(closeDrainLimit)
			select {
			case <-s.readerDone:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
	s.fail(wire.ErrClosed)
	if onReader {
		return err
	}
	select {
	case <-s.readerDone:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
		<-s.readerDone // the socket is closed: the reader is on its way out
	}
	return err
}

// unpublish sends FCUnpublish and deleteStream.
func (s *Stream) unpublish(ctx context.Context) error {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("rtmp: close: %w", ctx.Err())
	}
	defer s.unlockWrite()
	if s.Err() != nil {
		return nil // a write failed meanwhile: nothing left to unpublish
	}
	if d, ok := ctx.Deadline(); ok {
		_ = s.nc.SetWriteDeadline(d)
		s.armedAt = d // keep armWriteDeadline from extending it
	}
	stop := afterFunc(ctx, func() { _ = s.nc.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	for _, c := range []struct {
		name string
		arg  any
	}{
		{"FCUnpublish", s.url.StreamKey()},
		{"deleteStream", float64(s.streamID)},
	} {
		body, err := AppendCommand(s.scratch[:0], c.name, 0, nil, c.arg)
		if err != nil {
			return err
		}
		s.scratch = body
		if err := s.cw.WriteMessage(chunk.Header{CSID: csidCommand, Type: chunk.TypeCommandAMF0}, body); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("rtmp: close: %w", ctx.Err())
			}
			return fmt.Errorf("rtmp: close: sending %s: %w", c.name, err)
		}
	}
	return nil
}
