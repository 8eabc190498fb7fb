package app

import (
	"errors"
	"log/slog"
	"testing"
)

func TestLoggerLines(t *testing.T) {
	var lines []string
	log := NewLogger(func(l string) { lines = append(lines, l) }, slog.LevelWarn)
	log.Info("not shown")
	log.Warn("rtmp: onStatus without a code")
	log.With("url", "rtmp://h/live/****").WithGroup("g").Warn("rtmp: server refused releaseStream (ignored)",
		"status", "error NetConnection.Call.Failed", slog.Group("sub", "n", 2), slog.Attr{})
	log.Error("boom", "err", errors.New("bad"))
	want := []string{
		"warning: rtmp: onStatus without a code",
		"warning: rtmp: server refused releaseStream (ignored) (url: rtmp://h/live/****, g.status: error NetConnection.Call.Failed, g.sub.n: 2)",
		"error: boom (err: bad)",
	}
	if len(lines) != len(want) {
		t.Fatalf("lines %q, want %q", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d: %q, want %q", i, lines[i], want[i])
		}
	}
}
