package rtmp

import (
	"bytes"
	"runtime"
	"strconv"
)

// goid returns the ID of the calling goroutine, read from the first line
// of its stack trace ("goroutine 42 [running]:"), or 0 if that cannot be
// read. Close uses it for one question only: does it run on the reader
// goroutine, from OnStatus? Then it must not wait for that goroutine.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0
	}
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return id
}
