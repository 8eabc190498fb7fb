package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxTagSize is the largest tag body a Reader accepts unless told
// otherwise: 16 MiB, which is also the most the 24-bit size field holds.
const DefaultMaxTagSize = 16 << 20

// maxHeaderSkip bounds how many bytes of extra file header (DataOffset
// beyond 9) a Reader skips.
const maxHeaderSkip = 1 << 20

// Tag is one FLV tag.
type Tag struct {
	Type      TagType // the low 5 bits of the type byte
	Timestamp uint32  // milliseconds, including the extended high byte
	Data      []byte  // the tag body; owned by the caller
}

// Header is the FLV file header.
type Header struct {
	Version  uint8
	HasAudio bool
	HasVideo bool
}

// Reader reads the tags of an FLV file. It reads what it needs and no more
// (no read-ahead), so the underlying reader may be unbuffered but is better
// buffered. It never allocates much more than the input it has read: a tag
// body is allocated as its bytes arrive, not from its size field, and tags
// larger than MaxTagSize fail with ErrTooLarge.
//
// Reader checks every PreviousTagSize field, and fails with ErrCorrupt when
// one does not match the tag before it.
type Reader struct {
	// MaxTagSize is the largest tag body accepted; 0 means
	// DefaultMaxTagSize.
	MaxTagSize int

	r       io.Reader
	header  Header
	started bool   // the file header has been read
	err     error  // sticky error
	prev    uint32 // expected next PreviousTagSize
	buf     [TagHeaderSize + 4]byte
}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

// Header reads the file header if it has not been read yet and returns it.
func (r *Reader) Header() (Header, error) {
	if err := r.start(); err != nil {
		return Header{}, err
	}
	return r.header, nil
}

func (r *Reader) start() error {
	if r.started || r.err != nil {
		return r.err
	}
	b := r.buf[:HeaderSize]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return r.fail(fmt.Errorf("flv: file header: %w", unexpected(err)))
	}
	if b[0] != 'F' || b[1] != 'L' || b[2] != 'V' {
		return r.fail(fmt.Errorf("%w: signature %q, want \"FLV\"", ErrCorrupt, b[:3]))
	}
	offset := binary.BigEndian.Uint32(b[5:])
	if offset < HeaderSize || offset-HeaderSize > maxHeaderSkip {
		return r.fail(fmt.Errorf("%w: header size %d", ErrCorrupt, offset))
	}
	r.header = Header{Version: b[3], HasAudio: b[4]&FlagAudio != 0, HasVideo: b[4]&FlagVideo != 0}
	if skip := int64(offset - HeaderSize); skip > 0 {
		if _, err := io.CopyN(io.Discard, r.r, skip); err != nil {
			return r.fail(fmt.Errorf("flv: file header: %w", unexpected(err)))
		}
	}
	r.started = true
	return nil
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// unexpected turns io.EOF into io.ErrUnexpectedEOF, for reads that end
// inside a structure.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadTag reads the next tag. At the end of the file (after the last
// PreviousTagSize, or after the last tag when the file lacks it) it returns
// io.EOF; a file that ends inside a tag gives io.ErrUnexpectedEOF. Errors
// are sticky.
func (r *Reader) ReadTag() (Tag, error) {
	if err := r.start(); err != nil {
		return Tag{}, err
	}

	// PreviousTagSize of the tag before, then the tag header.
	b := r.buf[:4+TagHeaderSize]
	n, err := io.ReadFull(r.r, b)
	if n >= 4 {
		if got := binary.BigEndian.Uint32(b); got != r.prev {
			return Tag{}, r.fail(fmt.Errorf("%w: PreviousTagSize %d, want %d", ErrCorrupt, got, r.prev))
		}
	}
	switch {
	case n == 0 && errors.Is(err, io.EOF), n == 4 && errors.Is(err, io.ErrUnexpectedEOF):
		return Tag{}, r.fail(io.EOF)
	case err != nil:
		return Tag{}, r.fail(fmt.Errorf("flv: tag header: %w", unexpected(err)))
	}
	h := b[4:]
	size := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	tag := Tag{
		Type:      TagType(h[0] & 0x1f),
		Timestamp: uint32(h[7])<<24 | uint32(h[4])<<16 | uint32(h[5])<<8 | uint32(h[6]),
	}
	limit := r.MaxTagSize
	if limit <= 0 {
		limit = DefaultMaxTagSize
	}
	if size > limit {
		return Tag{}, r.fail(fmt.Errorf("%w: %s tag of %d bytes, limit %d", ErrTooLarge, tag.Type, size, limit))
	}
	if tag.Data, err = readN(r.r, size); err != nil {
		return Tag{}, r.fail(fmt.Errorf("flv: %s tag body: %w", tag.Type, unexpected(err)))
	}
	r.prev = uint32(TagHeaderSize + size)
	return tag, nil
}

// readN reads exactly n bytes, growing its buffer as they arrive so that a
// size field larger than the input cannot make it allocate n bytes at once.
func readN(r io.Reader, n int) ([]byte, error) {
	const chunk = 64 << 10
	b := make([]byte, 0, min(n, chunk))
	for len(b) < n {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow geometrically
		}
		m := min(cap(b), n)
		k, err := io.ReadFull(r, b[len(b):m])
		b = b[:len(b)+k]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}
