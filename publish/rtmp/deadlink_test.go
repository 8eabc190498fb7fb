package rtmp

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// ackingServer completes the setup, then reads everything and
// acknowledges every window bytes until it has read stopAfter bytes
// (0: never acknowledges). It closes stopped when it stops acknowledging.
func ackingServer(window uint32, stopAfter uint64, stopped chan<- struct{}, windows chan<- uint32) func(*serverConn) {
	return standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		for _, m := range sc.seen {
			if m.Type == chunk.TypeWindowAckSize {
				windows <- binary.BigEndian.Uint32(m.Payload)
			}
		}
		close(windows)
		var last uint64
		acking := stopAfter > 0
		for {
			if _, ok := sc.read(); !ok {
				return
			}
			n := sc.r.BytesRead()
			if acking && n >= stopAfter {
				acking = false
				close(stopped)
			}
			if acking && n-last >= uint64(window) {
				last = n
				sc.send(2, chunk.TypeAck, 0, appendUint32(nil, uint32(n)))
			}
		}
	}})
}

// pump sends 4 KiB video packets every 2 ms (2 MB/s) until the stream
// dies or until is closed; it returns the stream's error.
func pump(t *testing.T, s *Stream, until <-chan struct{}) error {
	t.Helper()
	data := make([]byte, 4<<10)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-s.Done():
			return s.Err()
		case <-until:
			return s.Err()
		case <-tick.C:
		}
		ts := time.Duration(i) * time.Millisecond
		if err := s.WritePacket(encode.NewPacket(encode.Video, ts, ts, i == 0, data, nil)); err != nil {
			return err
		}
	}
}

func deadLinkOptions() Options {
	o := testOptions(nil)
	o.AckWindow = 16 << 10
	// Long enough that a stall of the test's own goroutines on a busy
	// machine (100–300 ms) is not taken for a dead link.
	o.AckTimeout = time.Second
	return o
}

func TestServerStopsAcknowledging(t *testing.T) {
	stopped := make(chan struct{})
	windows := make(chan uint32, 4)
	o := deadLinkOptions()
	srv := newMockServer(t, ackingServer(o.AckWindow, 4<<20, stopped, windows))
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	var last uint32
	for w := range windows {
		last = w
	}
	if last != o.AckWindow {
		t.Errorf("last Window Acknowledgement Size sent: %d, want %d", last, o.AckWindow)
	}
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	// While the server acknowledges (4 MiB at 2 MB/s: twice AckTimeout),
	// the connection is healthy.
	if err := pump(t, s, stopped); err != nil {
		t.Fatalf("the connection failed while the server was acknowledging: %v", err)
	}
	stoppedAt := time.Now()
	giveUp := make(chan struct{})
	defer time.AfterFunc(10*time.Second, func() { close(giveUp) }).Stop()
	err = pump(t, s, giveUp)
	if !errors.Is(err, wire.ErrTimeout) || !errors.Is(err, wire.ErrNotAcknowledged) || !strings.Contains(err.Error(), "stopped acknowledging") {
		t.Fatalf("err = %v, want ErrTimeout: stopped acknowledging", err)
	}
	// 2 windows at 2 MB/s, then AckTimeout.
	if d := time.Since(stoppedAt); d > 4*time.Second {
		t.Errorf("took %v to notice", d)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done is not closed")
	}
	if !errors.Is(s.Err(), wire.ErrTimeout) {
		t.Errorf("Err = %v", s.Err())
	}
}

// TestServerNeverAcknowledges: a server that never acknowledges is not
// declared dead, however much is sent.
func TestServerNeverAcknowledges(t *testing.T) {
	windows := make(chan uint32, 4)
	o := deadLinkOptions()
	srv := newMockServer(t, ackingServer(o.AckWindow, 0, nil, windows))
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	for range windows {
	}
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	// 3 s at 2 MB/s: 375 windows, 3 times AckTimeout.
	enough := make(chan struct{})
	defer time.AfterFunc(3*time.Second, func() { close(enough) }).Stop()
	if err := pump(t, s, enough); err != nil {
		t.Fatalf("declared dead: %v", err)
	}
	if sent := s.Stats().BytesSent; sent < 20*uint64(o.AckWindow) {
		t.Errorf("only %d bytes sent", sent)
	}
}
