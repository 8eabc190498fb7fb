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

func TestSoftwareGLThreads(t *testing.T) {
	t.Setenv(envLLVMpipeThreads, "") // restored after the test, unset or not
	os.Unsetenv(envLLVMpipeThreads)
	tuneSoftwareGL()
	if got := os.Getenv(envLLVMpipeThreads); got != "0" {
		t.Errorf("without %s the window sets it to %q, want 0", envLLVMpipeThreads, got)
	}

	t.Setenv(envLLVMpipeThreads, "4")
	tuneSoftwareGL()
	if got := os.Getenv(envLLVMpipeThreads); got != "4" {
		t.Errorf("with %s=4 the window changed it to %q", envLLVMpipeThreads, got)
	}
}
