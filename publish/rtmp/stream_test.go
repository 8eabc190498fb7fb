package rtmp

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/flv/flvtest"
	"studio/publish/rtmp/wire"
)

func TestServerClosesWhileStreaming(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {}}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	waitFor(t, s.Done(), "Done")
	if !errors.Is(s.Err(), io.ErrUnexpectedEOF) || !strings.Contains(s.Err().Error(), "server closed") {
		t.Errorf("Err = %v", s.Err())
	}
	if err := s.WriteHeader(testInfo); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("WriteHeader = %v", err)
	}
}

func TestServerSendsGarbage(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		_, _ = sc.c.Write([]byte{0x45, 1, 2, 3, 4, 5, 6, 7}) // format 1 on a new chunk stream
		sc.drain()
	}}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	waitFor(t, s.Done(), "Done")
	if !errors.Is(s.Err(), wire.ErrProtocol) {
		t.Errorf("Err = %v", s.Err())
	}
}

func TestStatusWhileStreaming(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		sc.sendCommand(1, "onStatus", 0, nil, statusObj("status", "NetStream.Publish.Idle", "idle"))
		sc.sendCommand(1, "onStatus", 0, nil, statusObj("error", "NetStream.Publish.Rejected", "kicked"))
		sc.drain()
	}}))
	log := newStatusLog()
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(log))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	for _, want := range []string{"NetStream.Publish.Start", "NetStream.Publish.Idle", "NetStream.Publish.Rejected"} {
		if st := waitFor(t, log.ch, want); st.Code != want {
			t.Errorf("status %v, want %s", st, want)
		}
	}
	waitFor(t, s.Done(), "Done")
	var se *wire.StatusError
	if !errors.As(s.Err(), &se) || se.Status.Code != "NetStream.Publish.Rejected" {
		t.Errorf("Err = %v", s.Err())
	}
}

// stalledServer completes the setup and then stops reading.
func stalledServer(stop <-chan struct{}) func(*serverConn) {
	return standardServer(serverOpts{afterPublish: func(sc *serverConn) { <-stop }})
}

func TestWriteTimeout(t *testing.T) {
	stop := make(chan struct{})
	srv := newMockServer(t, stalledServer(stop))
	defer close(stop)
	o := testOptions(nil)
	o.WriteTimeout = 300 * time.Millisecond
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	big := encode.NewPacket(encode.Video, 0, 0, true, make([]byte, 1<<20), nil)
	for i := 0; ; i++ {
		if err = s.WritePacket(big); err != nil {
			break
		}
		if i > 1000 {
			t.Fatal("a stalled server absorbed 1 GB")
		}
	}
	if !errors.Is(err, wire.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	waitFor(t, s.Done(), "Done")
}

func TestWritePacketAllocs(t *testing.T) {
	hevc := testInfo
	hevc.Video = flvtest.MustLoad(encode.HEVC).Config
	for _, info := range []encode.StreamInfo{testInfo, hevc} {
		writePacketAllocs(t, info)
	}
}

func writePacketAllocs(t *testing.T, info encode.StreamInfo) {
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		_, _ = io.Copy(io.Discard, sc.br)
	}}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.WriteHeader(info); err != nil {
		t.Fatal(err)
	}
	v := encode.NewPacket(encode.Video, 0, 0, true, make([]byte, 64<<10), nil)
	a := encode.NewPacket(encode.Audio, 0, 0, true, make([]byte, 400), nil)
	allocs := testing.AllocsPerRun(200, func() {
		v.DTS += 33 * time.Millisecond
		v.PTS = v.DTS + v.DTS%(66*time.Millisecond) // CodedFrames and CodedFramesX
		a.DTS += 21 * time.Millisecond
		if err := s.WritePacket(v); err != nil {
			t.Fatal(err)
		}
		if err := s.WritePacket(a); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%s: %v allocations per WritePacket pair", info.Video.Codec, allocs)
	}
}

func TestWritePacketBeforeHeader(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.WritePacket(encode.NewPacket(encode.Audio, 0, 0, true, []byte{1}, nil)); err == nil {
		t.Error("WritePacket before WriteHeader succeeded")
	}
}
