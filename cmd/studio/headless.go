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

	"studio/publish"
)

// runHeadless streams until the duration ends, the session fails, or a
// signal arrives, and returns the exit code.
func runHeadless(o options) int {
	// Nothing that studio logs contains the key; scrubbing the log output
	// too makes sure of it.
	logger := slog.New(slog.NewTextHandler(scrubWriter{os.Stderr, o.url}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dest, err := newDestination(o.url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "studio: %s\n", scrub(err.Error(), o.url))
		return 2
	}
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "studio: %s\n", scrub(fmt.Sprintf(format, args...), o.url))
	}
	cfg, err := buildSession(o, dest, logger)
	if err != nil {
		say("%v", err)
		return 1
	}
	cfg.OnEvent = func(ev publish.Event) {
		switch {
		case ev.Status != nil:
			say("server: %s", ev.Status)
		case ev.Attempt > 0:
			say("reconnect attempt %d failed (%v); next in %s", ev.Attempt, ev.Err, ev.RetryIn.Round(10*time.Millisecond))
		case ev.State == publish.StateConnecting:
			say("connecting to %s", dest.redacted)
		case ev.State == publish.StateReconnecting:
			say("connection lost (%v): reconnecting", ev.Err)
		case ev.State == publish.StateLive && dest.url != "":
			say("live on %s", dest.redacted)
		case ev.State == publish.StateLive:
			say("recording to %s", o.record)
		case ev.Err != nil && ev.State != publish.StateError:
			say("warning: %v", ev.Err)
		}
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
		go func() { statsDone <- writeStats(stats, s, s.Done()) }()
	} else {
		statsDone <- nil
	}
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
		say("%s", describe(err, dest))
		return 1
	}
	say("stopped cleanly")
	return 0
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// describe turns a session error into one line that says what failed and
// what to do about it.
func describe(err error, dest destination) string {
	var hint string
	var se *publish.StatusError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Status.Code, "BadName"):
		hint = "check the stream key, and that no other encoder is publishing to it"
	case errors.Is(err, publish.ErrRejected):
		hint = "check the stream key and the application name in the URL"
	case errors.Is(err, publish.ErrTLS) && strings.Contains(err.Error(), "another name"):
		hint = "the certificate belongs to another host; check the host name in the URL"
	case errors.Is(err, publish.ErrTLS):
		hint = "the server's certificate is not trusted; if it is self-signed, point SSL_CERT_FILE at it"
	case errors.Is(err, publish.ErrTimeout):
		hint = "the server did not answer; check the host and port, and your network"
	case errors.Is(err, publish.ErrConnect):
		hint = "check the host and port, and your network"
	case errors.Is(err, publish.ErrProtocol):
		hint = "the server does not speak RTMP as expected; check the URL's scheme and port"
	}
	msg := err.Error()
	if dest.url != "" {
		msg = fmt.Sprintf("streaming to %s failed: %v", dest.redacted, err)
	}
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// scrubWriter writes through scrub.
type scrubWriter struct {
	w      io.Writer
	rawURL string
}

func (s scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, scrub(string(p), s.rawURL)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// scrub hides the stream key of rawURL wherever it appears in msg.
func scrub(msg, rawURL string) string {
	for _, secret := range secretsOf(rawURL) {
		msg = strings.ReplaceAll(msg, secret, "****")
	}
	return msg
}
