package rtmp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testInfo = encode.StreamInfo{
	Video: encode.VideoConfig{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 2500, Encoder: "test",
		SPS: []byte{0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01}, PPS: []byte{0x68, 0xce, 0x3c, 0x80}},
	Audio: encode.AudioConfig{SampleRate: 48000, Channels: 2, ASC: []byte{0x11, 0x90}, BitrateKbps: 128},
}

// statusLog collects OnStatus events.
type statusLog struct {
	mu  sync.Mutex
	got []wire.Status
	ch  chan wire.Status
}

func newStatusLog() *statusLog { return &statusLog{ch: make(chan wire.Status, 64)} }

func (l *statusLog) on(st wire.Status) {
	l.mu.Lock()
	l.got = append(l.got, st)
	l.mu.Unlock()
	l.ch <- st
}

func (l *statusLog) codes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c []string
	for _, st := range l.got {
		c = append(c, st.Code)
	}
	return c
}

func recordTo(ch chan<- []chunk.Message, h func(*serverConn)) func(*serverConn) {
	return func(sc *serverConn) {
		h(sc)
		ch <- sc.seen
	}
}

func testOptions(l *statusLog) Options {
	o := Options{Timeout: 5 * time.Second}
	if l != nil {
		o.OnStatus = l.on
	}
	return o
}

func commandsOf(t *testing.T, msgs []chunk.Message) ([]Command, []chunk.Message) {
	t.Helper()
	var cmds []Command
	var ms []chunk.Message
	for _, m := range msgs {
		if m.Type != chunk.TypeCommandAMF0 {
			continue
		}
		c, err := ParseCommand(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
		ms = append(ms, m)
	}
	return cmds, ms
}

func TestPublishHappyPath(t *testing.T) {
	seen := make(chan []chunk.Message, 1)
	pings := make(chan []byte, 1)
	srv := newMockServer(t, recordTo(seen, standardServer(serverOpts{
		chunkSize:    100, // the 250-byte connect _result then spans 3 chunks
		releaseError: true,
		afterPublish: func(sc *serverConn) {
			sc.send(2, chunk.TypeUserControl, 0, appendUserControl(nil, EventPingRequest, []byte{0, 0, 0x30, 0x39}))
			for {
				m, ok := sc.read()
				if !ok {
					return
				}
				if m.Type == chunk.TypeUserControl {
					pings <- m.Payload
				}
			}
		},
	})))
	log := newStatusLog()
	ctx := context.Background()
	s, err := Publish(ctx, srv.url("/live/name?key=secret"), testOptions(log))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, pings, "ping response"); !bytes.Equal(got, []byte{0, 7, 0, 0, 0x30, 0x39}) {
		t.Errorf("ping response % x", got)
	}
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	video := []byte{0, 0, 0, 2, 0x65, 0x88}
	audio := []byte{0x21, 0x10, 0x04}
	pkts := []*encode.Packet{
		encode.NewPacket(encode.Video, 0, -5*time.Millisecond, true, video, nil),
		encode.NewPacket(encode.Audio, 10*time.Millisecond, 10*time.Millisecond, true, audio, nil),
		encode.NewPacket(encode.Video, 100*time.Millisecond, 66*time.Millisecond, false, video, nil),
	}
	for _, p := range pkts {
		if err := s.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.BytesSent == 0 || st.BytesReceived == 0 {
		t.Errorf("stats %+v", st)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !errors.Is(s.Err(), wire.ErrClosed) {
		t.Errorf("Err after Close = %v", s.Err())
	}
	if err := s.WritePacket(pkts[0]); !errors.Is(err, wire.ErrClosed) {
		t.Errorf("WritePacket after Close = %v", err)
	}

	msgs := waitFor(t, seen, "server transcript")
	// Set Chunk Size 4096 comes first.
	if m := msgs[0]; m.Type != chunk.TypeSetChunkSize || binary.BigEndian.Uint32(m.Payload) != 4096 {
		t.Errorf("first message %+v % x, want Set Chunk Size 4096", m.Header, m.Payload)
	}
	// Window Acknowledgement Size in answer to Set Peer Bandwidth.
	if m, err := find(msgs, func(m chunk.Message) bool { return m.Type == chunk.TypeWindowAckSize }); err != nil || binary.BigEndian.Uint32(m.Payload) != 5000000 {
		t.Errorf("window ack size: %v % x", err, m.Payload)
	}
	cmds, cms := commandsOf(t, msgs)
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	want := []string{"connect", "releaseStream", "FCPublish", "createStream", "publish", "FCUnpublish", "deleteStream"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("commands %v, want %v", names, want)
	}
	conn, _ := properties(cmds[0].Object)
	for k, v := range map[string]string{
		"app": "live", "type": "nonprivate", "flashVer": DefaultFlashVer, "tcUrl": srv.url("/live"),
	} {
		if got, _ := conn.String(k); got != v {
			t.Errorf("connect %s = %q, want %q", k, got, v)
		}
	}
	if cmds[0].TxnID != 1 || cms[0].CSID != 3 {
		t.Errorf("connect txn %v csid %d", cmds[0].TxnID, cms[0].CSID)
	}
	for _, i := range []int{1, 2, 4, 5} {
		if len(cmds[i].Args) == 0 || cmds[i].Args[0] != "name?key=secret" {
			t.Errorf("%s args %v, want the key", cmds[i].Name, cmds[i].Args)
		}
	}
	if p := cms[4]; p.StreamID != 1 || p.CSID != csidStream || cmds[4].Args[1] != "live" {
		t.Errorf("publish on stream %d csid %d args %v", p.StreamID, p.CSID, cmds[4].Args)
	}
	if cmds[6].Args[0] != 1.0 {
		t.Errorf("deleteStream args %v", cmds[6].Args)
	}

	// Media: metadata, sequence headers, then packets.
	var media []chunk.Message
	for _, m := range msgs {
		if m.Type == chunk.TypeDataAMF0 || m.Type == chunk.TypeAudio || m.Type == chunk.TypeVideo {
			media = append(media, m)
		}
	}
	if len(media) != 6 {
		t.Fatalf("%d media messages, want 6", len(media))
	}
	meta, err := amf0.Unmarshal(media[0].Payload)
	if err != nil || len(meta) < 3 || meta[0] != "@setDataFrame" || meta[1] != "onMetaData" {
		t.Errorf("metadata %v %v", meta, err)
	}
	type exp struct {
		typ  uint8
		csid uint32
		ts   uint32
		body []byte
	}
	for i, e := range []exp{
		{chunk.TypeVideo, csidVideo, 0, nil},
		{chunk.TypeAudio, csidAudio, 0, append([]byte{0xaf, 0x00}, testInfo.Audio.ASC...)},
		{chunk.TypeVideo, csidVideo, 0, append([]byte{0x17, 1, 0, 0, 5}, video...)},
		{chunk.TypeAudio, csidAudio, 10, append([]byte{0xaf, 0x01}, audio...)},
		{chunk.TypeVideo, csidVideo, 66, append([]byte{0x27, 1, 0, 0, 34}, video...)},
	} {
		m := media[i+1]
		if m.Type != e.typ || m.CSID != e.csid || m.Timestamp != e.ts || m.StreamID != 1 {
			t.Errorf("media %d: %+v, want type %d csid %d ts %d", i+1, m.Header, e.typ, e.csid, e.ts)
		}
		if e.body != nil && !bytes.Equal(m.Payload, e.body) {
			t.Errorf("media %d: % x, want % x", i+1, m.Payload, e.body)
		}
	}
	if media[1].Payload[0] != 0x17 || media[1].Payload[1] != 0 {
		t.Errorf("AVC sequence header starts % x", media[1].Payload[:2])
	}

	// Status events: the refused releaseStream, then Publish.Start.
	codes := strings.Join(log.codes(), " ")
	if codes != "NetConnection.Call.Failed NetStream.Publish.Start" {
		t.Errorf("OnStatus codes: %s", codes)
	}
}

func TestPublishBadName(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{
		publishStatus: statusObj("error", "NetStream.Publish.BadName", "Already publishing name?key=secret"),
	}))
	log := newStatusLog()
	_, err := Publish(context.Background(), srv.url("/live/name?key=secret"), testOptions(log))
	var se *wire.StatusError
	if !errors.As(err, &se) || !errors.Is(err, wire.ErrRejected) {
		t.Fatalf("err = %v, want a StatusError", err)
	}
	if se.Op != "publish" || se.Status.Code != "NetStream.Publish.BadName" || se.Status.Level != wire.LevelError {
		t.Errorf("status error %+v", se)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the key: %v", err)
	}
	st := waitFor(t, log.ch, "status")
	if st.Code != "NetStream.Publish.BadName" || strings.Contains(st.Description, "secret") {
		t.Errorf("OnStatus got %+v", st)
	}
}

func TestConnectRejected(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{connectError: true}))
	log := newStatusLog()
	_, err := Publish(context.Background(), srv.url("/live/key"), testOptions(log))
	var se *wire.StatusError
	if !errors.As(err, &se) || se.Op != "connect" || se.Status.Code != "NetConnection.Connect.Rejected" {
		t.Fatalf("err = %v", err)
	}
	if st := waitFor(t, log.ch, "status"); st.Code != "NetConnection.Connect.Rejected" {
		t.Errorf("OnStatus got %+v", st)
	}
}

func TestSetupTimeouts(t *testing.T) {
	for _, step := range []string{"connect", "createStream", "publish"} {
		t.Run(step, func(t *testing.T) {
			srv := newMockServer(t, standardServer(serverOpts{silentAt: step}))
			o := testOptions(nil)
			o.Timeout = 200 * time.Millisecond
			start := time.Now()
			_, err := Publish(context.Background(), srv.url("/live/key"), o)
			if !errors.Is(err, wire.ErrTimeout) || !strings.Contains(err.Error(), step) {
				t.Fatalf("err = %v, want ErrTimeout naming %s", err, step)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestHandshakeTimeout(t *testing.T) {
	srv := newMockServer(t, func(sc *serverConn) { _, _ = io.Copy(io.Discard, sc.c) })
	o := testOptions(nil)
	o.Timeout = 200 * time.Millisecond
	_, err := Publish(context.Background(), srv.url("/live/key"), o)
	if !errors.Is(err, wire.ErrTimeout) || !strings.Contains(err.Error(), "handshake") {
		t.Fatalf("err = %v", err)
	}
}

func TestServerClosesDuringPublish(t *testing.T) {
	// nginx-rtmp refuses a publish (on_publish hook) by dropping the connection.
	srv := newMockServer(t, standardServer(serverOpts{closeAt: "publish"}))
	_, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if !errors.Is(err, wire.ErrRejected) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelDuringSetup(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{silentAt: "connect"}))
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := Publish(ctx, srv.url("/live/key"), testOptions(nil))
		got <- err
	}()
	cancel()
	if err := waitFor(t, got, "Publish to return"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Publish(context.Background(), "rtmp://"+addr+"/live/key", testOptions(nil))
	if !errors.Is(err, wire.ErrConnect) {
		t.Fatalf("err = %v", err)
	}
}

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

func TestWritePacketAllocs(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		_, _ = io.Copy(io.Discard, sc.br)
	}}))
	s, err := Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	v := encode.NewPacket(encode.Video, 0, 0, true, make([]byte, 64<<10), nil)
	a := encode.NewPacket(encode.Audio, 0, 0, true, make([]byte, 400), nil)
	allocs := testing.AllocsPerRun(200, func() {
		v.DTS += 33 * time.Millisecond
		v.PTS = v.DTS
		a.DTS += 21 * time.Millisecond
		if err := s.WritePacket(v); err != nil {
			t.Fatal(err)
		}
		if err := s.WritePacket(a); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per WritePacket pair", allocs)
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

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	return certFor(t, "127.0.0.1", "localhost")
}

func TestRTMPS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := newTLSMockServer(t, cert, standardServer(serverOpts{}))

	o := testOptions(nil)
	o.TLSConfig = &tls.Config{RootCAs: pool}
	s, err := Publish(context.Background(), srv.url("/live/key"), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteHeader(testInfo); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Without the private root: a certificate error that says what to do.
	_, err = Publish(context.Background(), srv.url("/live/key"), testOptions(nil))
	if !errors.Is(err, wire.ErrTLS) || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("err = %v, want ErrTLS mentioning SSL_CERT_FILE", err)
	}
}

func TestRTMPSToPlainServer(t *testing.T) {
	srv := newMockServer(t, func(sc *serverConn) {
		_, _ = sc.c.Write(bytes.Repeat([]byte{3}, 100)) // not a TLS record
		sc.drain()
	})
	_, err := Publish(context.Background(), "rtmps://"+srv.ln.Addr().String()+"/live/key", testOptions(nil))
	if !errors.Is(err, wire.ErrProtocol) || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("err = %v", err)
	}
}
