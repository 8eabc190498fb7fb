package amf0

import (
	"bytes"
	"testing"
)

// FuzzUnmarshal checks that decoding never panics, and that whatever
// decodes also encodes, to no more bytes than it came from, and decodes
// again to an equal value that encodes to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fromHex(f, fx.wire))
	}
	for _, b := range bad {
		f.Add(fromHex(f, b.wire))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		vals, err := Unmarshal(in)
		if err != nil {
			return
		}
		// DecodeValue agrees with Unmarshal and accounts for every byte.
		rest := in
		for i := range vals {
			v, n, err := DecodeValue(rest)
			if err != nil || n == 0 || !equal(v, vals[i]) {
				t.Fatalf("DecodeValue %d = %#v, %d, %v; Unmarshal gave %#v", i, v, n, err, vals[i])
			}
			rest = rest[n:]
		}
		if len(rest) != 0 {
			t.Fatalf("%d bytes left after DecodeValue", len(rest))
		}

		b1, err := Marshal(vals...)
		if err != nil {
			t.Fatalf("Marshal of decoded %#v: %v", vals, err)
		}
		if len(b1) > len(in) {
			t.Fatalf("re-encoding grew from %d to %d bytes", len(in), len(b1))
		}
		vals2, err := Unmarshal(b1)
		if err != nil {
			t.Fatalf("Unmarshal of re-encoded %x: %v", b1, err)
		}
		if !equal(vals2, vals) && !(len(vals) == 0 && len(vals2) == 0) {
			t.Fatalf("second decode differs:\n got %#v\nwant %#v", vals2, vals)
		}
		b2, err := Marshal(vals2...)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not stable: %x then %x (%v)", b1, b2, err)
		}
	})
}
