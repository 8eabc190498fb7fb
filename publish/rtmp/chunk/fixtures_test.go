package chunk

import (
	"bytes"
	"encoding/binary"
	"math"
)

// fixture is a hand-checked byte sequence and the messages it carries. The
// same table feeds TestReadFixtures, TestWriteFixtures and the seed corpus
// of FuzzChunkReader.
type fixture struct {
	name string
	// chunkSize is the chunk size both sides start with (0 = 128).
	chunkSize uint32
	msgs      []Message
	raw       []byte
	// fmts are the header formats of the first chunk of each message.
	fmts []uint8
	// readOnly marks inputs a Writer never produces (interleaving, Abort).
	readOnly bool
}

// cat concatenates byte pieces, for readable fixtures.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func hx(b ...byte) []byte { return b }

// Test-local AMF0 builders (independent of package amf0 on purpose).
func amfStr(s string) []byte {
	return cat(hx(0x02, byte(len(s)>>8), byte(len(s))), []byte(s))
}
func amfNum(f float64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0x00}, math.Float64bits(f))
}
func amfKey(s string) []byte { return cat(hx(byte(len(s)>>8), byte(len(s))), []byte(s)) }

var objEnd = hx(0x00, 0x00, 0x09)

func filled(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

func msg(csid uint32, typ uint8, sid, ts uint32, payload []byte) Message {
	return Message{Header: Header{CSID: csid, Type: typ, StreamID: sid, Timestamp: ts}, Payload: payload}
}

var connectPayload = cat(
	amfStr("connect"), amfNum(1),
	hx(0x03),
	amfKey("app"), amfStr("live"),
	amfKey("type"), amfStr("nonprivate"),
	amfKey("flashVer"), amfStr("FMLE/3.0 (compatible; studio)"),
	amfKey("tcUrl"), amfStr("rtmp://127.0.0.1:1935/live"),
	objEnd,
)

var fixtures = []fixture{
	{
		name: "set chunk size 4096",
		msgs: []Message{msg(2, TypeSetChunkSize, 0, 0, hx(0x00, 0x00, 0x10, 0x00))},
		raw: hx(
			0x02,             // fmt 0, csid 2
			0x00, 0x00, 0x00, // timestamp 0
			0x00, 0x00, 0x04, // length 4
			0x01,                   // type 1
			0x00, 0x00, 0x00, 0x00, // stream 0
			0x00, 0x00, 0x10, 0x00, // 4096
		),
		fmts: []uint8{0},
	},
	{
		// 132 bytes of AMF0: a 128-byte chunk and a 4-byte one.
		name: "connect command",
		msgs: []Message{msg(3, TypeCommandAMF0, 0, 0, connectPayload)},
		raw: cat(
			hx(0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 132, 0x14, 0x00, 0x00, 0x00, 0x00),
			connectPayload[:128],
			hx(0xc3), // fmt 3, csid 3
			connectPayload[128:],
		),
		fmts: []uint8{0},
	},
	{
		name:      "connect command in 64-byte chunks",
		chunkSize: 64,
		msgs:      []Message{msg(3, TypeCommandAMF0, 0, 0, connectPayload)},
		raw: cat(
			hx(0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 132, 0x14, 0x00, 0x00, 0x00, 0x00),
			connectPayload[:64],
			hx(0xc3),
			connectPayload[64:128],
			hx(0xc3),
			connectPayload[128:],
		),
		fmts: []uint8{0},
	},
	{
		name: "header formats 0 2 3 2 1 0 on one chunk stream",
		msgs: []Message{
			msg(4, TypeAudio, 1, 0, hx(0xaf, 0x01, 0x10)),
			msg(4, TypeAudio, 1, 23, hx(0xaf, 0x01, 0x11)),
			msg(4, TypeAudio, 1, 46, hx(0xaf, 0x01, 0x12)),
			msg(4, TypeAudio, 1, 70, hx(0xaf, 0x01, 0x13)),
			msg(4, TypeAudio, 1, 90, hx(0xaf, 0x01, 0x14, 0x15)),
			msg(4, TypeAudio, 1, 80, hx(0xaf, 0x01, 0x16, 0x17)), // backwards
		},
		raw: hx(
			0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x01, 0x00, 0x00, 0x00, 0xaf, 0x01, 0x10,
			0x84, 0x00, 0x00, 0x17, 0xaf, 0x01, 0x11, // fmt 2, delta 23
			0xc4, 0xaf, 0x01, 0x12, // fmt 3: same delta
			0x84, 0x00, 0x00, 0x18, 0xaf, 0x01, 0x13, // fmt 2, delta 24
			0x44, 0x00, 0x00, 0x14, 0x00, 0x00, 0x04, 0x08, 0xaf, 0x01, 0x14, 0x15, // fmt 1, delta 20, length 4
			0x04, 0x00, 0x00, 0x50, 0x00, 0x00, 0x04, 0x08, 0x01, 0x00, 0x00, 0x00, 0xaf, 0x01, 0x16, 0x17, // fmt 0
		),
		fmts: []uint8{0, 2, 3, 2, 1, 0},
	},
	{
		name: "stream ID change forces format 0",
		msgs: []Message{
			msg(8, TypeCommandAMF0, 0, 0, hx(0x05)),
			msg(8, TypeCommandAMF0, 1, 0, hx(0x05)),
		},
		raw: hx(
			0x08, 0, 0, 0, 0, 0, 1, 0x14, 0, 0, 0, 0, 0x05,
			0x08, 0, 0, 0, 0, 0, 1, 0x14, 1, 0, 0, 0, 0x05,
		),
		fmts: []uint8{0, 0},
	},
	{
		name:      "extended timestamps",
		chunkSize: 4,
		msgs: []Message{
			msg(6, TypeVideo, 1, 0xFFFFFE, hx(1, 2)),            // just below: 3-byte field
			msg(6, TypeVideo, 1, 0x01000000, hx(1, 2, 3, 4, 5)), // delta 2 (fmt 1)
			msg(7, TypeVideo, 1, 0xFFFFFF, hx(9)),               // exactly 0xFFFFFF: extended
			msg(5, TypeVideo, 1, 0x01000000, hx(1, 2, 3, 4, 5, 6)),
			msg(5, TypeVideo, 1, 0x02000000, hx(1, 2, 3, 4, 5, 6)), // delta 0x01000000: fmt 2, extended
			msg(5, TypeVideo, 1, 0x03000000, hx(1, 2, 3, 4, 5, 6)), // fmt 3, extended
		},
		raw: hx(
			0x06, 0xff, 0xff, 0xfe, 0, 0, 2, 0x09, 1, 0, 0, 0, 1, 2,
			0x46, 0, 0, 2, 0, 0, 5, 0x09, 1, 2, 3, 4, 0xc6, 5,
			0x07, 0xff, 0xff, 0xff, 0, 0, 1, 0x09, 1, 0, 0, 0, 0x00, 0xff, 0xff, 0xff, 9,
			// fmt 0, extended 0x01000000, then continuation with the extended field repeated
			0x05, 0xff, 0xff, 0xff, 0, 0, 6, 0x09, 1, 0, 0, 0, 0x01, 0, 0, 0, 1, 2, 3, 4,
			0xc5, 0x01, 0, 0, 0, 5, 6,
			// fmt 2, extended delta
			0x85, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 1, 2, 3, 4,
			0xc5, 0x01, 0, 0, 0, 5, 6,
			// fmt 3 new message: extended delta present, also on its continuation
			0xc5, 0x01, 0, 0, 0, 1, 2, 3, 4,
			0xc5, 0x01, 0, 0, 0, 5, 6,
		),
		fmts: []uint8{0, 1, 0, 0, 2, 3},
	},
	{
		name: "chunk stream ID encodings",
		msgs: []Message{
			msg(63, TypeAudio, 1, 0, hx(0xaa)),
			msg(64, TypeAudio, 1, 0, hx(0xab)),
			msg(319, TypeAudio, 1, 0, hx(0xac)),
			msg(320, TypeAudio, 1, 0, hx(0xad)),
			msg(65599, TypeAudio, 1, 0, hx(0xae)),
		},
		raw: hx(
			0x3f, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0xaa,
			0x00, 0x00, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0xab,
			0x00, 0xff, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0xac,
			0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0xad,
			0x01, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 8, 1, 0, 0, 0, 0xae,
		),
		fmts: []uint8{0, 0, 0, 0, 0},
	},
	{
		name: "zero-length message",
		msgs: []Message{msg(3, TypeCommandAMF0, 0, 7, nil)},
		raw:  hx(0x03, 0, 0, 7, 0, 0, 0, 0x14, 0, 0, 0, 0),
		fmts: []uint8{0},
	},
	{
		name: "set chunk size applies to the next chunk",
		msgs: []Message{
			msg(2, TypeSetChunkSize, 0, 0, hx(0, 0, 0, 200)),
			msg(3, TypeCommandAMF0, 0, 0, filled(200, 0)),
		},
		raw: cat(
			hx(0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 200),
			hx(0x03, 0, 0, 0, 0, 0, 200, 0x14, 0, 0, 0, 0), filled(200, 0),
		),
		fmts: []uint8{0, 0},
	},
	{
		name:     "interleaved chunk streams",
		readOnly: true,
		msgs: []Message{
			msg(4, TypeAudio, 1, 10, filled(130, 1)),
			msg(6, TypeVideo, 1, 20, filled(140, 2)),
		},
		raw: cat(
			hx(0x04, 0, 0, 10, 0, 0, 130, 8, 1, 0, 0, 0), filled(128, 1),
			hx(0x06, 0, 0, 20, 0, 0, 140, 9, 1, 0, 0, 0), filled(128, 2),
			hx(0xc4), filled(130, 1)[128:],
			hx(0xc6), filled(140, 2)[128:],
		),
	},
	{
		name:     "abort drops the partial message",
		readOnly: true,
		msgs: []Message{
			msg(2, TypeAbort, 0, 0, hx(0, 0, 0, 4)),
			msg(4, TypeAudio, 1, 30, hx(0x77)),
		},
		raw: cat(
			hx(0x04, 0, 0, 10, 0, 0, 200, 8, 1, 0, 0, 0), filled(128, 1), // partial
			hx(0x02, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 4), // abort csid 4
			hx(0x04, 0, 0, 30, 0, 0, 1, 8, 1, 0, 0, 0, 0x77),
		),
	},
	{
		name:     "continuation without repeated extended timestamp",
		readOnly: true,
		msgs:     []Message{msg(5, TypeVideo, 1, 0x01000000, filled(130, 3))},
		raw: cat(
			hx(0x05, 0xff, 0xff, 0xff, 0, 0, 130, 9, 1, 0, 0, 0, 0x01, 0, 0, 0), filled(128, 3),
			hx(0xc5), filled(130, 3)[128:],
		),
	},
}
