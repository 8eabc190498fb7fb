package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"studio/capture"
	"studio/publish"
)

func TestHint(t *testing.T) {
	badName := &publish.StatusError{Op: "publish", Status: publish.Status{Code: "NetStream.Publish.BadName", Level: publish.LevelError}}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{badName, "no other encoder"},
		{fmt.Errorf("x: %w", badName), "no other encoder"},
		{fmt.Errorf("x: %w", publish.ErrRejected), "stream key"},
		{fmt.Errorf("x509: certificate is valid for example.invalid, not another name: %w", publish.ErrTLS), "another host"},
		{fmt.Errorf("x: %w", publish.ErrTLS), "SSL_CERT_FILE"},
		{fmt.Errorf("x: %w", publish.ErrTimeout), "did not answer"},
		{fmt.Errorf("x: %w", publish.ErrConnect), "host and port"},
		{fmt.Errorf("x: %w", publish.ErrProtocol), "scheme"},
		{fmt.Errorf("x: %w", publish.ErrBadURL), "rtmp://host[:port]/app"},
		{&SourceError{Kind: KindCamera, Err: capture.ErrNoDevice}, "test pattern"},
		{errors.New("disk full"), ""},
		{nil, ""},
	} {
		got := Hint(tc.err)
		if !strings.Contains(got, tc.want) || (tc.want == "") != (got == "") {
			t.Errorf("Hint(%v) = %q, want it to mention %q", tc.err, got, tc.want)
		}
		if got != "" && (!strings.HasSuffix(got, ".") || strings.Count(got, ". ") > 0) {
			t.Errorf("Hint(%v) = %q: want one sentence", tc.err, got)
		}
	}
}

func TestDescribe(t *testing.T) {
	dest := Destination{URL: "rtmp://127.0.0.1:1935/live/sk_Zq8kP3vT7"}
	err := fmt.Errorf("connecting: %w", publish.ErrConnect)
	for _, tc := range []struct {
		err  error
		dest Destination
		want string
	}{
		{err, dest, "streaming to rtmp://127.0.0.1:1935/live/**** failed: connecting: cannot connect to server (check the host and port, and your network)"},
		{err, Destination{}, "connecting: cannot connect to server (check the host and port, and your network)"},
		{errors.New("disk full"), Destination{}, "disk full"},
		{fmt.Errorf("x: %w", publish.ErrTLS), Destination{}, "x: TLS certificate not accepted (the server's certificate is not trusted; if it is self-signed, start studio with SSL_CERT_FILE pointing at it)"},
	} {
		if got := Describe(tc.err, tc.dest); got != tc.want {
			t.Errorf("Describe(%v)\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}
