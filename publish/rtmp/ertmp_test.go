package rtmp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/flv"
	"studio/publish/flv/flvtest"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// connectObjectOf returns the properties of the connect command in msgs.
func connectObjectOf(t *testing.T, msgs []chunk.Message) amf0.Object {
	t.Helper()
	cmds, _ := commandsOf(t, msgs)
	if len(cmds) == 0 || cmds[0].Name != "connect" {
		t.Fatalf("no connect among %d commands", len(cmds))
	}
	o, _ := properties(cmds[0].Object)
	return o
}

func fourCcListOf(o amf0.Object) []string {
	v, _ := o.Get("fourCcList")
	arr, _ := v.(amf0.StrictArray)
	var out []string
	for _, e := range arr {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// connect declares the codec being published and avc1, and capsEx only
// when reconnect requests are handled.
func TestConnectDeclaresCodecs(t *testing.T) {
	for _, c := range []struct {
		opts      Options
		list      []string
		capsEx    float64
		hasCapsEx bool
	}{
		{Options{}, []string{"avc1"}, 0, false},
		{Options{VideoCodec: encode.HEVC}, []string{"hvc1", "avc1"}, 0, false},
		{Options{VideoCodec: encode.AV1, OnReconnectRequest: func(string) {}}, []string{"av01", "avc1"}, 1, true},
	} {
		seen := make(chan []chunk.Message, 1)
		srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
			sc.drain()
			seen <- sc.seen
		}}))
		ctx := context.Background()
		s, err := Publish(ctx, srv.url("/live/key"), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		o := connectObjectOf(t, waitFor(t, seen, "transcript"))
		if got := fourCcListOf(o); !slices.Equal(got, c.list) {
			t.Errorf("%s: fourCcList %q, want %q", c.opts.VideoCodec, got, c.list)
		}
		if caps, ok := o.Number("capsEx"); ok != c.hasCapsEx || caps != c.capsEx {
			t.Errorf("%s: capsEx %v %v", c.opts.VideoCodec, caps, ok)
		}
	}
}

// A server that declares its codecs without ours makes Publish fail before
// publishing, with an error that names the codec and says to use H.264.
// One that declares ours, "*", or nothing lets it through.
func TestServerCodecs(t *testing.T) {
	avcOnly := amf0.Object{{Key: "fourCcList", Value: amf0.StrictArray{"avc1"}}}
	cases := []struct {
		name  string
		codec encode.VideoCodec
		props amf0.Object
		ok    bool
	}{
		{"undeclared", encode.HEVC, nil, true},
		{"avc1 only, HEVC", encode.HEVC, avcOnly, false},
		{"avc1 only, AV1", encode.AV1, avcOnly, false},
		{"avc1 only, H.264", encode.H264, avcOnly, true},
		{"list with hvc1", encode.HEVC, amf0.Object{{Key: "fourCcList", Value: amf0.StrictArray{"av01", "hvc1", "avc1"}}}, true},
		{"wildcard", encode.AV1, amf0.Object{{Key: "fourCcList", Value: amf0.StrictArray{"*"}}}, true},
		{"info map with av01", encode.AV1, amf0.Object{{Key: "videoFourCcInfoMap", Value: amf0.Object{{Key: "av01", Value: 7.0}}}}, true},
		{"info map without av01", encode.AV1, amf0.Object{{Key: "videoFourCcInfoMap", Value: amf0.ECMAArray{{Key: "hvc1", Value: 7.0}}}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen := make(chan []chunk.Message, 1)
			srv := newMockServer(t, func(sc *serverConn) {
				standardServer(serverOpts{connectProps: c.props})(sc)
				seen <- sc.seen
			})
			ctx := context.Background()
			s, err := Publish(ctx, srv.url("/live/key"), Options{VideoCodec: c.codec})
			if c.ok {
				if err != nil {
					t.Fatalf("Publish: %v", err)
				}
				_ = s.Close(ctx)
				return
			}
			if !errors.Is(err, wire.ErrCodecRefused) {
				t.Fatalf("Publish = %v, want ErrCodecRefused", err)
			}
			name := map[encode.VideoCodec]string{encode.HEVC: "HEVC", encode.AV1: "AV1"}[c.codec]
			if msg := err.Error(); !strings.Contains(msg, name) || !strings.Contains(msg, "H.264") {
				t.Errorf("error %q should name %s and say to use H.264", msg, name)
			}
			cmds, _ := commandsOf(t, waitFor(t, seen, "transcript"))
			for _, cmd := range cmds {
				if cmd.Name == "publish" || cmd.Name == "createStream" {
					t.Errorf("sent %s after the refusal", cmd.Name)
				}
			}
		})
	}
}

// WriteHeader checks the codec too, when Options.VideoCodec did not say.
func TestWriteHeaderCodecRefused(t *testing.T) {
	srv := newMockServer(t, standardServer(serverOpts{connectProps: amf0.Object{{Key: "fourCcList", Value: amf0.StrictArray{"avc1"}}}}))
	ctx := context.Background()
	s, err := Publish(ctx, srv.url("/live/key"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	clip := flvtest.MustLoad(encode.AV1)
	if err := s.WriteHeader(encode.StreamInfo{Video: clip.Config}); !errors.Is(err, wire.ErrCodecRefused) {
		t.Fatalf("WriteHeader(AV1) = %v, want ErrCodecRefused", err)
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err = %v after a refused header", err)
	}
}

// HEVC and AV1 go out in the Enhanced RTMP tag form: metadata with the
// FourCC, the sequence start with the record, then the frames as sent.
func TestPublishExtendedVideo(t *testing.T) {
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		t.Run(c.String(), func(t *testing.T) {
			seen := make(chan []chunk.Message, 1)
			srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
				sc.drain()
				seen <- sc.seen
			}}))
			ctx := context.Background()
			s, err := Publish(ctx, srv.url("/live/key"), Options{VideoCodec: c})
			if err != nil {
				t.Fatal(err)
			}
			clip := flvtest.MustLoad(c)
			if err := s.WriteHeader(encode.StreamInfo{Video: clip.Config}); err != nil {
				t.Fatal(err)
			}
			pkts := clip.Packets[:12]
			for _, f := range pkts {
				if err := s.WritePacket(f.Packet()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}

			var video []chunk.Message
			var meta []any
			for _, m := range waitFor(t, seen, "transcript") {
				switch m.Type {
				case chunk.TypeVideo:
					video = append(video, m)
				case chunk.TypeDataAMF0:
					meta, _ = amf0.Unmarshal(m.Payload)
				}
			}
			if len(meta) != 3 {
				t.Fatalf("metadata %v", meta)
			}
			arr, _ := meta[2].(amf0.ECMAArray)
			if id, _ := arr.Number("videocodecid"); id != float64(flv.VideoCodecID(c)) {
				t.Errorf("videocodecid %v", id)
			}
			if len(video) != 1+len(pkts) {
				t.Fatalf("%d video messages, want %d", len(video), 1+len(pkts))
			}
			seq, err := flv.ParseVideoTag(video[0].Payload)
			if err != nil || !seq.Extended || seq.Codec != c || seq.Packet != flv.VideoSequenceStart || string(seq.Data) != string(clip.Config.Record) {
				t.Fatalf("sequence start %+v %v", seq, err)
			}
			for i, f := range pkts {
				m := video[1+i]
				vt, err := flv.ParseVideoTag(m.Payload)
				if err != nil || vt.Codec != c || vt.Packet != flv.VideoFrame || vt.Keyframe != f.Keyframe ||
					string(vt.Data) != string(f.Data) || time.Duration(m.Timestamp)*time.Millisecond != f.PTS {
					t.Errorf("frame %d: %+v at %d, %v", i, vt, m.Timestamp, err)
				}
			}
		})
	}
}

// The server's reconnect request reaches OnReconnectRequest with its
// tcUrl, and the stream goes on.
func TestReconnectRequest(t *testing.T) {
	got := make(chan string, 1)
	proceed := make(chan struct{})
	srv := newMockServer(t, standardServer(serverOpts{afterPublish: func(sc *serverConn) {
		<-proceed
		sc.sendCommand(0, "onStatus", 0, nil, amf0.Object{
			{Key: "level", Value: "status"}, {Key: "code", Value: CodeReconnectRequest},
			{Key: "description", Value: "going down"}, {Key: "tcUrl", Value: "rtmp://other.example/live"},
		})
		sc.drain()
	}}))
	ctx := context.Background()
	var statuses []string
	s, err := Publish(ctx, srv.url("/live/key"), Options{
		OnStatus:           func(st wire.Status) { statuses = append(statuses, st.Code) },
		OnReconnectRequest: func(tc string) { got <- tc },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	close(proceed)
	if tc := waitFor(t, got, "reconnect request"); tc != "rtmp://other.example/live" {
		t.Errorf("tcUrl %q", tc)
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err = %v after a reconnect request", err)
	}
	if err := s.WriteHeader(encode.StreamInfo{Audio: encode.AudioConfig{SampleRate: 48000, Channels: 2, ASC: []byte{0x11, 0x90}}}); err != nil {
		t.Errorf("WriteHeader after a reconnect request: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(statuses, CodeReconnectRequest) {
		t.Errorf("OnStatus saw %v", statuses)
	}
}
