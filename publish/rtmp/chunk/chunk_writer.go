package chunk

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// Writer splits messages into chunks.
//
// Each message goes out in exactly one Write call on the underlying writer,
// built in a buffer that the Writer keeps and reuses: after the buffer has
// grown to the largest message, WriteMessage allocates nothing.
//
// A Writer picks the smallest chunk header that lets a reader reconstruct
// the message (see WriteMessage). It is not safe for concurrent use: one
// goroutine at a time owns it (rtmp.Stream serializes its writers with a
// mutex). BytesWritten may be called from any goroutine.
type Writer struct {
	w         io.Writer
	chunkSize uint32
	buf       []byte
	low       [64]outState         // chunk streams below 64
	high      map[uint32]*outState // the rest, allocated on first use
	written   atomic.Uint64        // bytes handed to w successfully
	err       error                // sticky: the chunk stream is broken after a failed write
}

// outState is what the peer remembers of the last message on a chunk stream.
type outState struct {
	used       bool
	deltaValid bool // the last header carried a delta (fmt 1 or 2, or 3 after those)
	typ        uint8
	streamID   uint32
	timestamp  uint32
	delta      uint32
	length     uint32
}

// NewWriter returns a Writer with the default chunk size (128).
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, chunkSize: DefaultChunkSize}
}

// ChunkSize returns the current outgoing chunk size.
func (w *Writer) ChunkSize() uint32 { return w.chunkSize }

// SetChunkSize changes the size of the chunks written from now on. The
// caller must have sent the peer a Set Chunk Size message first.
func (w *Writer) SetChunkSize(n uint32) error {
	if !ValidChunkSize(n) {
		return fmt.Errorf("chunk: invalid chunk size %d (valid: 1 to 0x7FFFFFFF)", n)
	}
	w.chunkSize = n
	return nil
}

// BytesWritten returns how many bytes have been written so far.
func (w *Writer) BytesWritten() uint64 { return w.written.Load() }

func (w *Writer) state(csid uint32) *outState {
	if csid < 64 {
		return &w.low[csid]
	}
	st := w.high[csid]
	if st == nil {
		if w.high == nil {
			w.high = make(map[uint32]*outState)
		}
		st = new(outState)
		w.high[csid] = st
	}
	return st
}

// ErrBroken is wrapped by the errors a Writer returns after a failed write:
// the peer may have received part of a message, so the chunk stream cannot
// continue.
var ErrBroken = errors.New("chunk: stream broken by an earlier write error")

// WriteMessage writes one message whose payload is the concatenation of
// parts, in one Write call.
//
// The first chunk's header is format 0 on a new chunk stream, when the
// message stream ID changes or when the timestamp goes backwards; format 1
// when the length or type changes; format 2 when only the timestamp delta
// changes; format 3 when the delta is the same as the previous message's
// (and that delta was sent explicitly). A timestamp or delta of 0xFFFFFF or
// more goes in an extended timestamp field, which is repeated after the
// basic header of every continuation chunk of the message, as FFmpeg and
// nginx-rtmp expect.
func (w *Writer) WriteMessage(h Header, parts ...[]byte) error {
	if w.err != nil {
		return w.err
	}
	if h.CSID < MinCSID || h.CSID > MaxCSID {
		return fmt.Errorf("chunk: chunk stream ID %d out of range %d..%d", h.CSID, MinCSID, MaxCSID)
	}
	var length int
	for _, p := range parts {
		length += len(p)
	}
	if length > MaxMessageLength {
		return fmt.Errorf("chunk: message of %d bytes is longer than the protocol allows (%d)", length, MaxMessageLength)
	}
	st := w.state(h.CSID)

	var format uint8
	var field uint32 // absolute timestamp (fmt 0) or delta
	delta := h.Timestamp - st.timestamp
	switch {
	case !st.used || h.StreamID != st.streamID || h.Timestamp < st.timestamp:
		format, field = 0, h.Timestamp
	case uint32(length) != st.length || h.Type != st.typ:
		format, field = 1, delta
	case !st.deltaValid || delta != st.delta:
		format, field = 2, delta
	default:
		format, field = 3, delta
	}
	ext := field >= extendedTimestamp

	// Size the buffer: first header, continuation headers, payload.
	bh := basicHeaderLen(h.CSID)
	nchunks := 1
	if length > 0 {
		nchunks = (length + int(w.chunkSize) - 1) / int(w.chunkSize)
	}
	contHdr := bh
	if ext {
		contHdr += 4
	}
	need := bh + [4]int{11, 7, 3, 0}[format] + length + (nchunks-1)*contHdr
	if ext {
		need += 4
	}
	if cap(w.buf) < need {
		w.buf = make([]byte, 0, need+need/4)
	}
	b := appendBasicHeader(w.buf[:0], format, h.CSID)
	ts3 := min(field, extendedTimestamp)
	if format <= 2 {
		b = append(b, byte(ts3>>16), byte(ts3>>8), byte(ts3))
	}
	if format <= 1 {
		b = append(b, byte(length>>16), byte(length>>8), byte(length), h.Type)
	}
	if format == 0 {
		b = append(b, byte(h.StreamID), byte(h.StreamID>>8), byte(h.StreamID>>16), byte(h.StreamID>>24))
	}
	if ext {
		b = append(b, byte(field>>24), byte(field>>16), byte(field>>8), byte(field))
	}

	// Payload, cut into chunks across the parts.
	room := int(w.chunkSize) // payload bytes left in the current chunk
	for _, p := range parts {
		for len(p) > 0 {
			if room == 0 {
				b = appendBasicHeader(b, 3, h.CSID)
				if ext {
					b = append(b, byte(field>>24), byte(field>>16), byte(field>>8), byte(field))
				}
				room = int(w.chunkSize)
			}
			n := min(room, len(p))
			b = append(b, p[:n]...)
			p = p[n:]
			room -= n
		}
	}
	w.buf = b

	n, err := w.w.Write(b)
	w.written.Add(uint64(n))
	if err != nil {
		w.err = fmt.Errorf("%w: %w", ErrBroken, err)
		return err
	}

	*st = outState{
		used:       true,
		deltaValid: format != 0,
		typ:        h.Type,
		streamID:   h.StreamID,
		timestamp:  h.Timestamp,
		delta:      delta,
		length:     uint32(length),
	}
	if format == 0 {
		st.delta = 0
	}
	return nil
}
