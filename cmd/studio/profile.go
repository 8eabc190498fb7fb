package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileEnv names the environment variable that turns on CPU profiling:
// when it holds a path, the whole run is profiled into that file.
const profileEnv = "STUDIO_CPUPROFILE"

// startCPUProfile starts a CPU profile into the file named by
// STUDIO_CPUPROFILE, if it is set. The returned stop function, never nil,
// ends the profile and closes the file; call it before the process exits.
// Without the variable it does nothing and stop is a no-op. Time spent in
// x264 (cgo) appears under runtime.cgocall.
func startCPUProfile() (stop func(), err error) {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}, fmt.Errorf("%s: %w", profileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}, fmt.Errorf("%s: %w", profileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
