// Command studio is a live-streaming studio: it captures a camera and a
// microphone (or a test pattern and tone), encodes them to H.264 and AAC,
// and publishes them to an RTMP or RTMPS server.
//
// studio alone opens the window. studio -headless runs the same pipeline
// without one; see the README for its flags.
package main

import (
	"fmt"
	"os"
)

// version is the studio version; release builds set it with
// -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	opts, err := parseFlags(args, os.Stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintf(os.Stderr, "studio: %v\n", err)
		return 2
	}
	if opts.version {
		fmt.Printf("studio %s\n", version)
		return 0
	}
	if err := opts.resolveKeys(os.Getenv, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "studio: %v\n", err)
		return 2
	}
	if opts.listDevices {
		return listDevices(os.Stdout) // devices.go
	}
	if opts.testLink != "" {
		return runTestLink(opts) // linktest.go
	}
	stopProfile, err := startCPUProfile()
	if err != nil {
		fmt.Fprintf(os.Stderr, "studio: %v\n", err)
		return 2
	}
	defer stopProfile()
	defer startDebugServer(os.Stderr)() // debugserver.go: STUDIO_DEBUG_ADDR
	if !opts.headless {
		return runWindow(opts)
	}
	return runHeadless(opts)
}
