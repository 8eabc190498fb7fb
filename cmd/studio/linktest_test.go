package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestTestLinkFlags(t *testing.T) {
	const url = "rtmp://127.0.0.1/live/k"
	for _, c := range []struct {
		args    []string
		want    time.Duration
		wantErr string
	}{
		{[]string{"-test-link", url}, 10 * time.Second, ""},
		{[]string{"-test-link", url, "-duration", "3s"}, 3 * time.Second, ""},
		{[]string{"-test-link", url, "-duration", "7.5s"}, 7500 * time.Millisecond, ""},
		{[]string{"-test-link", url, "-duration", "10s"}, 10 * time.Second, ""},
		{[]string{"-test-link", url, "-duration", "11s"}, 0, "-duration 11s with -test-link: use 3s to 10s"},
		{[]string{"-test-link", url, "-duration", "1m"}, 0, "use 3s to 10s"},
		{[]string{"-test-link", url, "-duration", "2s"}, 0, "use 3s to 10s"},
		{[]string{"-test-link", url, "-duration", "-1s"}, 0, "use 3s to 10s"},
		{[]string{"-test-link", url, "-headless", "-url", url}, 0, "leave out -headless"},
	} {
		o, err := parseFlags(c.args, io.Discard)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want one with %q", c.args, err, c.wantErr)
		case err == nil && (o.testLink != url || o.duration != c.want):
			t.Errorf("%v: test-link %q for %v, want %v", c.args, o.testLink, o.duration, c.want)
		}
	}
}
