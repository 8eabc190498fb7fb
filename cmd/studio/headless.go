package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"studio/app"
	"studio/encode"
	"studio/publish"
)

// runHeadless streams until the duration ends, the session fails, or a
// signal arrives, and returns the exit code.
func runHeadless(o options) int {
	var raw []app.Destination
	for _, u := range o.urls {
		raw = append(raw, app.Destination{URL: u})
	}
	red := app.NewRedactor(raw...)
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "studio: %s\n", red.Redact(fmt.Sprintf(format, args...)))
	}
	dests, err := o.settings().Destinations()
	if err != nil {
		say("%v", err) // it never quotes the key
		return 2
	}
	var dest app.Destination // the one named in the last line; none when only recording or several
	if len(dests) == 1 {
		dest = dests[0]
	}
	line := func(l string) { say("%s", l) }
	narration := app.NewMultiNarration(dests, o.record)
	narration.OmitEnd = true // the last line says how it ended
	hooks := app.Hooks{
		OnEvent: func(ev publish.Event) {
			if l := narration.Line(ev); l != "" {
				line(l)
			}
		},
		// Nothing that studio logs contains the key; redacting the log
		// output too makes sure of it.
		Logger:     slog.New(slog.NewTextHandler(red.Writer(os.Stderr), &slog.HandlerOptions{Level: slog.LevelWarn})),
		RTMPLogger: app.NewLogger(line, slog.LevelWarn),
		OnDevice:   func(d app.DeviceLost) { line(d.Notice()) },
	}
	cfg, err := app.OpenSession(o.settings(), hooks)
	if err != nil {
		say("%s", withFlagHint(err))
		return 1
	}
	var stats io.WriteCloser
	if o.statsJSON != "" {
		if o.statsJSON == "-" {
			stats = nopCloser{os.Stdout}
		} else if stats, err = os.Create(o.statsJSON); err != nil {
			say("stats file: %v", err)
			return 1
		}
		defer stats.Close()
	}
	s, err := publish.Start(cfg)
	if err != nil {
		say("%v", err)
		return 1
	}
	statsDone := make(chan error, 1)
	if stats != nil {
		go func() { statsDone <- app.WriteStats(stats, s, s.Done(), red) }()
	} else {
		statsDone <- nil
	}
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		app.FollowHealth(s, s.Done(), line)
	}()
	defer func() { <-healthDone }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-s.Done():
	case got := <-sig:
		say("%v: stopping", got)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.Stop(ctx)
		cancel()
	}
	if err := <-statsDone; err != nil {
		say("writing stats: %v", err)
	}
	if err := s.Err(); err != nil {
		if o.fallback && o.codec != encode.H264 && errors.Is(err, publish.ErrCodecRefused) {
			say("the server does not take %s: falling back to H.264 (-codec-fallback)", strings.ToUpper(o.codec.String()))
			o.codec = encode.H264
			return runHeadless(o)
		}
		say("%s", app.Describe(err, dest))
		return 1
	}
	say("stopped cleanly")
	return 0
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
