package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	runpprof "runtime/pprof"
	"time"
)

// debugEnv names the environment variable that turns on the debug server:
// when it holds a loopback address (127.0.0.1:PORT), studio serves there,
// for soak tests and profiling:
//
//   - /debug/stats: one JSON object (debugStats) with the goroutine count
//     and the Go heap;
//   - /debug/pprof/: the standard net/http/pprof handlers.
//
// At exit studio then prints one line, "studio: debug: goroutines N at
// start, M at exit", and the stacks of any goroutines above the start.
const debugEnv = "STUDIO_DEBUG_ADDR"

// debugStats is what /debug/stats returns.
type debugStats struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"` // live and not yet swept heap objects
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	HeapObjects    uint64 `json:"heap_objects"`
	SysBytes       uint64 `json:"sys_bytes"` // all memory the Go runtime holds from the OS
	NumGC          uint32 `json:"num_gc"`
}

// startDebugServer starts the debug server when STUDIO_DEBUG_ADDR is set,
// and returns the function that stops it and prints the goroutine report;
// call it last, once everything else has stopped. Without the variable it
// does nothing and the returned function is a no-op. A server that cannot
// start is reported on stderr and the run goes on without it.
func startDebugServer(stderr io.Writer) (stop func()) {
	addr := os.Getenv(debugEnv)
	if addr == "" {
		return func() {}
	}
	// The runtime's signal watcher starts with the first signal.Notify and
	// runs for the life of the process: start it now, so that it counts
	// in the baseline rather than as a goroutine left behind.
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	signal.Stop(c)
	srv, ln, err := listenDebug(addr)
	if err != nil {
		fmt.Fprintf(stderr, "studio: %s: %v\n", debugEnv, err)
		return func() {}
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	baseline := runtime.NumGoroutine() - 1 // the server's own, which stop ends
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
		<-served
		reportGoroutines(stderr, baseline)
	}
}

// listenDebug listens on addr, which must be a loopback address: the
// debug server shows the process's memory and must not be reachable from
// another machine.
func listenDebug(addr string) (*http.Server, net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, nil, errors.New("use a loopback address such as 127.0.0.1:6060")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/stats", serveDebugStats)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln, nil
}

func serveDebugStats(w http.ResponseWriter, _ *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(debugStats{
		// The goroutine serving this request is left out.
		Goroutines:     runtime.NumGoroutine() - 1,
		HeapAllocBytes: m.HeapAlloc,
		HeapInuseBytes: m.HeapInuse,
		HeapObjects:    m.HeapObjects,
		SysBytes:       m.Sys,
		NumGC:          m.NumGC,
	})
}

// reportGoroutines prints the goroutine count against baseline. Goroutines
// that are ending as the session stops get up to a second to do so; any
// still above the baseline then are printed with their stacks.
func reportGoroutines(stderr io.Writer, baseline int) {
	deadline := time.Now().Add(time.Second)
	n := runtime.NumGoroutine()
	for n > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // nothing to wait on: they are not ours to join
		n = runtime.NumGoroutine()
	}
	fmt.Fprintf(stderr, "studio: debug: goroutines %d at start, %d at exit\n", baseline, n)
	if n > baseline {
		var b bytes.Buffer
		_ = runpprof.Lookup("goroutine").WriteTo(&b, 1)
		fmt.Fprintf(stderr, "%s\n", b.String())
	}
}
