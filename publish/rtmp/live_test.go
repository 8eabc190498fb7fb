package rtmp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/flv"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/handshake"
	"studio/publish/rtmp/wire"
)

// TestLive publishes to a real server. It is skipped unless RTMP_LIVE_URL is
// set:
//
//	RTMP_LIVE_URL      where to publish (rtmps:// honours SSL_CERT_FILE)
//	RTMP_LIVE_FLV      an FLV file (H.264 + AAC) to replay; without it only
//	                   the setup and Close are exercised
//	RTMP_LIVE_EXPECT   "ok" (default), or a word the error must contain
//	RTMP_LIVE_CAPTURE  a directory to save the server's command messages in
//	                   (fuzz seeds for FuzzCommand)
//	RTMP_LIVE_OFFSET   a duration added to every timestamp (16777s crosses
//	                   the extended-timestamp threshold of 0xFFFFFF ms)
//
// For example, with shared/peers/nginx-rtmp running:
//
//	RTMP_LIVE_URL=$RTMP_URL/test RTMP_LIVE_FLV=/tmp/src.flv go test -run TestLive -v ./publish/rtmp
func TestLive(t *testing.T) {
	raw := os.Getenv("RTMP_LIVE_URL")
	if raw == "" {
		t.Skip("RTMP_LIVE_URL not set")
	}
	expect := os.Getenv("RTMP_LIVE_EXPECT")
	var capture *captureConn
	o := Options{
		OnStatus: func(st wire.Status) { t.Logf("status: %v", st) },
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err == nil && os.Getenv("RTMP_LIVE_CAPTURE") != "" {
				capture = &captureConn{Conn: c}
				return capture, nil
			}
			return c, err
		},
	}
	s, err := Publish(context.Background(), raw, o)
	if capture != nil {
		defer capture.save(t, os.Getenv("RTMP_LIVE_CAPTURE"))
	}
	if expect != "" && expect != "ok" {
		if err == nil {
			s.Close(context.Background())
			t.Fatalf("publish succeeded, want an error containing %q", expect)
		}
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(expect)) {
			t.Fatalf("err = %v, want %q", err, expect)
		}
		t.Logf("expected error: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if path := os.Getenv("RTMP_LIVE_FLV"); path != "" {
		info, pkts, err := readFLV(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteHeader(info); err != nil {
			t.Fatal(err)
		}
		offset, _ := time.ParseDuration(os.Getenv("RTMP_LIVE_OFFSET"))
		start := time.Now()
		for _, p := range pkts {
			p.PTS += offset
			p.DTS += offset
			// Pace at 4x real time: quick, yet not one burst.
			if d := (p.DTS-offset)/4 - time.Since(start); d > 0 {
				time.Sleep(d)
			}
			if err := s.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("sent %d packets, stats %+v", len(pkts), s.Stats())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("closed: %v", s.Err())
}

// readFLV turns an H.264 + AAC FLV file into a StreamInfo and packets. The
// metadata fields are fixed (320x240, 30 fps, 48 kHz stereo): only the
// codec configuration is read from the file.
func readFLV(path string) (encode.StreamInfo, []*encode.Packet, error) {
	var info encode.StreamInfo
	f, err := os.Open(path)
	if err != nil {
		return info, nil, err
	}
	defer f.Close()
	r := flv.NewReader(f)
	if _, err := r.Header(); err != nil {
		return info, nil, err
	}
	var pkts []*encode.Packet
	for {
		tag, err := r.ReadTag()
		if err == io.EOF {
			return info, pkts, nil
		}
		if err != nil {
			return info, pkts, err
		}
		d := tag.Data
		ts := time.Duration(tag.Timestamp) * time.Millisecond
		switch tag.Type {
		case flv.TagVideo:
			if len(d) < 5 || d[0]&0x0f != 7 {
				continue
			}
			if d[1] == 2 { // end of sequence
				continue
			}
			if d[1] == 0 { // AVCDecoderConfigurationRecord
				rec := d[5:]
				if len(rec) < 8 {
					return info, nil, errors.New("short AVC record")
				}
				n := int(binary.BigEndian.Uint16(rec[6:]))
				info.Video.SPS = rec[8 : 8+n]
				rest := rec[8+n:]
				m := int(binary.BigEndian.Uint16(rest[1:]))
				info.Video.PPS = rest[3 : 3+m]
				info.Video.Width, info.Video.Height, info.Video.FPS = 320, 240, 30
				continue
			}
			cts := time.Duration(int32(uint32(d[2])<<24|uint32(d[3])<<16|uint32(d[4])<<8)>>8) * time.Millisecond
			pkts = append(pkts, encode.NewPacket(encode.Video, ts+cts, ts, d[0]>>4 == 1, d[5:], nil))
		case flv.TagAudio:
			if len(d) < 2 || d[0]>>4 != 10 {
				continue
			}
			if d[1] == 0 {
				info.Audio.ASC = d[2:]
				info.Audio.SampleRate, info.Audio.Channels = 48000, 2
				continue
			}
			pkts = append(pkts, encode.NewPacket(encode.Audio, ts, ts, true, d[2:], nil))
		}
	}
}

// captureConn keeps everything the server sends.
type captureConn struct {
	net.Conn
	got []byte
}

func (c *captureConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.got = append(c.got, p[:n]...)
	return n, err
}

// save writes the command messages the server sent as FuzzCommand seeds.
func (c *captureConn) save(t *testing.T, dir string) {
	skip := 1 + 2*handshake.Size
	if len(c.got) < skip {
		return
	}
	r := chunk.NewReader(strings.NewReader(string(c.got[skip:])))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		m, err := r.ReadMessage()
		if err != nil {
			return
		}
		if m.Type != chunk.TypeCommandAMF0 {
			continue
		}
		cmd, _ := ParseCommand(m.Payload)
		name := filepath.Join(dir, fmt.Sprintf("live-%02d-%s", i, strings.TrimPrefix(cmd.Name, "_")))
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", m.Payload)
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s (%s)", name, cmd.Name)
	}
}
