package amf0

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
)

// fixture is one wire encoding and the values it holds. The same table
// feeds TestDecodeFixtures, TestEncodeFixtures and the seed corpus of
// FuzzUnmarshal.
type fixture struct {
	name   string
	wire   string // hex; whitespace and // comments are ignored
	values []any
	// decodeOnly marks input that decodes to values but is not what this
	// package writes for them (for example an ECMA array with a wrong count).
	decodeOnly bool
}

// fromHex decodes an annotated hex fixture: everything after // on a line is
// a comment, and whitespace is ignored.
func fromHex(tb testing.TB, s string) []byte {
	tb.Helper()
	var sb strings.Builder
	for line := range strings.Lines(s) {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		tb.Fatalf("bad hex fixture: %v", err)
	}
	return b
}

// fixtures holds, first, messages captured byte for byte between FFmpeg 5.1
// (Lavf59.27.100) publishing to rtmp://127.0.0.1:19351/live/test and
// nginx-rtmp 1.2 (Debian 12), taken from the reassembled chunk streams; then
// hand-written values for every type.
var fixtures = []fixture{
	{
		name: "connect from ffmpeg",
		wire: `
		02 0007 636f6e6e656374 // string "connect"
		00 3ff0000000000000 // number 1 (transaction ID)
		03 // object
			0003 617070 // key "app"
			02 0004 6c697665 // string "live"
			0004 74797065 // key "type"
			02 000a 6e6f6e70726976617465 // string "nonprivate"
			0008 666c617368566572 // key "flashVer"
			02 0024 464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e31303029 // string "FMLE/3.0 (compatible; Lavf59.27.100)"
			0005 746355726c // key "tcUrl"
			02 001b 72746d703a2f2f3132372e302e302e313a31393335312f6c697665 // string "rtmp://127.0.0.1:19351/live"
		000009 // object end`,
		values: []any{"connect", 1.0, Object{
			{"app", "live"},
			{"type", "nonprivate"},
			{"flashVer", "FMLE/3.0 (compatible; Lavf59.27.100)"},
			{"tcUrl", "rtmp://127.0.0.1:19351/live"},
		}},
	},
	{
		name: "connect _result from nginx-rtmp",
		wire: `
		02 0007 5f726573756c74 // string "_result"
		00 3ff0000000000000 // number 1
		03 // object (properties)
			0006 666d73566572 // key "fmsVer"
			02 000d 464d532f332c302c312c313233 // string "FMS/3,0,1,123"
			000c 6361706162696c6974696573 // key "capabilities"
			00 403f000000000000 // number 31
		000009 // object end
		03 // object (information)
			0005 6c6576656c // key "level"
			02 0006 737461747573 // string "status"
			0004 636f6465 // key "code"
			02 001d 4e6574436f6e6e656374696f6e2e436f6e6e6563742e53756363657373 // string "NetConnection.Connect.Success"
			000b 6465736372697074696f6e // key "description"
			02 0015 436f6e6e656374696f6e207375636365656465642e // string "Connection succeeded."
			000e 6f626a656374456e636f64696e67 // key "objectEncoding"
			00 0000000000000000 // number 0
		000009 // object end`,
		values: []any{"_result", 1.0,
			Object{{"fmsVer", "FMS/3,0,1,123"}, {"capabilities", 31.0}},
			Object{
				{"level", "status"},
				{"code", "NetConnection.Connect.Success"},
				{"description", "Connection succeeded."},
				{"objectEncoding", 0.0},
			}},
	},
	{
		name: "createStream from ffmpeg",
		wire: `
		02 000c 63726561746553747265616d // string "createStream"
		00 4010000000000000 // number 4
		05 // null`,
		values: []any{"createStream", 4.0, Null{}},
	},
	{
		name: "createStream _result from nginx-rtmp",
		wire: `
		02 0007 5f726573756c74 // string "_result"
		00 4010000000000000 // number 4
		05 // null
		00 3ff0000000000000 // number 1 (stream ID)`,
		values: []any{"_result", 4.0, Null{}, 1.0},
	},
	{
		name: "publish from ffmpeg",
		wire: `
		02 0007 7075626c697368 // string "publish"
		00 4014000000000000 // number 5
		05 // null
		02 0004 74657374 // string "test"
		02 0004 6c697665 // string "live"`,
		values: []any{"publish", 5.0, Null{}, "test", "live"},
	},
	{
		name: "onStatus NetStream.Publish.Start from nginx-rtmp",
		wire: `
		02 0008 6f6e537461747573 // string "onStatus"
		00 0000000000000000 // number 0
		05 // null
		03 // object
			0005 6c6576656c // key "level"
			02 0006 737461747573 // string "status"
			0004 636f6465 // key "code"
			02 0017 4e657453747265616d2e5075626c6973682e5374617274 // string "NetStream.Publish.Start"
			000b 6465736372697074696f6e // key "description"
			02 0010 5374617274207075626c697368696e67 // string "Start publishing"
		000009 // object end`,
		values: []any{"onStatus", 0.0, Null{}, Object{
			{"level", "status"},
			{"code", "NetStream.Publish.Start"},
			{"description", "Start publishing"},
		}},
	},
	{
		name: "@setDataFrame onMetaData from ffmpeg",
		wire: `
		02 000d 40736574446174614672616d65 // string "@setDataFrame"
		02 000a 6f6e4d65746144617461 // string "onMetaData"
		08 0000000d // ECMA array, count 13
			0008 6475726174696f6e // key "duration"
			00 3ff0000000000000 // number 1
			0005 7769647468 // key "width"
			00 4064000000000000 // number 160
			0006 686569676874 // key "height"
			00 4056800000000000 // number 90
			000d 766964656f6461746172617465 // key "videodatarate"
			00 0000000000000000 // number 0
			0009 6672616d6572617465 // key "framerate"
			00 4024000000000000 // number 10
			000c 766964656f636f6465636964 // key "videocodecid"
			00 401c000000000000 // number 7
			000d 617564696f6461746172617465 // key "audiodatarate"
			00 405f400000000000 // number 125
			000f 617564696f73616d706c6572617465 // key "audiosamplerate"
			00 40e7700000000000 // number 48000
			000f 617564696f73616d706c6573697a65 // key "audiosamplesize"
			00 4030000000000000 // number 16
			0006 73746572656f // key "stereo"
			01 01 // boolean true
			000c 617564696f636f6465636964 // key "audiocodecid"
			00 4024000000000000 // number 10
			0007 656e636f646572 // key "encoder"
			02 000d 4c61766635392e32372e313030 // string "Lavf59.27.100"
			0008 66696c6573697a65 // key "filesize"
			00 0000000000000000 // number 0
		000009 // object end`,
		values: []any{"@setDataFrame", "onMetaData", ECMAArray{
			{"duration", 1.0},
			{"width", 160.0},
			{"height", 90.0},
			{"videodatarate", 0.0},
			{"framerate", 10.0},
			{"videocodecid", 7.0},
			{"audiodatarate", 125.0},
			{"audiosamplerate", 48000.0},
			{"audiosamplesize", 16.0},
			{"stereo", true},
			{"audiocodecid", 10.0},
			{"encoder", "Lavf59.27.100"},
			{"filesize", 0.0},
		}},
	},

	// Hand-written, one per type.
	{name: "empty", wire: ``, values: nil},
	{name: "number -1.5", wire: `00 bff8000000000000`, values: []any{-1.5}},
	{name: "number +Inf", wire: `00 7ff0000000000000`, values: []any{math.Inf(1)}},
	{name: "number NaN", wire: `00 7ff8000000000001`, values: []any{math.Float64frombits(0x7ff8000000000001)}},
	{name: "booleans", wire: `01 00 // false
		01 01 // true`, values: []any{false, true}},
	{name: "boolean nonzero is true", wire: `01 02`, values: []any{true}, decodeOnly: true},
	{name: "empty string", wire: `02 0000`, values: []any{""}},
	{name: "utf-8 string", wire: `02 0003 e282ac // "€"`, values: []any{"€"}},
	{name: "empty object", wire: `03 000009`, values: []any{Object{}}},
	{name: "null and undefined", wire: `05 06`, values: []any{Null{}, Undefined{}}},
	{name: "reference decodes as undefined", wire: `07 0001`, values: []any{Undefined{}}, decodeOnly: true},
	{
		name: "ECMA array",
		wire: `
		08 00000002 // ECMA array, count 2
			0001 61 // key "a"
			00 3ff0000000000000 // number 1
			0001 62 // key "b"
			05 // null
		000009 // object end`,
		values: []any{ECMAArray{{"a", 1.0}, {"b", Null{}}}},
	},
	{
		name: "ECMA array count ignored",
		wire: `
		08 00000000 // ECMA array, wrong count 0
			0001 61 // key "a"
			01 01 // true
		000009 // object end`,
		values:     []any{ECMAArray{{"a", true}}},
		decodeOnly: true,
	},
	{name: "empty ECMA array", wire: `08 00000000 000009`, values: []any{ECMAArray{}}},
	{
		name: "strict array",
		wire: `
		0a 00000003 // strict array, 3 elements
			00 4000000000000000 // number 2
			02 0001 78 // string "x"
			0a 00000000 // empty strict array`,
		values: []any{StrictArray{2.0, "x", StrictArray{}}},
	},
	{
		name: "date",
		wire: `0b 4278bcfe56800000 // date, 1.7e12 ms
		fe20 // time zone -480`,
		values: []any{Date{Millis: 1.7e12, TimeZone: -480}},
	},
	{
		name: "nested object",
		wire: `
		03 // object
			0001 6f // key "o"
			03 // object
				0001 6e // key "n"
				06 // undefined
			000009 // object end
			0001 64 // key "d"
			0b 0000000000000000 0000 // date 0
		000009 // object end`,
		values: []any{Object{{"o", Object{{"n", Undefined{}}}}, {"d", Date{}}}},
	},
	{name: "long string (short content)", wire: `0c 00000002 6869 // "hi"`, values: []any{"hi"}, decodeOnly: true},
	{name: "XML document as string", wire: `0f 00000004 3c612f3e // "<a/>"`, values: []any{"<a/>"}, decodeOnly: true},
	{
		name: "typed object as object",
		wire: `
		10 0003 466f6f // class name "Foo"
			0001 78 // key "x"
			00 3ff0000000000000 // number 1
		000009 // object end`,
		values:     []any{Object{{"x", 1.0}}},
		decodeOnly: true,
	},
}

// bad holds input that must fail, and with which sentinel error.
var bad = []struct {
	name string
	wire string
	err  error
}{
	{"truncated number", `00 3ff00000`, ErrTruncated},
	{"truncated boolean", `01`, ErrTruncated},
	{"truncated string length", `02 00`, ErrTruncated},
	{"string longer than input", `02 0005 6869`, ErrTruncated},
	{"long string length beyond input", `0c ffffffff 00`, ErrTruncated},
	{"object without end", `03 0001 61 05`, ErrTruncated},
	{"object key without value", `03 0001 61`, ErrTruncated},
	{"object-end marker at top level", `09`, ErrUnsupported},
	{"object-end marker after a key", `03 0001 61 09`, ErrUnsupported},
	{"strict array count beyond input", `0a 7fffffff 05`, ErrTruncated},
	{"strict array missing element", `0a 00000002 05`, ErrTruncated},
	{"truncated date", `0b 0000000000000000 00`, ErrTruncated},
	{"movie clip", `04`, ErrUnsupported},
	{"unsupported marker", `0d`, ErrUnsupported},
	{"record set", `0e`, ErrUnsupported},
	{"AVM+", `11 01`, ErrUnsupported},
	{"unknown marker", `ff`, ErrUnsupported},
	{"typed object truncated class name", `10 0005 41`, ErrTruncated},
}
