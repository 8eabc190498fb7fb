// Package amf0 encodes and decodes Action Message Format 0 values, the
// encoding of RTMP command messages (connect, publish, onStatus, …) and of
// FLV script data (onMetaData).
//
// Go values map to AMF0 types as follows:
//
//	float64      number (0x00)
//	bool         boolean (0x01)
//	string       string (0x02), or long string (0x0C) when longer than 65535 bytes
//	Object       object (0x03)
//	Null         null (0x05)
//	Undefined    undefined (0x06)
//	ECMAArray    ECMA array (0x08)
//	StrictArray  strict array (0x0A)
//	Date         date (0x0B)
//
// Decoding also accepts what a server may send but this package never
// writes: a reference (0x07) decodes as Undefined (this package does not
// track the objects a reference would point to, and RTMP peers do not use
// them), an XML document (0x0F) decodes as a string, and a typed object
// (0x10) decodes as an Object whose class name is dropped. Any other marker,
// including AVM+ (0x11), fails with ErrUnsupported.
//
// Decoding never panics, never nests deeper than MaxDepth, and never
// allocates more than a small constant factor of the input length, whatever
// the length fields of the input claim.
package amf0

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them and
// give the byte offset where the problem was found.
var (
	// ErrUnsupported means a marker or Go type that this package cannot
	// decode or encode.
	ErrUnsupported = errors.New("amf0: unsupported type")
	// ErrTruncated means the input ended inside a value.
	ErrTruncated = errors.New("amf0: truncated value")
	// ErrTooDeep means objects or arrays are nested deeper than MaxDepth.
	ErrTooDeep = errors.New("amf0: nesting too deep")
)

// MaxDepth is how deeply objects and arrays may nest, both when decoding and
// when encoding. A top-level object has depth 1.
const MaxDepth = 64

// Type markers, as on the wire.
const (
	MarkerNumber      = 0x00
	MarkerBoolean     = 0x01
	MarkerString      = 0x02
	MarkerObject      = 0x03
	MarkerMovieClip   = 0x04 // reserved, never valid
	MarkerNull        = 0x05
	MarkerUndefined   = 0x06
	MarkerReference   = 0x07
	MarkerECMAArray   = 0x08
	MarkerObjectEnd   = 0x09
	MarkerStrictArray = 0x0A
	MarkerDate        = 0x0B
	MarkerLongString  = 0x0C
	MarkerUnsupported = 0x0D
	MarkerRecordSet   = 0x0E // reserved, never valid
	MarkerXMLDocument = 0x0F
	MarkerTypedObject = 0x10
	MarkerAVMPlus     = 0x11
)

// Property is one key/value pair of an Object or ECMAArray.
type Property struct {
	Key   string
	Value any
}

// Object is an anonymous AMF0 object. Its properties keep their wire order;
// keys are not required to be unique (Get returns the first match).
type Object []Property

// ECMAArray is an AMF0 associative array, as used by onMetaData. Like
// Object it keeps wire order. On encoding its count field is the number of
// properties; on decoding the count field is ignored.
type ECMAArray []Property

// StrictArray is an AMF0 dense array.
type StrictArray []any

// Null is the AMF0 null value.
type Null struct{}

// Undefined is the AMF0 undefined value.
type Undefined struct{}

// Date is an AMF0 date: milliseconds since the Unix epoch (UTC), and a time
// zone offset that the specification says should be 0 and readers ignore.
type Date struct {
	Millis   float64
	TimeZone int16
}

// Get returns the value of the first property named key.
func (o Object) Get(key string) (any, bool) { return get(o, key) }

// String returns the value of the first property named key if it is a
// string.
func (o Object) String(key string) (string, bool) { return getString(o, key) }

// Number returns the value of the first property named key if it is a
// number.
func (o Object) Number(key string) (float64, bool) { return getNumber(o, key) }

// Get returns the value of the first property named key.
func (a ECMAArray) Get(key string) (any, bool) { return get(a, key) }

// String returns the value of the first property named key if it is a
// string.
func (a ECMAArray) String(key string) (string, bool) { return getString(a, key) }

// Number returns the value of the first property named key if it is a
// number.
func (a ECMAArray) Number(key string) (float64, bool) { return getNumber(a, key) }

func get(props []Property, key string) (any, bool) {
	for _, p := range props {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

func getString(props []Property, key string) (string, bool) {
	v, ok := get(props, key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

func getNumber(props []Property, key string) (float64, bool) {
	v, ok := get(props, key)
	if !ok {
		return 0, false
	}
	f, ok := v.(float64)
	return f, ok
}
