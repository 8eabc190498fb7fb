package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// parseAll feeds raw publisher bytes (handshake included) through a tap in
// pieces of size piece, each arriving 1 ms after the previous one.
func parseAll(t *testing.T, raw []byte, piece int) []media {
	t.Helper()
	tp := newTap()
	done := make(chan struct{})
	go func() { tp.run(); close(done) }()
	t0 := time.Unix(1000, 0)
	for i := 0; i < len(raw); i += piece {
		tp.feed(raw[i:min(i+piece, len(raw))], t0.Add(time.Duration(i/piece)*time.Millisecond))
	}
	tp.close()
	<-done
	if tp.err != nil {
		t.Fatalf("parse: %v", tp.err)
	}
	return tp.out
}

func TestTapParsesStudioPublish(t *testing.T) {
	raw, err := os.ReadFile(tapFile(t))
	if err != nil {
		t.Fatal(err)
	}
	whole := parseAll(t, raw, len(raw))
	for _, piece := range []int{1, 7, 1460, 65536} {
		got := parseAll(t, raw, piece)
		if len(got) != len(whole) {
			t.Fatalf("pieces of %d: %d messages, want %d", piece, len(got), len(whole))
		}
		for i := range got {
			g, w := got[i], whole[i]
			g.Arrival, w.Arrival = time.Time{}, time.Time{}
			if g != w {
				t.Fatalf("pieces of %d: message %d = %+v, want %+v", piece, i, g, w)
			}
		}
	}
	checkStream(t, whole)
}

// tapFile is a real studio publish to nginx-rtmp, 2 s of 320x180 at 30 fps,
// recorded with
//
//	go run ./internal/bench -only studio -runs 1 -duration 2s -size 320x180 -bitrate 300 -tap-out internal/bench/testdata/studio-320x180-2s.tap
func tapFile(t *testing.T) string {
	t.Helper()
	return "testdata/studio-320x180-2s.tap"
}

// checkStream checks what any studio publish must look like: the two
// sequence headers first, then frames with timestamps that never go back.
func checkStream(t *testing.T, msgs []media) {
	t.Helper()
	var vCfg, aCfg, video, audio int
	var lastV, lastA uint32
	for i, m := range msgs {
		switch {
		case m.Config && m.Video:
			vCfg++
		case m.Config:
			aCfg++
		case video+audio == 0 && (vCfg == 0 || aCfg == 0):
			t.Fatalf("message %d is a frame before both sequence headers", i)
		case m.Video:
			if video == 0 && m.Size < 100 {
				t.Errorf("first video frame has %d bytes", m.Size)
			}
			if video > 0 && m.Timestamp < lastV {
				t.Errorf("video timestamp %d after %d", m.Timestamp, lastV)
			}
			video++
			lastV = m.Timestamp
		default:
			if audio > 0 && m.Timestamp < lastA {
				t.Errorf("audio timestamp %d after %d", m.Timestamp, lastA)
			}
			audio++
			lastA = m.Timestamp
		}
	}
	if vCfg != 1 || aCfg != 1 || video < 50 || audio < 80 {
		t.Errorf("%d AVC and %d AAC sequence headers, %d video and %d audio frames; want 1, 1, ≥50, ≥80", vCfg, aCfg, video, audio)
	}
}

func TestArrivalIsLastByte(t *testing.T) {
	raw, err := os.ReadFile(tapFile(t))
	if err != nil {
		t.Fatal(err)
	}
	// One byte per millisecond: a message's arrival must be the time of its
	// last byte, so arrivals strictly increase and the last one is the end.
	msgs := parseAll(t, raw, 1)
	for i := 1; i < len(msgs); i++ {
		if !msgs[i].Arrival.After(msgs[i-1].Arrival) {
			t.Fatalf("message %d arrived at %v, not after %v", i, msgs[i].Arrival, msgs[i-1].Arrival)
		}
	}
}

func TestSummarise(t *testing.T) {
	start := time.Unix(0, 0)
	at := func(ms float64) time.Time { return start.Add(time.Duration(ms * float64(time.Millisecond))) }
	msgs := []media{
		{Video: true, Config: true, Arrival: at(90)},
		{Config: true, Arrival: at(91)},
	}
	// 100 video frames at 30 fps of 1000 bytes; the tenth arrives 50 ms late,
	// everything else 10 ms after its timestamp (+ 200 ms of start-up).
	for i := range 100 {
		ts := uint32(i * 1000 / 30)
		late := 0.0
		if i == 10 {
			late = 50
		}
		msgs = append(msgs, media{Video: true, Timestamp: ts, Size: 1000, Arrival: at(200 + float64(ts) + 10 + late)})
	}
	s := summarise(msgs, start, 30)
	if s.FirstMediaMS != 90 || s.FirstFrameMS != 210 || s.VideoFrames != 100 {
		t.Errorf("first media %v ms, first frame %v ms, %d frames", s.FirstMediaMS, s.FirstFrameMS, s.VideoFrames)
	}
	if s.DelayP50MS > 1 || s.DelayMaxMS < 49 || s.DelayMaxMS > 51 {
		t.Errorf("delay p50 %v ms, max %v ms; want about 0 and 50", s.DelayP50MS, s.DelayMaxMS)
	}
	if want := 1000 * 100 * 8 / 1000 / (3.3 + 1.0/30); s.VideoKbps < want*0.99 || s.VideoKbps > want*1.01 {
		t.Errorf("video %.1f kbit/s, want %.1f", s.VideoKbps, want)
	}
}

// TestRelay sends the recorded publish through a relay to a server that
// echoes nothing and checks that the server got every byte and the tap
// every message.
func TestRelay(t *testing.T) {
	raw, err := os.ReadFile(tapFile(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	r, err := newRelay(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(raw); i += 4000 {
		if _, err := c.Write(raw[i:min(i+4000, len(raw))]); err != nil {
			t.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	msgs, err := r.wait(10 * time.Second)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, raw) {
		t.Errorf("server got %d bytes, want the %d sent", len(b), len(raw))
	}
	if want := parseAll(t, raw, len(raw)); len(msgs) != len(want) {
		t.Errorf("relay parsed %d messages, want %d", len(msgs), len(want))
	}
	checkStream(t, msgs)
}

// TestDebugTap prints the video timestamps of a tap file named by
// BENCH_TAP, for looking at a capture by hand.
func TestDebugTap(t *testing.T) {
	path := os.Getenv("BENCH_TAP")
	if path == "" {
		t.Skip("BENCH_TAP not set")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last uint32
	for _, m := range parseAll(t, raw, len(raw)) {
		if m.Video && !m.Config {
			if m.Timestamp-last > 40 {
				t.Logf("video ts %d after %d (gap %d ms)", m.Timestamp, last, m.Timestamp-last)
			}
			last = m.Timestamp
		}
	}
}
