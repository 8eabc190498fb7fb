package handshake

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"studio/publish/rtmp/wire"
)

// fakeServer answers a handshake on conn the way a simple server does:
// S0, S1 (random), S2 (= C1 when echo is true), then reads C2 and returns it
// together with the C1 and S1 it saw.
func fakeServer(t *testing.T, conn net.Conn, echo bool) (c1, s1, c2 []byte, err error) {
	t.Helper()
	buf := make([]byte, 1+Size)
	if _, err = io.ReadFull(conn, buf); err != nil {
		return
	}
	if buf[0] != Version {
		return nil, nil, nil, errors.New("bad C0")
	}
	c1 = buf[1:]
	s1 = make([]byte, Size)
	for i := range s1 {
		s1[i] = byte(i * 7)
	}
	s2 := make([]byte, Size)
	if echo {
		copy(s2, c1)
	}
	out := append([]byte{Version}, s1...)
	out = append(out, s2...)
	if _, err = conn.Write(out); err != nil {
		return
	}
	c2 = make([]byte, Size)
	_, err = io.ReadFull(conn, c2)
	return
}

func TestClient(t *testing.T) {
	for _, echo := range []bool{true, false} {
		cli, srv := net.Pipe()
		_ = cli.SetDeadline(time.Now().Add(5 * time.Second))
		_ = srv.SetDeadline(time.Now().Add(5 * time.Second))
		type result struct {
			c1, s1, c2 []byte
			err        error
		}
		done := make(chan result, 1)
		go func() {
			c1, s1, c2, err := fakeServer(t, srv, echo)
			done <- result{c1, s1, c2, err}
		}()
		var warnings []string
		err := Client(bufio.NewReader(cli), cli, Config{Time: 0x01020304, Warn: func(s string) { warnings = append(warnings, s) }})
		if err != nil {
			t.Fatalf("echo=%v: %v", echo, err)
		}
		res := <-done
		if res.err != nil {
			t.Fatalf("server: %v", res.err)
		}
		if got := res.c1[:8]; !bytes.Equal(got, []byte{1, 2, 3, 4, 0, 0, 0, 0}) {
			t.Errorf("C1 time+zero = % x", got)
		}
		if !bytes.Equal(res.c2, res.s1) {
			t.Error("C2 does not echo S1")
		}
		if echo && len(warnings) != 0 {
			t.Errorf("warnings with an echoing server: %q", warnings)
		}
		if !echo && len(warnings) != 1 {
			t.Errorf("want one warning for a non-echoing S2, got %q", warnings)
		}
		cli.Close()
		srv.Close()
	}
}

func TestClientHTTPServer(t *testing.T) {
	cli, srv := net.Pipe()
	defer cli.Close()
	defer srv.Close()
	_ = cli.SetDeadline(time.Now().Add(5 * time.Second))
	go func() {
		buf := make([]byte, 1+Size)
		_, _ = io.ReadFull(srv, buf)
		_, _ = srv.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		srv.Close()
	}()
	err := Client(bufio.NewReader(cli), cli, Config{})
	if !errors.Is(err, wire.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
	msg := err.Error()
	for _, want := range []string{"not an RTMP server", "HTTP/1.1 400"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestClientTruncated(t *testing.T) {
	for _, n := range []int{0, 1, 100, 1 + Size, 1 + 2*Size - 1} {
		resp := make([]byte, n)
		if n > 0 {
			resp[0] = Version
		}
		err := Client(bytes.NewReader(resp), io.Discard, Config{})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%d bytes: err = %v, want ErrUnexpectedEOF", n, err)
		}
	}
}

func TestNotRTMPHints(t *testing.T) {
	for _, tc := range []struct {
		resp, want string
	}{
		{"\x15\x03\x01\x00\x02\x02\x32", "TLS"},
		{"\x06abc", "RTMPE"},
		{"<html>", "HTTP"},
		{"\x00\x01\x02", "bytes 00 01 02"},
	} {
		err := Client(bufio.NewReader(strings.NewReader(tc.resp)), io.Discard, Config{})
		if !errors.Is(err, wire.ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want ErrProtocol mentioning %q", tc.resp, err, tc.want)
		}
	}
}

// FuzzClient feeds hostile server bytes to the client: it must never panic
// and must succeed only on a full, version-3 answer.
func FuzzClient(f *testing.F) {
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Add(append([]byte{Version}, make([]byte, 2*Size)...))
	f.Add([]byte{Version, 1, 2, 3})
	f.Fuzz(func(t *testing.T, resp []byte) {
		err := Client(bufio.NewReader(bytes.NewReader(resp)), io.Discard, Config{})
		ok := len(resp) >= 1+2*Size && resp[0] == Version
		if (err == nil) != ok {
			t.Fatalf("len %d first %v: err = %v", len(resp), resp[:min(len(resp), 1)], err)
		}
	})
}
