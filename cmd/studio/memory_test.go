package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestWindowGCPercent(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	t.Setenv("GOGC", "100") // restored after the test, unset or not
	os.Unsetenv("GOGC")
	tuneWindowGC()
	if got := debug.SetGCPercent(100); got != windowGCPercent {
		t.Errorf("without GOGC the window's GC percent is %d, want %d", got, windowGCPercent)
	}

	t.Setenv("GOGC", "100")
	tuneWindowGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the window changed the GC percent to %d", got)
	}
}
