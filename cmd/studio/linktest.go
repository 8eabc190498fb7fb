package main

// studio -test-link URL: the pre-flight link test (see app.TestLink).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"studio/app"
)

// checkTestLink validates the -test-link mode's flags: -duration is the
// length of the test, app.DefaultLinkTest when not given, from
// app.MinLinkTest to app.MaxLinkTest. The mode runs on its own.
func checkTestLink(o *options) error {
	if o.testLink == "" {
		return nil
	}
	if o.headless {
		return errors.New("-test-link runs on its own: leave out -headless")
	}
	if o.duration == 0 {
		o.duration = app.DefaultLinkTest
	}
	if o.duration < app.MinLinkTest || o.duration > app.MaxLinkTest {
		return fmt.Errorf("-duration %v with -test-link: use %v to %v (the first 2.5 s are not measured)", o.duration, app.MinLinkTest, app.MaxLinkTest)
	}
	return nil
}

// runTestLink runs the link test, prints its report as one JSON line on
// stdout and a summary on stderr, and returns the exit code: 0 when the
// link was measured, 1 when the server refused or could not be reached
// (with the usual one-line description), 2 for a bad URL. Nothing it
// prints contains the stream key.
func runTestLink(o options) int {
	dest := app.Destination{URL: o.testLink}
	red := app.NewRedactor(dest)
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "studio: %s\n", red.Redact(fmt.Sprintf(format, args...)))
	}
	if err := dest.Validate(); err != nil {
		say("-test-link: %v", err) // it never quotes the key
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	say("testing the link to %s for %v", dest.Redacted(), o.duration)
	r, err := app.TestLink(ctx, dest.URL, o.duration)
	if err != nil {
		if ctx.Err() != nil {
			say("link test interrupted")
			return 1
		}
		say("link test to %s failed: %s", dest.Redacted(), app.Describe(err, app.Destination{}))
		return 1
	}
	line, err := json.Marshal(r)
	if err != nil {
		say("link test: %v", err)
		return 1
	}
	if _, err := os.Stdout.Write(append(line, '\n')); err != nil {
		say("link test: writing the report: %v", err)
		return 1
	}
	ceiling := ""
	if r.AtCeiling {
		ceiling = " (all the test sends: the link may carry more)"
	}
	say("link test: %d kbit/s delivered over the last %.1f s%s, round trip %.1f ms; x264 %s encodes %s at %.0f fps here; stream with -bitrate %d -size %s -fps %d; the test took %.2f s of CPU",
		r.UploadKbps, r.Measured.Seconds(), ceiling, r.RTTms, r.EncodePreset, r.EncodeSize, r.EncodeFPS,
		r.SuggestedKbps, r.SuggestedSize, r.SuggestedFPS, r.CPUTime.Seconds())
	if r.CacheErr != nil {
		say("warning: the result could not be saved for the next stream: %v", r.CacheErr)
	}
	return 0
}
