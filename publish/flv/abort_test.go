package flv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"studio/encode"
)

// stalledPipe returns the path of a FIFO with a reader that never reads,
// as a disk that stopped taking data.
func stalledPipe(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stalled.flv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return path
}

// writeUntil writes 10 kB video packets to w until a write fails or n are
// written, and returns the error.
func writeUntil(w *Writer, n int) error {
	data := make([]byte, 10_000)
	for i := range n {
		ts := time.Duration(i) * time.Second / 30
		if err := w.WritePacket(encode.NewPacket(encode.Video, ts, ts, i == 0, data, nil)); err != nil {
			return err
		}
	}
	return nil
}

// Abort returns a write that blocks on a pipe nobody drains.
func TestAbortEndsABlockedWrite(t *testing.T) {
	info, _, _ := tinyStream(t)
	w, err := Create(stalledPipe(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(info); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- writeUntil(w, 1000) }()
	// 10 MB cannot fit in the pipe and the buffer: the writer blocks
	// until Abort, whenever that comes, and then fails.
	w.Abort()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("writing into a stalled pipe ended with %v, want the file closed by Abort", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Abort did not end the blocked write within 5 s")
	}
	if err := w.Close(context.Background()); err == nil {
		t.Error("Close after Abort returned nil")
	}
}

// Close gives up flushing into a stalled pipe when its context ends.
func TestCloseHonoursItsContext(t *testing.T) {
	info, _, _ := tinyStream(t)
	w, err := Create(stalledPipe(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(info); err != nil {
		t.Fatal(err)
	}
	// 120 kB: 64 kB fill the pipe, the rest waits in the buffer.
	if err := writeUntil(w, 12); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begun := time.Now()
	err = w.Close(ctx)
	if took := time.Since(begun); took > 3*time.Second {
		t.Errorf("Close took %v with a 300 ms context", took)
	}
	if !errors.Is(err, os.ErrClosed) && !errors.Is(err, ErrAborted) {
		t.Errorf("Close of a stalled recording returned %v, want an error", err)
	}
	t.Logf("Close: %v", err)
}
