package chunk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"studio/publish/rtmp/wire"
)

// recorder keeps every Write call separately.
type recorder struct{ writes [][]byte }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func cloneMsg(m Message) Message {
	m.Payload = bytes.Clone(m.Payload)
	if m.Payload == nil {
		m.Payload = []byte{}
	}
	return m
}

func sameMsgs(a, b []Message) bool {
	return slices.EqualFunc(a, b, func(x, y Message) bool {
		return x.Header == y.Header && bytes.Equal(x.Payload, y.Payload)
	})
}

// readAll reads messages until the input ends.
func readAll(r *Reader) ([]Message, error) {
	var out []Message
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, cloneMsg(m))
	}
}

// writeAll writes msgs, following Set Chunk Size messages like a peer would.
func writeAll(t testing.TB, w *Writer, msgs []Message) {
	for _, m := range msgs {
		if err := w.WriteMessage(m.Header, m.Payload); err != nil {
			t.Fatalf("WriteMessage(%+v): %v", m.Header, err)
		}
		if m.Type == TypeSetChunkSize {
			n, err := ParseSetChunkSize(m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.SetChunkSize(n); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func newReaderSize(raw []byte, chunkSize uint32) *Reader {
	r := NewReader(bytes.NewReader(raw))
	if chunkSize != 0 {
		r.chunkSize = chunkSize
	}
	return r
}

func TestReadFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := newReaderSize(fx.raw, fx.chunkSize)
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !sameMsgs(got, fx.msgs) {
				t.Errorf("got  %v\nwant %v", got, fx.msgs)
			}
			if r.BytesRead() != uint64(len(fx.raw)) {
				t.Errorf("BytesRead = %d, want %d", r.BytesRead(), len(fx.raw))
			}
		})
	}
}

func TestWriteFixtures(t *testing.T) {
	for _, fx := range fixtures {
		if fx.readOnly {
			continue
		}
		t.Run(fx.name, func(t *testing.T) {
			var rec recorder
			w := NewWriter(&rec)
			if fx.chunkSize != 0 {
				if err := w.SetChunkSize(fx.chunkSize); err != nil {
					t.Fatal(err)
				}
			}
			writeAll(t, w, fx.msgs)
			if len(rec.writes) != len(fx.msgs) {
				t.Fatalf("%d Write calls for %d messages", len(rec.writes), len(fx.msgs))
			}
			var fmts []uint8
			for _, b := range rec.writes {
				fmts = append(fmts, b[0]>>6)
			}
			if !slices.Equal(fmts, fx.fmts) {
				t.Errorf("header formats %v, want %v", fmts, fx.fmts)
			}
			if got := bytes.Join(rec.writes, nil); !bytes.Equal(got, fx.raw) {
				t.Errorf("wrote\n% x\nwant\n% x", got, fx.raw)
			}
			if w.BytesWritten() != uint64(len(fx.raw)) {
				t.Errorf("BytesWritten = %d, want %d", w.BytesWritten(), len(fx.raw))
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cs := range []uint32{1, 128, 4096, 65536} {
		t.Run(fmt.Sprint(cs), func(t *testing.T) {
			var msgs []Message
			ts := map[uint32]uint32{4: 0, 6: 0xFFFF00, 7: 0xFFFFF0, 300: 0x7FFFFFFF, 70000 % MaxCSID: 0}
			csids := []uint32{4, 6, 7, 300, 70000 % MaxCSID}
			for i := range 400 {
				csid := csids[rng.IntN(len(csids))]
				switch rng.IntN(6) {
				case 0: // same delta
					ts[csid] += 40
				case 1: // extended delta
					ts[csid] += 0xFFFFFF + uint32(rng.IntN(3))
				case 2: // backwards
					ts[csid] -= uint32(rng.IntN(100))
				default:
					ts[csid] += uint32(rng.IntN(100))
				}
				n := []int{0, 1, 5, 5, 5, 127, 128, 129, 4096, 70000}[rng.IntN(10)]
				if cs == 1 && n > 5000 {
					n = 300
				}
				typ := TypeVideo
				if rng.IntN(4) == 0 {
					typ = TypeAudio
				}
				sid := uint32(1)
				if rng.IntN(20) == 0 {
					sid = 2
				}
				msgs = append(msgs, msg(csid, typ, sid, ts[csid], filled(n, byte(i))))
			}
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := w.SetChunkSize(cs); err != nil {
				t.Fatal(err)
			}
			writeAll(t, w, msgs)
			r := newReaderSize(buf.Bytes(), cs)
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !sameMsgs(got, msgs) {
				for i := range min(len(got), len(msgs)) {
					if got[i].Header != msgs[i].Header || !bytes.Equal(got[i].Payload, msgs[i].Payload) {
						t.Fatalf("message %d: got %+v (%d bytes), want %+v (%d bytes)", i, got[i].Header, len(got[i].Payload), msgs[i].Header, len(msgs[i].Payload))
					}
				}
				t.Fatalf("got %d messages, want %d", len(got), len(msgs))
			}
		})
	}
}

func TestWriterParts(t *testing.T) {
	var a, b bytes.Buffer
	wa, wb := NewWriter(&a), NewWriter(&b)
	h := Header{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 5}
	payload := filled(300, 0)
	if err := wa.WriteMessage(h, payload); err != nil {
		t.Fatal(err)
	}
	if err := wb.WriteMessage(h, payload[:5], nil, payload[5:129], payload[129:]); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("parts are not written like one payload")
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(io.Discard)
	for _, csid := range []uint32{0, 1, MaxCSID + 1} {
		if err := w.WriteMessage(Header{CSID: csid}); err == nil {
			t.Errorf("csid %d accepted", csid)
		}
	}
	if err := w.WriteMessage(Header{CSID: 3}, make([]byte, MaxMessageLength+1)); err == nil {
		t.Error("oversized message accepted")
	}
	for _, n := range []uint32{0, 0x80000000} {
		if err := w.SetChunkSize(n); err == nil {
			t.Errorf("chunk size %#x accepted", n)
		}
	}
	fail := NewWriter(failWriter{})
	if err := fail.WriteMessage(Header{CSID: 3}, []byte{1}); err == nil {
		t.Fatal("write error lost")
	}
	if err := fail.WriteMessage(Header{CSID: 3}, []byte{1}); !errors.Is(err, ErrBroken) {
		t.Errorf("after a failed write: %v, want ErrBroken", err)
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 1, errors.New("boom") }

func TestReaderErrors(t *testing.T) {
	many := func() []byte {
		var b []byte
		for csid := 2; csid < 2+DefaultMaxChunkStreams+1; csid++ {
			b = append(b, byte(csid), 0, 0, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0xaa)
		}
		return b
	}()
	for _, tc := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"format 1 on a new chunk stream", hx(0x44, 0, 0, 0, 0, 0, 1, 8, 0xaa), wire.ErrProtocol},
		{"format 3 on a new chunk stream", hx(0xc4, 0xaa), wire.ErrProtocol},
		{"set chunk size 0", hx(0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0), wire.ErrProtocol},
		{"set chunk size high bit", hx(0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x80, 0, 0, 1), wire.ErrProtocol},
		{"short set chunk size", hx(0x02, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 1), wire.ErrProtocol},
		{"short abort", hx(0x02, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 4), wire.ErrProtocol},
		{"too long", hx(0x03, 0, 0, 0, 0x20, 0, 0, 20, 0, 0, 0, 0), wire.ErrProtocol},
		{"too many chunk streams", many, wire.ErrProtocol},
		{"new header mid-message", cat(hx(0x04, 0, 0, 0, 0, 0, 200, 8, 1, 0, 0, 0), filled(128, 0), hx(0x04, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 1)), wire.ErrProtocol},
		{"truncated basic header", hx(0x00), io.ErrUnexpectedEOF},
		{"truncated message header", hx(0x03, 0, 0), io.ErrUnexpectedEOF},
		{"truncated extended timestamp", hx(0x03, 0xff, 0xff, 0xff, 0, 0, 1, 20, 0, 0, 0, 0, 1), io.ErrUnexpectedEOF},
		{"truncated payload", hx(0x03, 0, 0, 0, 0, 0, 9, 20, 0, 0, 0, 0, 1), io.ErrUnexpectedEOF},
		{"truncated between chunks", hx(0x03, 0, 0, 0, 0, 0, 200, 20, 0, 0, 0, 0), io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.raw))
			r.MaxMessageLength = 1 << 20
			_, err := readAll(r)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestReaderDoesNotPreallocate checks that a header announcing a huge
// message costs memory only as its bytes arrive.
func TestReaderDoesNotPreallocate(t *testing.T) {
	raw := cat(hx(0x03, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0), filled(100, 0))
	r := NewReader(bytes.NewReader(raw))
	if err := r.chunkSizeForTest(MaxChunkSize); err != nil {
		t.Fatal(err)
	}
	_, err := r.ReadMessage()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
	if c := cap(r.streams[3].buf); c > 2*readPiece {
		t.Errorf("buffer capacity %d after 100 bytes", c)
	}
}

func (r *Reader) chunkSizeForTest(n uint32) error {
	if !ValidChunkSize(n) {
		return errors.New("bad size")
	}
	r.chunkSize = n
	return nil
}

func TestWriterAllocs(t *testing.T) {
	w := NewWriter(io.Discard)
	_ = w.SetChunkSize(4096)
	payload := make([]byte, 64<<10)
	hdr := []byte{0x17, 1, 0, 0, 0}
	ts := uint32(0)
	allocs := testing.AllocsPerRun(100, func() {
		ts += 33
		_ = w.WriteMessage(Header{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: ts}, hdr, payload)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per message", allocs)
	}
}

func benchmarkWriter(b *testing.B, size int) {
	w := NewWriter(io.Discard)
	_ = w.SetChunkSize(4096)
	payload := make([]byte, size)
	hdr := []byte{0x17, 1, 0, 0, 0}
	b.SetBytes(int64(size + len(hdr)))
	b.ReportAllocs()
	ts := uint32(0)
	for b.Loop() {
		ts += 33
		if err := w.WriteMessage(Header{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: ts}, hdr, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkWriter(b *testing.B) {
	b.Run("64KiB", func(b *testing.B) { benchmarkWriter(b, 64<<10) })
	b.Run("4KiB", func(b *testing.B) { benchmarkWriter(b, 4<<10) })
}

func BenchmarkChunkReader(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.SetChunkSize(4096)
	payload := make([]byte, 64<<10)
	for i := range 64 {
		_ = w.WriteMessage(Header{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: uint32(i * 33)}, payload)
	}
	raw := buf.Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	br := bytes.NewReader(raw)
	for b.Loop() {
		br.Reset(raw)
		r := NewReader(br)
		r.chunkSize = 4096
		for {
			if _, err := r.ReadMessage(); err != nil {
				break
			}
		}
	}
}

// FuzzChunkReader feeds hostile bytes to a Reader: it must not panic, must
// stay within its memory caps, and whatever it parses must survive a
// write-then-read round trip.
func FuzzChunkReader(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fx.raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := NewReader(bytes.NewReader(raw))
		r.MaxMessageLength = 1 << 16
		r.MaxChunkStreams = 8
		var msgs []Message
		for {
			m, err := r.ReadMessage()
			if err != nil {
				break
			}
			if len(m.Payload) > 1<<16 {
				t.Fatalf("message of %d bytes passed the cap", len(m.Payload))
			}
			msgs = append(msgs, cloneMsg(m))
		}
		if len(r.streams) > 8 {
			t.Fatalf("%d chunk streams tracked", len(r.streams))
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		writeAll(t, w, msgs)
		got, err := readAll(NewReader(&buf))
		if err != nil {
			t.Fatalf("re-reading written messages: %v", err)
		}
		if !sameMsgs(got, msgs) {
			t.Fatalf("round trip changed the messages:\n%v\n%v", got, msgs)
		}
	})
}
