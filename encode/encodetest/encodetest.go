// Package encodetest holds the conformance checks that every encoder
// passes, so that each encoder's tests run the same contract.
package encodetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"studio/encode"
)

// Encoder is what the checks need of an encode.VideoEncoder or
// encode.AudioEncoder.
type Encoder interface {
	ReadPacket(ctx context.Context) (*encode.Packet, error)
	Close() error
}

// CloseAndCancel checks an encoder whose next ReadPacket blocks in its
// source: cancelling the context returns ctx.Err(); Close unblocks a
// waiting ReadPacket with encode.ErrClosed; a second Close returns nil; and
// ReadPacket after Close returns encode.ErrClosed.
func CloseAndCancel(t testing.TB, e Encoder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	read := func(ctx context.Context) {
		p, err := e.ReadPacket(ctx)
		p.Release()
		errc <- err
	}
	go read(ctx)
	cancel()
	if err := WaitErr(t, errc); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadPacket after cancel = %v", err)
	}
	go read(context.Background())
	if err := e.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := WaitErr(t, errc); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("ReadPacket blocked across Close = %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := e.ReadPacket(context.Background()); !errors.Is(err, encode.ErrClosed) {
		t.Errorf("ReadPacket after Close = %v", err)
	}
}

// WaitErr returns the first error from errc, failing the test if none
// comes within 10 s.
func WaitErr(t testing.TB, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("ReadPacket did not return")
		return nil
	}
}
