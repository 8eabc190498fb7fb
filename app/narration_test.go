package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"studio/publish"
)

func TestNarrationHeadless(t *testing.T) {
	dest := Destination{URL: "rtmp://127.0.0.1/live/" + testKey}
	n := NewNarration(dest, "")
	n.OmitEnd = true
	lost := fmt.Errorf("reading: %w", publish.ErrTimeout)
	events := []struct {
		ev   publish.Event
		want string
	}{
		{publish.Event{State: publish.StateConnecting}, "connecting to rtmp://127.0.0.1/live/****"},
		{publish.Event{State: publish.StateConnecting, Status: &publish.Status{Code: "NetStream.Publish.Start", Level: publish.LevelStatus, Description: "go"}},
			"server: "},
		{publish.Event{State: publish.StateLive}, "live on rtmp://127.0.0.1/live/****"},
		{publish.Event{State: publish.StateLive, Err: errors.New("recording: disk full")}, "warning: recording: disk full"},
		{publish.Event{State: publish.StateLive}, ""},
		{publish.Event{State: publish.StateReconnecting, Err: lost}, "connection lost (reading: server did not answer in time): reconnecting"},
		{publish.Event{State: publish.StateReconnecting, Err: lost, Attempt: 2, RetryIn: 561 * time.Millisecond},
			"reconnect attempt 2 failed (reading: server did not answer in time); next in 560ms"},
		{publish.Event{State: publish.StateLive}, "live on rtmp://127.0.0.1/live/****"},
		{publish.Event{State: publish.StateStopping}, ""},
		{publish.Event{State: publish.StateStopped}, ""},
	}
	for i, e := range events {
		got := n.Line(e.ev)
		if got != e.want && !(strings.HasSuffix(e.want, " ") && strings.HasPrefix(got, e.want)) {
			t.Errorf("event %d (%+v): line %q, want %q", i, e.ev, got, e.want)
		}
	}
}

func TestNarrationWindow(t *testing.T) {
	// A recording on its own, then a stream, which ends by itself, then
	// the end of the session with an error.
	n := NewNarration(Destination{}, "/tmp/rec.flv")
	url := "rtmps://host.example/app/" + testKey
	steps := []struct {
		do   func()
		ev   publish.Event
		want string
	}{
		{nil, publish.Event{State: publish.StateLive}, "recording to /tmp/rec.flv"},
		{func() { n.SetDestination(Destination{URL: url}) }, publish.Event{State: publish.StateConnecting}, "connecting to rtmps://host.example/app/****"},
		{nil, publish.Event{State: publish.StateLive}, "live on rtmps://host.example/app/****"},
		{nil, publish.Event{State: publish.StateLive, Err: fmt.Errorf("%w: %w", publish.ErrStreamEnded, publish.ErrConnect)},
			"warning: the stream ended; the recording goes on: cannot connect to server"},
		{nil, publish.Event{State: publish.StateStopping}, "stopping"},
		{nil, publish.Event{State: publish.StateError, Err: errors.New("disk full")}, "error: disk full"},
		{nil, publish.Event{State: publish.StateError}, ""},
	}
	for i, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := n.Line(s.ev); got != s.want {
			t.Errorf("step %d: line %q, want %q", i, got, s.want)
		}
	}

	n = NewNarration(Destination{URL: url}, "")
	n.Line(publish.Event{State: publish.StateConnecting})
	want := "streaming to rtmps://host.example/app/**** failed: x: cannot connect to server (check the host and port, and your network)"
	if got := n.Line(publish.Event{State: publish.StateError, Err: fmt.Errorf("x: %w", publish.ErrConnect)}); got != want {
		t.Errorf("error line %q, want %q", got, want)
	}
	if got := n.Line(publish.Event{State: publish.StateStopped}); got != "stopped" {
		t.Errorf("stopped line %q", got)
	}
}
