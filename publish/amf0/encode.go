package amf0

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
)

// Marshal encodes values one after another, as in the body of an RTMP
// command message.
func Marshal(values ...any) ([]byte, error) {
	b := make([]byte, 0, 256) // room for a typical command without growing
	var err error
	for i, v := range values {
		if b, err = appendValue(b, v, 0); err != nil {
			return nil, fmt.Errorf("amf0: value %d: %w", i, err)
		}
	}
	return b, nil
}

// AppendValue appends the encoding of v to dst. It accepts:
//
//   - float64, and any other Go integer or floating-point type, as a number;
//   - bool, as a boolean;
//   - string, as a string, or a long string when longer than 65535 bytes;
//   - Object, ECMAArray, StrictArray, Null, Undefined, Date;
//   - nil, as Null;
//   - map[string]any, as an Object with its keys sorted;
//   - named types whose underlying type is a bool, number or string.
//
// Anything else fails with an error wrapping ErrUnsupported; values nested
// deeper than MaxDepth fail with ErrTooDeep. On error, the returned slice is
// dst truncated to its original length.
func AppendValue(dst []byte, v any) ([]byte, error) {
	n := len(dst)
	b, err := appendValue(dst, v, 0)
	if err != nil {
		return dst[:n], fmt.Errorf("amf0: %w", err)
	}
	return b, nil
}

// appendValue encodes v at the given nesting depth (0 for a top-level value).
// Its errors carry no "amf0:" prefix; the exported callers add it.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, MarkerNull), nil
	case float64:
		return appendNumber(b, v), nil
	case bool:
		if v {
			return append(b, MarkerBoolean, 1), nil
		}
		return append(b, MarkerBoolean, 0), nil
	case string:
		return appendString(b, v)
	case int:
		return appendNumber(b, float64(v)), nil
	case int64:
		return appendNumber(b, float64(v)), nil
	case int32:
		return appendNumber(b, float64(v)), nil
	case uint32:
		return appendNumber(b, float64(v)), nil
	case Object:
		return appendProps(append(b, MarkerObject), v, depth)
	case ECMAArray:
		b = append(b, MarkerECMAArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		return appendProps(b, v, depth)
	case StrictArray:
		if depth+1 > MaxDepth {
			return b, ErrTooDeep
		}
		if uint64(len(v)) > math.MaxUint32 {
			return b, fmt.Errorf("%w: strict array of %d elements", ErrUnsupported, len(v))
		}
		b = append(b, MarkerStrictArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		var err error
		for i, e := range v {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return b, nil
	case Null:
		return append(b, MarkerNull), nil
	case Undefined:
		return append(b, MarkerUndefined), nil
	case Date:
		b = append(b, MarkerDate)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v.Millis))
		return binary.BigEndian.AppendUint16(b, uint16(v.TimeZone)), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		props := make(Object, len(keys))
		for i, k := range keys {
			props[i] = Property{k, v[k]}
		}
		return appendProps(append(b, MarkerObject), props, depth)
	}
	// Other numeric types, and named basic types.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return appendValue(b, rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendNumber(b, float64(rv.Int())), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return appendNumber(b, float64(rv.Uint())), nil
	case reflect.Float32, reflect.Float64:
		return appendNumber(b, rv.Float()), nil
	case reflect.String:
		return appendString(b, rv.String())
	}
	return b, fmt.Errorf("%w: Go type %T", ErrUnsupported, v)
}

func appendNumber(b []byte, f float64) []byte {
	b = append(b, MarkerNumber)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func appendString(b []byte, s string) ([]byte, error) {
	if len(s) > math.MaxUint16 {
		if uint64(len(s)) > math.MaxUint32 {
			return b, fmt.Errorf("%w: string of %d bytes", ErrUnsupported, len(s))
		}
		b = append(b, MarkerLongString)
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		return append(b, s...), nil
	}
	b = append(b, MarkerString)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...), nil
}

// appendProps appends the properties of an Object or ECMAArray (whose
// marker, and count for an ECMAArray, are already written) and the
// object-end marker.
func appendProps(b []byte, props []Property, depth int) ([]byte, error) {
	if depth+1 > MaxDepth {
		return b, ErrTooDeep
	}
	var err error
	for _, p := range props {
		if len(p.Key) > math.MaxUint16 {
			return b, fmt.Errorf("%w: key of %d bytes", ErrUnsupported, len(p.Key))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.Key)))
		b = append(b, p.Key...)
		if b, err = appendValue(b, p.Value, depth+1); err != nil {
			return b, fmt.Errorf("property %q: %w", p.Key, err)
		}
	}
	return append(b, 0, 0, MarkerObjectEnd), nil
}
