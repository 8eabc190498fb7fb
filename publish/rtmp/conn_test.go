package rtmp

import (
	"bytes"
	"context"
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
