package av1

import (
	"testing"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/encodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ encode.VideoEncoder = (*Encoder)(nil)

// recorder notes the frames an encoder reads.
type recorder = encodetest.Recorder

func newPattern(t testing.TB, w, h, fps int, opts ...synth.Option) *synth.Pattern {
	t.Helper()
	return encodetest.NewPattern(t, w, h, fps, opts...)
}

func newEncoder(t testing.TB, src capture.VideoSource, cfg Config) *Encoder {
	t.Helper()
	e, err := New(src, cfg)
	if err != nil {
		src.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func readPacket(t testing.TB, e *Encoder) *encode.Packet {
	t.Helper()
	return encodetest.ReadPacket(t, e)
}

// obuTypes returns the types of the OBUs in data, failing the test unless
// each has its size field and they fill data exactly.
func obuTypes(t testing.TB, data []byte) []int {
	t.Helper()
	var types []int
	for len(data) > 0 {
		h, err := nextOBU(data)
		if err != nil {
			t.Fatalf("OBU %d: %v", len(types), err)
		}
		types = append(types, int(h.typ))
		data = data[h.size:]
	}
	return types
}

const (
	obuSequenceHeader    = 1
	obuTemporalDelimiter = 2
)

func hasType(types []int, typ int) bool {
	for _, t := range types {
		if t == typ {
			return true
		}
	}
	return false
}

// newRing renders count frames of the synth pattern (encodetest.Ring).
func newRing(t testing.TB, w, h, fps, count int) *encodetest.Ring {
	return encodetest.NewRing(t, w, h, fps, count)
}
