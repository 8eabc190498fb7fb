package rtmp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// FuzzControl decodes hostile protocol control and user control bodies:
// no panic, short bodies are ErrProtocol, and what decodes re-encodes to
// the same bytes.
func FuzzControl(f *testing.F) {
	f.Add([]byte{0x00, 0x26, 0x25, 0xa0, 0x02})
	f.Add([]byte{0, 6, 0, 0, 0x30, 0x39})
	f.Add([]byte{0, 0, 0, 0, 0, 1})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, p []byte) {
		v, err := parseUint32("Acknowledgement", p)
		if (err == nil) != (len(p) >= 4) || err != nil && !errors.Is(err, wire.ErrProtocol) {
			t.Fatalf("parseUint32(% x) = %v", p, err)
		}
		if err == nil && !bytes.Equal(appendUint32(nil, v), p[:4]) {
			t.Fatalf("Acknowledgement %d does not re-encode to % x", v, p[:4])
		}
		w, limit, err := parsePeerBandwidth(p)
		if (err == nil) != (len(p) >= 5) || err != nil && !errors.Is(err, wire.ErrProtocol) {
			t.Fatalf("parsePeerBandwidth(% x) = %v", p, err)
		}
		if err == nil && !bytes.Equal(append(appendUint32(nil, w), limit), p[:5]) {
			t.Fatalf("Set Peer Bandwidth %d %d does not re-encode to % x", w, limit, p[:5])
		}
		ev, data, err := parseUserControl(p)
		if (err == nil) != (len(p) >= 2) || err != nil && !errors.Is(err, wire.ErrProtocol) {
			t.Fatalf("parseUserControl(% x) = %v", p, err)
		}
		if err == nil && !bytes.Equal(appendUserControl(nil, ev, data), p) {
			t.Fatalf("User Control %d % x does not re-encode to % x", ev, data, p)
		}
	})
}

// nopConn is a net.Conn that accepts every write and never reads.
type nopConn struct{}

func (nopConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (nopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (nopConn) Close() error                     { return nil }
func (nopConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (nopConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (nopConn) SetDeadline(time.Time) error      { return nil }
func (nopConn) SetReadDeadline(time.Time) error  { return nil }
func (nopConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzIncoming feeds hostile chunk streams to a published Stream's message
// handling (what its reader goroutine runs): control messages, user
// control events, acknowledgements, status events and results. It must not
// panic, must not answer with more than it was sent plus a bounded
// overhead, and every status it reports must hide the key.
func FuzzIncoming(f *testing.F) {
	var seed bytes.Buffer
	w := chunk.NewWriter(&seed)
	msg := func(typ uint8, body []byte) {
		_ = w.WriteMessage(chunk.Header{CSID: 2, Type: typ}, body)
	}
	msg(chunk.TypeWindowAckSize, appendUint32(nil, 10))
	msg(chunk.TypeSetPeerBandwidth, append(appendUint32(nil, 5000000), LimitDynamic))
	msg(chunk.TypeUserControl, appendUserControl(nil, EventPingRequest, []byte{1, 2, 3, 4}))
	msg(chunk.TypeAck, appendUint32(nil, 1234))
	body, _ := AppendCommand(nil, "onStatus", 0, nil, statusObj("error", "NetStream.Publish.BadName", "key?k=secret is in use"))
	_ = w.WriteMessage(chunk.Header{CSID: 3, Type: chunk.TypeCommandAMF0, StreamID: 1}, body)
	body, _ = AppendCommand(nil, "_error", 2, nil, statusObj("error", "NetConnection.Call.Failed", "key?k=secret"))
	_ = w.WriteMessage(chunk.Header{CSID: 3, Type: chunk.TypeCommandAMF3}, append([]byte{0}, body...))
	f.Add(seed.Bytes())
	f.Add(nginxBadName)

	// Enhanced RTMP: a connect answer that declares codecs, and a
	// reconnect request.
	seed.Reset()
	body, _ = AppendCommand(nil, "_result", 2,
		amf0.Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}, {Key: "fourCcList", Value: amf0.StrictArray{"av01", "hvc1", "avc1"}},
			{Key: "videoFourCcInfoMap", Value: amf0.ECMAArray{{Key: "hvc1", Value: 7.0}, {Key: "*", Value: 4.0}}}},
		statusObj("status", "NetConnection.Connect.Success", "ok"))
	_ = w.WriteMessage(chunk.Header{CSID: 3, Type: chunk.TypeCommandAMF0}, body)
	body, _ = AppendCommand(nil, "onStatus", 0, nil, append(statusObj("status", CodeReconnectRequest, "bye key?k=secret"),
		amf0.Property{Key: "tcUrl", Value: "rtmp://other/live"}))
	_ = w.WriteMessage(chunk.Header{CSID: 3, Type: chunk.TypeCommandAMF0}, body)
	f.Add(seed.Bytes())

	u, err := ParseURL("rtmp://127.0.0.1/live/key?k=secret")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var sent countWriter
		var statuses []wire.Status
		s := &Stream{
			url:     u,
			nc:      nopConn{},
			wsem:    make(chan struct{}, 1),
			pending: map[float64]*call{1: {op: "releaseStream"}, 2: {op: "connect", ch: make(chan Command, 1)}},
			done:    make(chan struct{}),
			cw:      chunk.NewWriter(&sent),
			cr:      chunk.NewReader(bytes.NewReader(raw)),
		}
		s.opts = Options{
			OnStatus:           func(st wire.Status) { statuses = append(statuses, st) },
			OnReconnectRequest: func(string) {},
		}.withDefaults()
		s.log = s.opts.Logger
		s.cr.MaxMessageLength = maxIncomingMessage
		s.published = true
		for {
			m, err := s.cr.ReadMessage()
			if err != nil {
				break
			}
			if err := s.handle(m); err != nil {
				var se *wire.StatusError
				if errors.As(err, &se) && bytes.Contains([]byte(se.Error()), []byte("k=secret")) {
					t.Fatalf("error shows the key: %v", err)
				}
				break
			}
		}
		// Answers: pings echo their data, window changes are 16 bytes.
		if sent.n > uint64(len(raw))+16*uint64(len(raw)/12+1) {
			t.Fatalf("answered %d bytes to %d", sent.n, len(raw))
		}
		for _, st := range statuses {
			if bytes.Contains([]byte(st.String()), []byte("k=secret")) {
				t.Fatalf("status shows the key: %v", st)
			}
		}
		_ = s.Stats()
	})
}

type countWriter struct{ n uint64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += uint64(len(p)); return len(p), nil }

// FuzzServerFourCCs reads the codecs that hostile connect answers declare:
// no panic, and a declared list always lets "*" and its own entries
// through.
func FuzzServerFourCCs(f *testing.F) {
	for _, obj := range []amf0.Object{
		{{Key: "fourCcList", Value: amf0.StrictArray{"av01", "hvc1", "avc1"}}},
		{{Key: "videoFourCcInfoMap", Value: amf0.Object{{Key: "hvc1", Value: 7.0}}}},
		{{Key: "fourCcList", Value: amf0.StrictArray{1.0, amf0.Null{}, "*"}}},
	} {
		body, _ := AppendCommand(nil, "_result", 1, obj, statusObj("status", "NetConnection.Connect.Success", ""))
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		cmd, err := ParseCommand(raw)
		if err != nil {
			return
		}
		list, declared := serverFourCCs(cmd)
		if !declared && len(list) > 0 {
			t.Fatalf("undeclared list %q", list)
		}
		s := &Stream{serverCodecs: list, serverDeclares: declared}
		for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
			err := s.checkCodec(c)
			if (err != nil) != (declared && !slices.Contains(list, c.FourCC()) && !slices.Contains(list, "*")) {
				t.Fatalf("%s with %q (declared %v): %v", c, list, declared, err)
			}
			if err != nil && !errors.Is(err, wire.ErrCodecRefused) {
				t.Fatalf("%v does not wrap ErrCodecRefused", err)
			}
		}
		if s.checkCodec(encode.H264) != nil {
			t.Fatal("H.264 refused")
		}
	})
}
