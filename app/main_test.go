package app

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines. oto's mixer goroutine is the
// process's for good once an Engine has probed the audio output
// (monitor.Available): oto opens its context once per process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/ebitengine/oto/v3/internal/mux.(*Mux).loop"))
}
