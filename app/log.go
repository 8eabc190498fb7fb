package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// NewLogger returns a logger whose records at level and above become
// narration lines, passed to say: "warning: rtmp: server refused
// releaseStream (ignored) (status: …, url: rtmp://host/app/****)". The RTMP
// layer's warnings reach the user this way, in both front ends. say is
// called from the goroutines that log; it must be safe for that.
func NewLogger(say func(line string), level slog.Level) *slog.Logger {
	return slog.New(&lineHandler{say: say, level: level})
}

// lineHandler is a slog.Handler that writes one narration line per record.
type lineHandler struct {
	say   func(string)
	level slog.Level
	attrs []slog.Attr // from WithAttrs, group-qualified
	group string      // prefix for later attributes, "a.b."
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(r.Message)
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, qualify(h.group, a)...)
		return true
	})
	if len(attrs) > 0 {
		b.WriteString(" (")
		for i, a := range attrs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: %v", a.Key, a.Value)
		}
		b.WriteString(")")
	}
	h.say(b.String())
	return nil
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = append(h2.attrs, qualify(h.group, a)...)
	}
	return &h2
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// qualify flattens a (group) into attributes whose keys carry the group
// prefix; empty attributes are dropped, as slog's handlers do.
func qualify(prefix string, a slog.Attr) []slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return nil
	}
	if a.Value.Kind() != slog.KindGroup {
		a.Key = prefix + a.Key
		return []slog.Attr{a}
	}
	if a.Key != "" {
		prefix += a.Key + "."
	}
	var out []slog.Attr
	for _, g := range a.Value.Group() {
		out = append(out, qualify(prefix, g)...)
	}
	return out
}
