package chunk

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"sync/atomic"
)

const (
	// DefaultMaxChunkStreams is the default cap on chunk streams a Reader
	// tracks at once.
	DefaultMaxChunkStreams = 64
	// readPiece bounds how much payload buffer is reserved ahead of the
	// bytes that fill it.
	readPiece = 32 << 10
)

// Reader reassembles messages from chunks.
//
// A Reader applies Set Chunk Size (rejecting 0 and sizes with the high bit
// set) and Abort (dropping the partial message of the named chunk stream)
// itself, and still returns those messages so that callers can log them.
//
// Memory is bounded: a message longer than MaxMessageLength is an error, at
// most MaxChunkStreams chunk streams are tracked, and payload buffers grow
// only as payload bytes arrive, never ahead from a length in a header.
//
// A Reader is not safe for concurrent use; BytesRead may be called from any
// goroutine.
type Reader struct {
	// MaxMessageLength caps the length of one message. Zero means
	// MaxMessageLength (16 MiB - 1), the most a header can say.
	MaxMessageLength uint32
	// MaxChunkStreams caps how many chunk streams are tracked. Zero means
	// DefaultMaxChunkStreams.
	MaxChunkStreams int

	br        *bufio.Reader
	chunkSize uint32
	streams   map[uint32]*inState
	read      atomic.Uint64
	scratch   [11]byte
}

// inState is what the reader remembers about one chunk stream.
type inState struct {
	hdr        Header
	length     uint32
	delta      uint32 // timestamp delta (or fmt-0 timestamp field) for fmt-3 messages
	extended   bool   // the last timestamp field was 0xFFFFFF
	extValue   uint32 // and this was its extended value
	inProgress bool   // a message is partly received
	buf        []byte // payload received so far; reused between messages
}

// NewReader returns a Reader with the default chunk size (128). If r is not
// a *bufio.Reader it is wrapped in one.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 16<<10)
	}
	return &Reader{br: br, chunkSize: DefaultChunkSize, streams: make(map[uint32]*inState)}
}

// ChunkSize returns the current incoming chunk size.
func (r *Reader) ChunkSize() uint32 { return r.chunkSize }

// BytesRead returns how many bytes of chunks have been consumed.
func (r *Reader) BytesRead() uint64 { return r.read.Load() }

func (r *Reader) maxLength() uint32 {
	if r.MaxMessageLength == 0 || r.MaxMessageLength > MaxMessageLength {
		return MaxMessageLength
	}
	return r.MaxMessageLength
}

func (r *Reader) maxStreams() int {
	if r.MaxChunkStreams <= 0 {
		return DefaultMaxChunkStreams
	}
	return r.MaxChunkStreams
}

// ReadMessage reads chunks until a message is complete and returns it. The
// payload is valid until the next call to ReadMessage.
//
// It returns io.EOF if the input ends cleanly between chunks,
// io.ErrUnexpectedEOF if it ends inside one, and an error wrapping
// wire.ErrProtocol for malformed input.
func (r *Reader) ReadMessage() (Message, error) {
	for {
		st, done, err := r.readChunk()
		if err != nil {
			return Message{}, err
		}
		if !done {
			continue
		}
		m := Message{Header: st.hdr, Payload: st.buf}
		switch m.Type {
		case TypeSetChunkSize:
			n, err := ParseSetChunkSize(m.Payload)
			if err != nil {
				return Message{}, err
			}
			r.chunkSize = n
		case TypeAbort:
			if len(m.Payload) < 4 {
				return Message{}, protocolErrorf("Abort message of %d bytes, want 4", len(m.Payload))
			}
			if ab := r.streams[binary.BigEndian.Uint32(m.Payload)]; ab != nil && ab != st {
				ab.inProgress = false
				ab.buf = ab.buf[:0]
			}
		}
		return m, nil
	}
}

// readChunk reads one chunk. done reports whether it completed a message,
// which is then st.hdr with payload st.buf.
func (r *Reader) readChunk() (st *inState, done bool, err error) {
	b0, err := r.br.ReadByte()
	if err != nil {
		return nil, false, err // io.EOF between chunks is a clean end
	}
	consumed := 1
	format := b0 >> 6
	csid := uint32(b0 & 0x3f)
	switch csid {
	case 0:
		if err := r.full(r.scratch[:1]); err != nil {
			return nil, false, err
		}
		csid = 64 + uint32(r.scratch[0])
		consumed++
	case 1:
		if err := r.full(r.scratch[:2]); err != nil {
			return nil, false, err
		}
		csid = 64 + uint32(r.scratch[0]) + uint32(r.scratch[1])<<8
		consumed += 2
	}

	st = r.streams[csid]
	if st == nil {
		if format != 0 {
			return nil, false, protocolErrorf("first chunk on chunk stream %d has header format %d, want 0", csid, format)
		}
		if len(r.streams) >= r.maxStreams() {
			return nil, false, protocolErrorf("more than %d chunk streams in use", r.maxStreams())
		}
		st = &inState{hdr: Header{CSID: csid}}
		r.streams[csid] = st
	}
	if st.inProgress && format != 3 {
		return nil, false, protocolErrorf("chunk stream %d: new message header (format %d) before the previous message was complete (%d of %d bytes)",
			csid, format, len(st.buf), st.length)
	}

	hl := [4]int{11, 7, 3, 0}[format]
	h := r.scratch[:hl]
	if err := r.full(h); err != nil {
		return nil, false, err
	}
	consumed += hl
	if format <= 2 {
		field := uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
		st.extended = field == extendedTimestamp
		if st.extended {
			var e [4]byte
			if err := r.full(e[:]); err != nil {
				return nil, false, err
			}
			consumed += 4
			field = binary.BigEndian.Uint32(e[:])
			st.extValue = field
		}
		if format <= 1 {
			st.length = uint32(h[3])<<16 | uint32(h[4])<<8 | uint32(h[5])
			st.hdr.Type = h[6]
		}
		if format == 0 {
			st.hdr.StreamID = binary.LittleEndian.Uint32(h[7:11])
			st.hdr.Timestamp = field
		} else {
			st.hdr.Timestamp += field
		}
		st.delta = field
	} else if st.extended {
		if st.inProgress {
			// Continuation chunk. nginx-rtmp and FFmpeg repeat the
			// extended timestamp here, some encoders do not: consume
			// the 4 bytes only if they repeat the value.
			if e, err := r.br.Peek(4); err == nil && binary.BigEndian.Uint32(e) == st.extValue {
				_, _ = r.br.Discard(4)
				consumed += 4
			}
		} else {
			var e [4]byte
			if err := r.full(e[:]); err != nil {
				return nil, false, err
			}
			consumed += 4
			st.delta = binary.BigEndian.Uint32(e[:])
			st.extValue = st.delta
		}
	}
	if !st.inProgress {
		if format == 3 {
			st.hdr.Timestamp += st.delta
		}
		if st.length > r.maxLength() {
			return nil, false, protocolErrorf("message of %d bytes on chunk stream %d is longer than the limit of %d bytes",
				st.length, csid, r.maxLength())
		}
		st.inProgress = true
		st.buf = st.buf[:0]
	}

	// Payload: grow the buffer only as bytes arrive.
	n := min(st.length-uint32(len(st.buf)), r.chunkSize)
	for n > 0 {
		k := min(int(n), readPiece)
		st.buf = slices.Grow(st.buf, k)
		end := len(st.buf) + k
		if err := r.full(st.buf[len(st.buf):end]); err != nil {
			return nil, false, err
		}
		st.buf = st.buf[:end]
		consumed += k
		n -= uint32(k)
	}
	r.read.Add(uint64(consumed))
	if uint32(len(st.buf)) < st.length {
		return st, false, nil
	}
	st.inProgress = false
	return st, true, nil
}

// full reads exactly len(b) bytes; running out is io.ErrUnexpectedEOF.
func (r *Reader) full(b []byte) error {
	_, err := io.ReadFull(r.br, b)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
