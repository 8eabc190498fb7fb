package rtmp

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// readerEnded fails the test unless the reader goroutine of s has ended.
func readerEnded(t *testing.T, s *Stream, what string) {
	t.Helper()
	select {
	case <-s.readerDone:
	default:
		t.Fatalf("%s: Close returned while the reader goroutine still runs", what)
	}
}

// TestCloseExpiredEndsReader: a Close whose ctx is already over skips the
// goodbye and returns ctx's error, but only once the reader goroutine has
// ended.
func TestCloseExpiredEndsReader(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 100 {
		s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close(ctx)
		readerEnded(t, s, fmt.Sprintf("run %d", i))
		if !errors.Is(s.Err(), wire.ErrClosed) {
			t.Fatalf("run %d: Err() = %v, want ErrClosed", i, s.Err())
		}
	}
}

// TestCloseDuringOnStatusEndsReader: Close from another goroutine while
// the reader goroutine runs OnStatus waits for OnStatus to return and the
// reader to end, also when Close's ctx is already over.
func TestCloseDuringOnStatusEndsReader(t *testing.T) {
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"live ctx", context.Background()},
		{"expired ctx", expired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 10 {
				closeDuringOnStatus(t, tc.ctx, i)
			}
		})
	}
}

func closeDuringOnStatus(t *testing.T, ctx context.Context, run int) {
	// The server holds OnStatus until it has read deleteStream or the
	// connection ends, so that Close starts while the callback runs.
	release := make(chan struct{})
	var once sync.Once
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		defer once.Do(func() { close(release) })
		sc.sendCommand(1, "onStatus", 0, nil, statusObj("status", "NetStream.Data.Start", ""))
		for {
			cmd, _, ok := sc.readCommand()
			if !ok {
				return
			}
			if cmd.Name == "deleteStream" {
				once.Do(func() { close(release) })
				sc.drain()
				return
			}
		}
	}}))
	entered := make(chan struct{})
	o := testOptions(nil)
	o.OnStatus = func(st wire.Status) {
		if st.Code == "NetStream.Data.Start" {
			close(entered)
			<-release
		}
	}
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, entered, "OnStatus")
	if err := s.Close(ctx); err != nil && ctx.Err() == nil {
		t.Fatalf("run %d: Close: %v", run, err)
	}
	readerEnded(t, s, fmt.Sprintf("run %d", run))
}
