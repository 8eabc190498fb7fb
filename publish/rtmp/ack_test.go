package rtmp

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"studio/publish/rtmp/chunk"
)

func TestAcknowledgements(t *testing.T) {
	acks := make(chan uint32, 16)
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		sc.send(2, chunk.TypeWindowAckSize, 0, appendUint32(nil, 1000))
		for range 20 {
			sc.sendCommand(0, "onFooBar", 0, nil, strings.Repeat("x", 100))
		}
		for {
			m, ok := sc.read()
			if !ok {
				return
			}
			if m.Type == chunk.TypeAck {
				acks <- binary.BigEndian.Uint32(m.Payload)
			}
		}
	}}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	first := waitFor(t, acks, "first ack")
	second := waitFor(t, acks, "second ack")
	if first < 1000 || second-first < 1000 || uint64(second) > s.Stats().BytesReceived {
		t.Errorf("acks %d, %d; received %d", first, second, s.Stats().BytesReceived)
	}
}

func TestServerAcksUs(t *testing.T) {
	acked := make(chan struct{})
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		for {
			m, ok := sc.read()
			if !ok {
				return
			}
			if m.Type == chunk.TypeVideo {
				sc.send(2, chunk.TypeAck, 0, appendUint32(nil, 1234))
				close(acked)
				sc.drain()
				return
			}
		}
	}}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	waitFor(t, acked, "ack")
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().BytesAcked != 1234 {
		if time.Now().After(deadline) {
			t.Fatalf("BytesAcked = %d", s.Stats().BytesAcked)
		}
		select {
		case <-s.Done():
			t.Fatal(s.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
