package flv

import "os"

// tagEndsRing is how many tag ends a Writer remembers: more tags than its
// 64 KiB buffer can hold.
const tagEndsRing = 8192

// tagEnds remembers where the most recent tags end in the file, so that a
// recording cut short by a write error (a full disk) or by Abort can be
// trimmed back to its last whole tag and stay playable to its end.
type tagEnds struct {
	ring [tagEndsRing]int64
	next int
	n    int
}

// tagEnd notes that every byte handed to the buffer so far ends a tag.
func (w *Writer) tagEnd() {
	if w.ends == nil {
		return
	}
	e := w.ends
	e.ring[e.next] = w.written
	e.next = (e.next + 1) % tagEndsRing
	e.n = min(e.n+1, tagEndsRing)
}

// trim cuts a file from Create back to the end of the last whole tag that
// reached it. It does what it can: a file it cannot stat or truncate (a
// pipe) is left as it is.
func (w *Writer) trim() {
	if w.ends == nil {
		return
	}
	fi, err := os.Stat(w.path)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	size := fi.Size()
	e := w.ends
	for i := range e.n {
		end := e.ring[(e.next-1-i+tagEndsRing)%tagEndsRing]
		if end <= size {
			if end < size {
				_ = os.Truncate(w.path, end)
			}
			return
		}
	}
}
