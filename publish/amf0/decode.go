package amf0

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Unmarshal decodes values one after another until b is exhausted, as in
// the body of an RTMP command message. Empty input gives no values and no
// error. On error it returns the values decoded before the failing one.
// Decoded values never alias b.
func Unmarshal(b []byte) ([]any, error) {
	d := decoder{b: b}
	var values []any
	for d.pos < len(b) {
		v, err := d.value(0)
		if err != nil {
			return values, err
		}
		values = append(values, v)
	}
	return values, nil
}

// DecodeValue decodes one value from the start of b and reports how many
// bytes it used. On error n is 0. The decoded value never aliases b.
func DecodeValue(b []byte) (v any, n int, err error) {
	d := decoder{b: b}
	v, err = d.value(0)
	if err != nil {
		return nil, 0, err
	}
	return v, d.pos, nil
}

// decoder reads values from b, starting at pos. Every read checks the
// remaining length first, so it cannot panic on any input.
type decoder struct {
	b   []byte
	pos int
}

func (d *decoder) errorf(off int, sentinel error, format string, args ...any) error {
	return fmt.Errorf("amf0: offset %d: %s: %w", off, fmt.Sprintf(format, args...), sentinel)
}

func (d *decoder) remaining() int { return len(d.b) - d.pos }

// need fails with ErrTruncated unless n more bytes are available.
func (d *decoder) need(n int, what string) error {
	if d.remaining() < n {
		return d.errorf(d.pos, ErrTruncated, "%s needs %d bytes, %d left", what, n, d.remaining())
	}
	return nil
}

func (d *decoder) u16(what string) (uint16, error) {
	if err := d.need(2, what); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint16(d.b[d.pos:])
	d.pos += 2
	return v, nil
}

func (d *decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint32(d.b[d.pos:])
	d.pos += 4
	return v, nil
}

func (d *decoder) f64(what string) (float64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b[d.pos:]))
	d.pos += 8
	return v, nil
}

// str reads n bytes as a string, after checking that they are there, so a
// hostile length field cannot make it allocate more than the input holds.
func (d *decoder) str(n uint64, what string) (string, error) {
	if uint64(d.remaining()) < n {
		return "", d.errorf(d.pos, ErrTruncated, "%s of %d bytes, %d left", what, n, d.remaining())
	}
	s := string(d.b[d.pos : d.pos+int(n)])
	d.pos += int(n)
	return s, nil
}

func (d *decoder) shortString(what string) (string, error) {
	n, err := d.u16(what + " length")
	if err != nil {
		return "", err
	}
	return d.str(uint64(n), what)
}

func (d *decoder) longString(what string) (string, error) {
	n, err := d.u32(what + " length")
	if err != nil {
		return "", err
	}
	return d.str(uint64(n), what)
}

// value decodes one value at the given depth (0 for a top-level value).
func (d *decoder) value(depth int) (any, error) {
	if err := d.need(1, "type marker"); err != nil {
		return nil, err
	}
	start := d.pos
	marker := d.b[d.pos]
	d.pos++
	switch marker {
	case MarkerNumber:
		return d.f64("number")
	case MarkerBoolean:
		if err := d.need(1, "boolean"); err != nil {
			return nil, err
		}
		v := d.b[d.pos] != 0
		d.pos++
		return v, nil
	case MarkerString:
		return d.shortString("string")
	case MarkerObject:
		props, err := d.props(depth, start)
		return Object(props), err
	case MarkerNull:
		return Null{}, nil
	case MarkerUndefined:
		return Undefined{}, nil
	case MarkerReference:
		// References index objects decoded earlier in the same message;
		// RTMP peers do not send them and this package does not track
		// objects, so the value is reported as Undefined.
		if _, err := d.u16("reference index"); err != nil {
			return nil, err
		}
		return Undefined{}, nil
	case MarkerECMAArray:
		// The count is only a hint, and writers get it wrong: read until
		// the object-end marker.
		if _, err := d.u32("ECMA array count"); err != nil {
			return nil, err
		}
		props, err := d.props(depth, start)
		return ECMAArray(props), err
	case MarkerStrictArray:
		return d.strictArray(depth, start)
	case MarkerDate:
		ms, err := d.f64("date")
		if err != nil {
			return nil, err
		}
		tz, err := d.u16("date time zone")
		if err != nil {
			return nil, err
		}
		return Date{Millis: ms, TimeZone: int16(tz)}, nil
	case MarkerLongString:
		return d.longString("long string")
	case MarkerXMLDocument:
		return d.longString("XML document")
	case MarkerTypedObject:
		if _, err := d.shortString("class name"); err != nil {
			return nil, err
		}
		props, err := d.props(depth, start)
		return Object(props), err
	case MarkerObjectEnd:
		return nil, d.errorf(start, ErrUnsupported, "object-end marker outside an object")
	}
	return nil, d.errorf(start, ErrUnsupported, "type marker 0x%02x", marker)
}

// props reads the properties of an object, ECMA array or typed object up to
// and including the object-end marker (an empty key followed by 0x09).
func (d *decoder) props(depth, start int) ([]Property, error) {
	if depth+1 > MaxDepth {
		return nil, d.errorf(start, ErrTooDeep, "more than %d levels", MaxDepth)
	}
	props := []Property{} // non-nil, so that an empty object decodes as Object{}
	for {
		key, err := d.shortString("property key")
		if err != nil {
			return nil, err
		}
		if key == "" && d.remaining() > 0 && d.b[d.pos] == MarkerObjectEnd {
			d.pos++
			return props, nil
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		props = append(props, Property{Key: key, Value: v})
	}
}

func (d *decoder) strictArray(depth, start int) (StrictArray, error) {
	if depth+1 > MaxDepth {
		return nil, d.errorf(start, ErrTooDeep, "more than %d levels", MaxDepth)
	}
	n, err := d.u32("strict array count")
	if err != nil {
		return nil, err
	}
	// Every element takes at least one byte: a count beyond the remaining
	// input is a lie, and capping the allocation by it bounds memory.
	if uint64(n) > uint64(d.remaining()) {
		return nil, d.errorf(d.pos, ErrTruncated, "strict array of %d elements, %d bytes left", n, d.remaining())
	}
	arr := make(StrictArray, 0, n)
	for i := uint32(0); i < n; i++ {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	return arr, nil
}
