package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"studio/capture"
	"studio/encode"
	"studio/publish"
	"studio/publish/flv"
)

// liveSession is the window's Live: a session whose recording the window
// starts and stops by path, and whose stream by URL, while it runs.
type liveSession struct {
	*publish.Session
	rtmpLog *slog.Logger
	codec   encode.VideoCodec
}

// StartRecording writes the stream from its next keyframe on to a new FLV
// file at path.
func (l liveSession) StartRecording(path string) error {
	rec, err := flv.Create(path)
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	return l.Session.StartRecording(rec) // it owns rec, and closes it on error
}

// StartStream starts streaming to url while the recording goes on.
func (l liveSession) StartStream(url string) error {
	dest, err := ParseDestination(url)
	if err != nil {
		return err
	}
	return l.Session.Connect(publish.Destination{Redial: dest.RedialCodec(l.rtmpLog, l.codec)})
}

// StopStream ends the stream; the recording goes on.
func (l liveSession) StopStream(ctx context.Context) error { return l.Session.Disconnect(ctx) }

// StopDestination ends one destination; the others go on.
func (l liveSession) StopDestination(ctx context.Context, name string) error {
	return l.Session.RemoveDestination(ctx, name)
}

// lease lends a source to an encoder: Close ends the loan without closing
// the source, which the Engine keeps for the preview.
type lease[F any, P any] struct {
	src interface {
		Read(context.Context) (F, error)
		Props() P
	}
	closed atomic.Bool
}

func (l *lease[F, P]) Read(ctx context.Context) (F, error) {
	if l.closed.Load() {
		var zero F
		return zero, capture.ErrClosed
	}
	return l.src.Read(ctx)
}

func (l *lease[F, P]) Props() P { return l.src.Props() }

func (l *lease[F, P]) Close() error {
	l.closed.Store(true)
	return nil
}
