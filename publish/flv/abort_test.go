package flv

import (
	"context"
	"errors"
	"os"
	"os/exec"
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

// createWithHeader creates a Writer at path and writes the tiny stream's
// header.
func createWithHeader(t *testing.T, path string) *Writer {
	t.Helper()
	info, _, _ := tinyStream(t)
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(info); err != nil {
		t.Fatal(err)
	}
	return w
}

// Abort returns a write that blocks on a pipe nobody drains.
func TestAbortEndsABlockedWrite(t *testing.T) {
	w := createWithHeader(t, stalledPipe(t))
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
	w := createWithHeader(t, stalledPipe(t))
	// 120 kB: 64 kB fill the pipe, the rest waits in the buffer.
	if err := writeUntil(w, 12); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begun := time.Now()
	err := w.Close(ctx)
	if took := time.Since(begun); took > 3*time.Second {
		t.Errorf("Close took %v with a 300 ms context", took)
	}
	if !errors.Is(err, os.ErrClosed) && !errors.Is(err, ErrAborted) {
		t.Errorf("Close of a stalled recording returned %v, want an error", err)
	}
	t.Logf("Close: %v", err)
}

// A recording on a disk that fills up ends on its last whole tag, so that
// what it holds reads back to its end.
func TestFullDiskEndsOnAWholeTag(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small disk needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	defer exec.Command("umount", "-l", dir).Run()
	path := filepath.Join(dir, "full.flv")
	w := createWithHeader(t, path)
	// 10 kB frames: the 256 kB disk fills in the middle of one.
	if err := writeUntil(w, 1000); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing 10 MB to a 256 kB disk: %v, want ENOSPC", err)
	}
	if err := w.Close(context.Background()); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Close: %v, want the ENOSPC", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, tags := readAll(t, b)
	t.Logf("%d bytes, %d whole tags", len(b), len(tags))
	if len(tags) < 10 {
		t.Errorf("%d tags survived", len(tags))
	}
}
