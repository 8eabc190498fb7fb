package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"fyne.io/fyne/v2"

	"studio/app"
	"studio/ui"
)

// Environment variables that drive the window without clicks, for
// screenshots and demos (see the README).
const (
	// envAutoLive is a full publish URL, key included: the window streams
	// to it at once, without saving it.
	envAutoLive = "STUDIO_AUTOLIVE_URL"
	// envWindowSize is the window size, WIDTHxHEIGHT.
	envWindowSize = "STUDIO_WINDOW_SIZE"
)

// runWindow opens the studio window and returns when it is closed.
// SIGINT and SIGTERM close it as the close button does: a running session
// stops cleanly first (see ui.Run).
func runWindow(o options) int {
	tuneWindowGC()
	tuneSoftwareGL()
	ctx, stopTrim := context.WithCancel(context.Background())
	defer stopTrim()
	keepCMemoryFlat(ctx)
	autoLive := os.Getenv(envAutoLive)
	// The AutoLive URL holds the key: never print it.
	red := app.NewRedactor(app.Destination{URL: autoLive})
	say := func(line string) { fmt.Fprintf(os.Stderr, "studio: %s\n", red.Redact(line)) }
	logger := slog.New(slog.NewTextHandler(red.Writer(os.Stderr), &slog.HandlerOptions{Level: slog.LevelWarn}))
	be := app.NewEngine(app.EngineOptions{Logger: logger, Say: say})
	defer be.Close(ui.StopTimeout)
	opts := ui.Options{
		Version:  version,
		Backend:  be,
		Keys:     app.DefaultKeyStore(),
		AutoLive: autoLive,
		Log:      say,
	}
	if s := os.Getenv(envWindowSize); s != "" {
		w, h, err := parseSize(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "studio: %s: %v\n", envWindowSize, strings.TrimPrefix(err.Error(), "-size "))
			return 2
		}
		opts.Size = fyne.NewSize(float32(w), float32(h))
	}
	ui.Run(opts)
	return 0
}
