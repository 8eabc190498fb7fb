package rtmp

import (
	"context"
	"errors"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/rtmp/wire"
)

func TestCloseDuringBlockedWrite(t *testing.T) {
	stop := make(chan struct{})
	srv := newMockServer(t, stalledServer(stop))
	defer close(stop)
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	writeErr := make(chan error, 1)
	go func() {
		big := encode.NewPacket(encode.Video, 0, 0, true, make([]byte, 1<<20), nil)
		for {
			if err := s.WritePacket(big); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	closeErr := make(chan error, 2)
	for range 2 {
		go func() { closeErr <- s.Close(ctx) }()
	}
	waitFor(t, closeErr, "Close")
	waitFor(t, closeErr, "second Close")
	if err := waitFor(t, writeErr, "the blocked write"); !errors.Is(err, wire.ErrClosed) {
		t.Errorf("blocked write returned %v", err)
	}
}

func TestCloseFromOnStatus(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		sc.sendCommand(1, "onStatus", 0, nil, statusObj("status", "NetStream.Unpublish.Success", "bye"))
		sc.drain()
	}}))
	var s *Stream
	ready := make(chan struct{})
	closed := make(chan error, 1)
	o := testOptions(nil)
	o.OnStatus = func(st wire.Status) {
		if st.Code == "NetStream.Unpublish.Success" {
			<-ready
			closed <- s.Close(context.Background())
		}
	}
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	if err := waitFor(t, closed, "Close from OnStatus"); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The reader goroutine must still exit: goleak checks.
}
