package main

import (
	"context"
	"os"
	"runtime/debug"
	"time"
)

// windowGCPercent is the garbage collector's target for the window, as
// GOGC would set it: the heap may grow to 1.25 times what is live before a
// collection.
//
// Two thirds of the window's live heap (about 35 MB) are fonts that live as
// long as the process, and it makes little garbage (about 1 MB/s). Go's
// default of 100 lets the heap grow to twice the live heap, so 35 MB of
// headroom held garbage, and the point in it where collections start
// drifted up over the first minutes as the pacer learned how cheap they
// are: the process grew by about 10 MB between its first and third minute,
// then stayed flat. At 25 the heap tops out near 44 MB from the start and a
// collection runs every few seconds, for well under 1% of a core.
const windowGCPercent = 25

// tuneWindowGC applies windowGCPercent, unless the user set GOGC.
func tuneWindowGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(windowGCPercent)
	}
}

// cTrimInterval is how often the window gives memory that the C libraries
// (the GL driver, X, fonts) freed back to the system. A trim takes about
// 2 ms after a busy interval and a few microseconds otherwise.
const cTrimInterval = 10 * time.Second

// keepCMemoryFlat tunes the C allocator and trims it every cTrimInterval
// until ctx ends. The window's GL driver allocates and frees texture
// memory for every label whose text changes, each second while live;
// without this the process grew by a few MB over its first half hour
// with nothing leaking.
func keepCMemoryFlat(ctx context.Context) {
	if !cMallocTunable {
		return
	}
	tuneCMalloc()
	go func() {
		t := time.NewTicker(cTrimInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				trimCMalloc()
			}
		}
	}()
}
