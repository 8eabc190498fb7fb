package amf0

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// equal is reflect.DeepEqual, except that a NaN equals a NaN with the same
// bits (DeepEqual says NaN != NaN).
func equal(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && (a == b || math.Float64bits(a) == math.Float64bits(b))
	case Date:
		b, ok := b.(Date)
		return ok && a.TimeZone == b.TimeZone && equal(a.Millis, b.Millis)
	case Object:
		b, ok := b.(Object)
		return ok && equalProps(a, b)
	case ECMAArray:
		b, ok := b.(ECMAArray)
		return ok && equalProps(a, b)
	case StrictArray:
		b, ok := b.(StrictArray)
		return ok && equalSlices(a, b)
	case []any:
		b, ok := b.([]any)
		return ok && equalSlices(a, b)
	}
	return reflect.DeepEqual(a, b)
}

func equalProps(a, b []Property) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func equalSlices(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestDecodeFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			wire := fromHex(t, f.wire)
			got, err := Unmarshal(wire)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !equal(got, f.values) && !(len(got) == 0 && len(f.values) == 0) {
				t.Fatalf("Unmarshal:\n got %#v\nwant %#v", got, f.values)
			}
			// DecodeValue, one at a time, agrees and uses every byte.
			rest := wire
			for i, want := range f.values {
				v, n, err := DecodeValue(rest)
				if err != nil {
					t.Fatalf("DecodeValue %d: %v", i, err)
				}
				if !equal(v, want) {
					t.Fatalf("DecodeValue %d: got %#v, want %#v", i, v, want)
				}
				rest = rest[n:]
			}
			if len(rest) != 0 {
				t.Fatalf("%d bytes left after DecodeValue", len(rest))
			}
		})
	}
}

func TestEncodeFixtures(t *testing.T) {
	for _, f := range fixtures {
		if f.decodeOnly {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			want := fromHex(t, f.wire)
			got, err := Marshal(f.values...)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Marshal:\n got %x\nwant %x", got, want)
			}
			// AppendValue appends after existing bytes.
			b := []byte("prefix")
			for _, v := range f.values {
				if b, err = AppendValue(b, v); err != nil {
					t.Fatalf("AppendValue: %v", err)
				}
			}
			if !bytes.Equal(b, append([]byte("prefix"), want...)) {
				t.Fatalf("AppendValue:\n got %x\nwant prefix+%x", b, want)
			}
		})
	}
}

type level string

type kbps int

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 70000)
	max := strings.Repeat("y", 65535)
	tests := []struct {
		name    string
		in      any
		want    any  // decoded value; in if nil
		marker  byte // first byte on the wire
		wireLen int  // expected encoded length, or 0 to skip
	}{
		{"number", 3.25, nil, MarkerNumber, 9},
		{"negative zero", math.Copysign(0, -1), nil, MarkerNumber, 9},
		{"max float", math.MaxFloat64, nil, MarkerNumber, 9},
		{"int", 42, 42.0, MarkerNumber, 9},
		{"int8", int8(-8), -8.0, MarkerNumber, 9},
		{"int16", int16(-16), -16.0, MarkerNumber, 9},
		{"int32", int32(1 << 30), float64(1 << 30), MarkerNumber, 9},
		{"int64", int64(1 << 52), float64(1 << 52), MarkerNumber, 9},
		{"uint", uint(7), 7.0, MarkerNumber, 9},
		{"uint8", uint8(255), 255.0, MarkerNumber, 9},
		{"uint16", uint16(65535), 65535.0, MarkerNumber, 9},
		{"uint32", uint32(1 << 31), float64(1 << 31), MarkerNumber, 9},
		{"uint64", uint64(1 << 40), float64(1 << 40), MarkerNumber, 9},
		{"uintptr", uintptr(3), 3.0, MarkerNumber, 9},
		{"float32", float32(0.5), 0.5, MarkerNumber, 9},
		{"named int", kbps(2500), 2500.0, MarkerNumber, 9},
		{"true", true, nil, MarkerBoolean, 2},
		{"false", false, nil, MarkerBoolean, 2},
		{"string", "live", nil, MarkerString, 7},
		{"named string", level("status"), "status", MarkerString, 9},
		{"65535-byte string stays short", max, nil, MarkerString, 3 + 65535},
		{"long string", long, nil, MarkerLongString, 5 + 70000},
		{"object", Object{{"a", 1.0}, {"b", "c"}}, nil, MarkerObject, 0},
		{"object, duplicate keys kept in order", Object{{"k", 2.0}, {"k", 1.0}}, nil, MarkerObject, 0},
		{"empty object", Object{}, nil, MarkerObject, 4},
		{"nil Object", Object(nil), Object{}, MarkerObject, 4},
		{"map", map[string]any{"z": 1, "a": "x", "m": nil},
			Object{{"a", "x"}, {"m", Null{}}, {"z", 1.0}}, MarkerObject, 0},
		{"ECMA array", ECMAArray{{"width", 1280}, {"stereo", true}},
			ECMAArray{{"width", 1280.0}, {"stereo", true}}, MarkerECMAArray, 0},
		{"empty ECMA array", ECMAArray{}, nil, MarkerECMAArray, 8},
		{"strict array", StrictArray{1.0, "two", Null{}, StrictArray{Undefined{}}}, nil, MarkerStrictArray, 0},
		{"empty strict array", StrictArray{}, nil, MarkerStrictArray, 5},
		{"null", Null{}, nil, MarkerNull, 1},
		{"nil as null", nil, Null{}, MarkerNull, 1},
		{"undefined", Undefined{}, nil, MarkerUndefined, 1},
		{"date", Date{Millis: 1234567890123, TimeZone: 60}, nil, MarkerDate, 11},
		{"object with long string and every type", Object{
			{"n", 1.0}, {"b", false}, {"s", long}, {"o", Object{}}, {"null", Null{}},
			{"u", Undefined{}}, {"e", ECMAArray{{"x", 1.0}}}, {"a", StrictArray{}},
			{"d", Date{}}, {"", "empty key"},
		}, nil, MarkerObject, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.in
			}
			b, err := Marshal(tt.in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if b[0] != tt.marker {
				t.Errorf("marker 0x%02x, want 0x%02x", b[0], tt.marker)
			}
			if tt.wireLen != 0 && len(b) != tt.wireLen {
				t.Errorf("encoded length %d, want %d", len(b), tt.wireLen)
			}
			v, n, err := DecodeValue(b)
			if err != nil {
				t.Fatalf("DecodeValue: %v", err)
			}
			if n != len(b) {
				t.Errorf("DecodeValue used %d of %d bytes", n, len(b))
			}
			if !equal(v, want) {
				t.Errorf("round trip:\n got %#v\nwant %#v", v, want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wire := fromHex(t, tt.wire)
			v, n, err := DecodeValue(wire)
			if !errors.Is(err, tt.err) {
				t.Fatalf("DecodeValue error %v, want %v", err, tt.err)
			}
			if v != nil || n != 0 {
				t.Errorf("DecodeValue returned %#v, %d with an error", v, n)
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q does not give the offset", err)
			}
			if _, err := Unmarshal(wire); !errors.Is(err, tt.err) {
				t.Fatalf("Unmarshal error %v, want %v", err, tt.err)
			}
		})
	}
}

func TestDecodeErrorOffset(t *testing.T) {
	// "ok", then an unknown marker at offset 5.
	vals, err := Unmarshal([]byte{0x02, 0x00, 0x02, 'o', 'k', 0xff})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "offset 5") {
		t.Fatalf("error %v, want ErrUnsupported at offset 5", err)
	}
	if len(vals) != 1 || vals[0] != "ok" {
		t.Fatalf("values before the error: %#v", vals)
	}
}

// nest returns v wrapped in depth levels of alternating containers.
func nest(depth int) any {
	var v any = 1.0
	for i := range depth {
		switch i % 3 {
		case 0:
			v = Object{{"o", v}}
		case 1:
			v = ECMAArray{{"e", v}}
		default:
			v = StrictArray{v}
		}
	}
	return v
}

func TestDepth(t *testing.T) {
	b, err := Marshal(nest(MaxDepth))
	if err != nil {
		t.Fatalf("Marshal at MaxDepth: %v", err)
	}
	if _, err := Unmarshal(b); err != nil {
		t.Fatalf("Unmarshal at MaxDepth: %v", err)
	}
	if _, err := Marshal(nest(MaxDepth + 1)); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Marshal beyond MaxDepth: %v, want ErrTooDeep", err)
	}

	// A hostile input nesting a million objects fails cleanly.
	var hostile []byte
	for range 1_000_000 {
		hostile = append(hostile, MarkerObject, 0, 1, 'k')
	}
	if _, err := Unmarshal(hostile); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Unmarshal of deep input: %v, want ErrTooDeep", err)
	}
	// So does a self-referencing value on encoding.
	loop := StrictArray{nil}
	loop[0] = loop
	if _, err := Marshal(loop); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Marshal of a cycle: %v, want ErrTooDeep", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, v := range []any{
		struct{}{},
		make(chan int),
		[]byte("bytes"),
		&Object{},
		Object{{"bad", complex(1, 2)}},
		StrictArray{1.0, map[int]int{}},
		Object{{strings.Repeat("k", 65536), 1.0}},
	} {
		dst := []byte{1, 2, 3}
		got, err := AppendValue(dst, v)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("AppendValue(%T): error %v, want ErrUnsupported", v, err)
		}
		if !bytes.Equal(got, []byte{1, 2, 3}) {
			t.Errorf("AppendValue(%T) on error returned %x, want dst unchanged", v, got)
		}
		if b, err := Marshal("ok", v); !errors.Is(err, ErrUnsupported) || b != nil {
			t.Errorf("Marshal(%T): %x, %v", v, b, err)
		}
	}
}

func TestHelpers(t *testing.T) {
	o := Object{{"code", "NetStream.Publish.Start"}, {"n", 2.0}, {"code", "second"}, {"null", Null{}}}
	if s, ok := o.String("code"); !ok || s != "NetStream.Publish.Start" {
		t.Errorf("String(code) = %q, %v", s, ok)
	}
	if _, ok := o.String("n"); ok {
		t.Error("String of a number succeeded")
	}
	if n, ok := o.Number("n"); !ok || n != 2 {
		t.Errorf("Number(n) = %v, %v", n, ok)
	}
	if _, ok := o.Number("code"); ok {
		t.Error("Number of a string succeeded")
	}
	if v, ok := o.Get("null"); !ok || v != (Null{}) {
		t.Errorf("Get(null) = %#v, %v", v, ok)
	}
	if _, ok := o.Get("missing"); ok {
		t.Error("Get(missing) succeeded")
	}
	a := ECMAArray(o)
	if s, ok := a.String("code"); !ok || s != "NetStream.Publish.Start" {
		t.Errorf("ECMAArray.String(code) = %q, %v", s, ok)
	}
	if n, ok := a.Number("n"); !ok || n != 2 {
		t.Errorf("ECMAArray.Number(n) = %v, %v", n, ok)
	}
	if _, ok := a.Get("missing"); ok {
		t.Error("ECMAArray.Get(missing) succeeded")
	}
	var empty Object
	if _, ok := empty.String("x"); ok {
		t.Error("String on nil Object succeeded")
	}
}

func TestDecodedValuesDoNotAliasInput(t *testing.T) {
	wire, _ := Marshal("abc", Object{{"key", "value"}})
	vals, err := Unmarshal(wire)
	if err != nil {
		t.Fatal(err)
	}
	clear(wire)
	if vals[0] != "abc" || !equal(vals[1], Object{{"key", "value"}}) {
		t.Fatalf("decoded values changed with the input: %#v", vals)
	}
}

func TestHostileLengthsDoNotAllocate(t *testing.T) {
	// Lengths that claim gigabytes, in a few bytes of input.
	for _, in := range [][]byte{
		{MarkerLongString, 0xff, 0xff, 0xff, 0xff, 'x'},
		{MarkerXMLDocument, 0xff, 0xff, 0xff, 0xff, 'x'},
		{MarkerStrictArray, 0xff, 0xff, 0xff, 0xff, MarkerNull},
		{MarkerECMAArray, 0xff, 0xff, 0xff, 0xff, 0, 0, MarkerObjectEnd},
	} {
		// A few small allocations for the error message, none for the
		// data. Bytes, not allocations, are counted: the race detector
		// adds allocations of its own.
		const runs = 10
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			_, _, _ = DecodeValue(in)
		}
		runtime.ReadMemStats(&after)
		if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 4096 {
			t.Errorf("DecodeValue(%x) allocates %d bytes", in, perRun)
		}
	}
}
