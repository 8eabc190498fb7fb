package rtmp

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"studio/publish/amf0"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/handshake"
)

// mockServer is a scripted RTMP server on 127.0.0.1 for unit tests. Each
// accepted connection runs handler on its own goroutine; the test's cleanup
// closes everything and waits for those goroutines.
type mockServer struct {
	t       *testing.T
	ln      net.Listener
	handler func(*serverConn)
	scheme  string
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func newMockServer(t *testing.T, handler func(*serverConn)) *mockServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startMock(t, ln, "rtmp", handler)
}

func newTLSMockServer(t *testing.T, cert tls.Certificate, handler func(*serverConn)) *mockServer {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	return startMock(t, ln, "rtmps", handler)
}

func startMock(t *testing.T, ln net.Listener, scheme string, handler func(*serverConn)) *mockServer {
	m := &mockServer{t: t, ln: ln, handler: handler, scheme: scheme}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.mu.Lock()
			m.conns = append(m.conns, c)
			m.mu.Unlock()
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				handler(newServerConn(t, c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		m.mu.Lock()
		for _, c := range m.conns {
			c.Close()
		}
		m.mu.Unlock()
		m.wg.Wait()
	})
	return m
}

func (m *mockServer) url(path string) string {
	return m.scheme + "://" + m.ln.Addr().String() + path
}

// serverConn is the server side of one connection.
type serverConn struct {
	t    *testing.T
	c    net.Conn
	br   *bufio.Reader
	r    *chunk.Reader
	w    *chunk.Writer
	err  error // first failure; handlers stop at it
	wmu  sync.Mutex
	seen []chunk.Message // every message read, in order

	handshaken bool // standardServer skips the handshake
}

func newServerConn(t *testing.T, c net.Conn) *serverConn {
	br := bufio.NewReader(c)
	return &serverConn{t: t, c: c, br: br, r: chunk.NewReader(br), w: chunk.NewWriter(c)}
}

// handshake answers the client's handshake (S2 echoes C1).
func (sc *serverConn) handshake() bool {
	buf := make([]byte, 1+handshake.Size)
	if _, err := io.ReadFull(sc.br, buf); err != nil {
		sc.err = err
		return false
	}
	out := append([]byte{handshake.Version}, make([]byte, handshake.Size)...)
	out = append(out, buf[1:]...)
	if _, err := sc.c.Write(out); err != nil {
		sc.err = err
		return false
	}
	if _, err := io.ReadFull(sc.br, buf[:handshake.Size]); err != nil {
		sc.err = err
		return false
	}
	return true
}

// read returns the next message (payload copied).
func (sc *serverConn) read() (chunk.Message, bool) {
	if sc.err != nil {
		return chunk.Message{}, false
	}
	m, err := sc.r.ReadMessage()
	if err != nil {
		sc.err = err
		return chunk.Message{}, false
	}
	m.Payload = bytes.Clone(m.Payload)
	sc.seen = append(sc.seen, m)
	return m, true
}

// readCommand skips non-command messages and returns the next command.
func (sc *serverConn) readCommand() (Command, chunk.Message, bool) {
	for {
		m, ok := sc.read()
		if !ok {
			return Command{}, m, false
		}
		if m.Type != chunk.TypeCommandAMF0 {
			continue
		}
		c, err := ParseCommand(m.Payload)
		if err != nil {
			sc.err = err
			return Command{}, m, false
		}
		return c, m, true
	}
}

func (sc *serverConn) send(csid uint32, typ uint8, sid uint32, body []byte) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	if err := sc.w.WriteMessage(chunk.Header{CSID: csid, Type: typ, StreamID: sid}, body); err != nil && sc.err == nil {
		sc.err = err
	}
}

func (sc *serverConn) sendCommand(sid uint32, name string, txn float64, obj any, args ...any) {
	body, err := AppendCommand(nil, name, txn, obj, args...)
	if err != nil {
		sc.t.Error(err)
		return
	}
	sc.send(3, chunk.TypeCommandAMF0, sid, body)
}

func (sc *serverConn) setChunkSize(n uint32) {
	sc.send(2, chunk.TypeSetChunkSize, 0, chunk.SetChunkSizePayload(n))
	_ = sc.w.SetChunkSize(n)
}

func statusObj(level, code, desc string) amf0.Object {
	return amf0.Object{{Key: "level", Value: level}, {Key: "code", Value: code}, {Key: "description", Value: desc}}
}

// drain reads until EOF, keeping what it reads in sc.seen.
func (sc *serverConn) drain() {
	for {
		if _, ok := sc.read(); !ok {
			return
		}
	}
}

// serverOpts tune standardServer.
type serverOpts struct {
	chunkSize     uint32      // server's chunk size (0: leave 128)
	connectError  bool        // answer connect with _error
	connectStatus amf0.Object // answer connect with this onStatus instead of _result
	connectProps  amf0.Object // more properties for the connect _result's properties object
	publishError  amf0.Object // answer publish with _error carrying this status
	releaseError  bool        // answer releaseStream with _error
	publishStatus amf0.Object // onStatus answer to publish (nil: NetStream.Publish.Start)
	silentAt      string      // stop answering at this command
	closeAt       string      // close the connection at this command
	afterPublish  func(*serverConn)
}

// standardServer behaves like nginx-rtmp: window, peer bandwidth, chunk
// size, then answers connect, releaseStream, FCPublish, createStream and
// publish; then runs o.afterPublish or drains.
func standardServer(o serverOpts) func(*serverConn) {
	return func(sc *serverConn) {
		if !sc.handshaken && !sc.handshake() {
			return
		}
		for {
			cmd, m, ok := sc.readCommand()
			if !ok {
				return
			}
			if cmd.Name == o.silentAt {
				sc.drain()
				return
			}
			if cmd.Name == o.closeAt {
				return
			}
			switch cmd.Name {
			case "connect":
				sc.send(2, chunk.TypeWindowAckSize, 0, appendUint32(nil, 5000000))
				sc.send(2, chunk.TypeSetPeerBandwidth, 0, append(appendUint32(nil, 5000000), LimitDynamic))
				if o.chunkSize != 0 {
					sc.setChunkSize(o.chunkSize)
				}
				if o.connectStatus != nil {
					sc.sendCommand(0, "onStatus", 0, nil, o.connectStatus)
					sc.drain()
					return
				}
				if o.connectError {
					sc.sendCommand(0, "_error", cmd.TxnID, nil, statusObj("error", "NetConnection.Connect.Rejected", "Connection rejected."))
					sc.drain()
					return
				}
				sc.sendCommand(0, "_result", cmd.TxnID,
					// A version other than nginx-rtmp's and FFmpeg's, which are refused HEVC and AV1.
					append(amf0.Object{{Key: "fmsVer", Value: "FMS/5,0,15,5004"}, {Key: "capabilities", Value: 31.0}}, o.connectProps...),
					amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"},
						{Key: "description", Value: "Connection succeeded. " + string(bytes.Repeat([]byte("x"), 200))},
						{Key: "objectEncoding", Value: 0.0}})
				sc.sendCommand(0, "onBWDone", 0, nil)
			case "releaseStream":
				if o.releaseError {
					sc.sendCommand(0, "_error", cmd.TxnID, nil, statusObj("error", "NetConnection.Call.Failed", "no such stream"))
				} else {
					sc.sendCommand(0, "_result", cmd.TxnID, nil)
				}
			case "FCPublish":
				body, _ := amf0.Marshal("onFCPublish") // FFmpeg's server sends just the name
				sc.send(3, chunk.TypeCommandAMF0, 0, body)
			case "createStream":
				sc.sendCommand(0, "_result", cmd.TxnID, nil, 1.0)
			case "publish":
				if o.publishError != nil {
					sc.sendCommand(m.StreamID, "_error", cmd.TxnID, nil, o.publishError)
					sc.drain()
					return
				}
				sc.send(2, chunk.TypeUserControl, 0, appendUserControl(nil, EventStreamBegin, appendUint32(nil, 1)))
				st := o.publishStatus
				if st == nil {
					st = statusObj("status", "NetStream.Publish.Start", "Start publishing")
				}
				sc.sendCommand(m.StreamID, "onStatus", 0, nil, st)
				if o.afterPublish != nil {
					o.afterPublish(sc)
				} else {
					sc.drain()
				}
				return
			}
		}
	}
}

// waitFor receives from ch or fails the test after 10 s.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

var errNoMessage = errors.New("no such message")

// find returns the first message of sc.seen that matches.
func find(msgs []chunk.Message, match func(chunk.Message) bool) (chunk.Message, error) {
	for _, m := range msgs {
		if match(m) {
			return m, nil
		}
	}
	return chunk.Message{}, errNoMessage
}
