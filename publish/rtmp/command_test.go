package rtmp

import (
	"bytes"
	"errors"
	"testing"

	"studio/publish/amf0"
	"studio/publish/rtmp/wire"
)

// Bytes captured from nginx-rtmp 1.2 (Debian 12) and FFmpeg 5.1's server;
// the same captures are the seed corpus in testdata/fuzz/FuzzCommand.
var (
	nginxBadName       = []byte("\x02\x00\x08onStatus\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x03\x00\x05level\x02\x00\x05error\x00\x04code\x02\x00\x19NetStream.Publish.BadName\x00\x0bdescription\x02\x00\x12Already publishing\x00\x00\x09")
	ffmpegCreateStream = []byte("\x02\x00\a_result\x00@\x10\x00\x00\x00\x00\x00\x00\x05\x00?\xf0\x00\x00\x00\x00\x00\x00")
	ffmpegOnFCPublish  = []byte("\x02\x00\vonFCPublish")
)

func TestParseCommand(t *testing.T) {
	c, err := ParseCommand(nginxBadName)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := c.Status()
	if c.Name != "onStatus" || c.TxnID != 0 || !ok ||
		st != (wire.Status{Code: "NetStream.Publish.BadName", Level: wire.LevelError, Description: "Already publishing"}) {
		t.Errorf("got %+v, status %+v", c, st)
	}
	if _, isNull := c.Object.(amf0.Null); !isNull {
		t.Errorf("command object %T", c.Object)
	}

	c, err = ParseCommand(ffmpegCreateStream)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := c.StreamID(); c.Name != "_result" || c.TxnID != 4 || !ok || id != 1 {
		t.Errorf("got %+v", c)
	}

	c, err = ParseCommand(ffmpegOnFCPublish)
	if err != nil || c.Name != "onFCPublish" || c.Object != nil || c.Args != nil {
		t.Errorf("got %+v, %v", c, err)
	}
	if _, ok := c.Status(); ok {
		t.Error("status in a bare command")
	}
}

func TestParseCommandErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":              nil,
		"name not a string":  {0x00, 0, 0, 0, 0, 0, 0, 0, 0},
		"truncated name":     {0x02, 0x00, 0x10, 'a'},
		"txn not a number":   append(amfString("x"), 0x02, 0, 1, 'y'),
		"truncated argument": append(append(amfString("x"), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05), 0x02, 0, 9),
	} {
		if _, err := ParseCommand(b); !errors.Is(err, wire.ErrProtocol) {
			t.Errorf("%s: err = %v, want ErrProtocol", name, err)
		}
	}
}

func amfString(s string) []byte {
	b, _ := amf0.Marshal(s)
	return b
}

func TestStatusFromECMAArray(t *testing.T) {
	c := Command{Name: "onStatus", Args: []any{amf0.ECMAArray{{Key: "code", Value: "X"}, {Key: "level", Value: "warning"}}}}
	if st, ok := c.Status(); !ok || st.Code != "X" || st.Level != wire.LevelWarning {
		t.Errorf("got %+v", st)
	}
}

func TestAppendCommand(t *testing.T) {
	// Hand-checked: "deleteStream", 0, null, 1.
	want := []byte{
		0x02, 0x00, 0x0c, 'd', 'e', 'l', 'e', 't', 'e', 'S', 't', 'r', 'e', 'a', 'm',
		0x00, 0, 0, 0, 0, 0, 0, 0, 0,
		0x05,
		0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,
	}
	got, err := AppendCommand(nil, "deleteStream", 0, nil, 1.0)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("got % x, %v", got, err)
	}
}

// FuzzCommand decodes hostile command bodies: no panic, and whatever parses
// re-encodes to bytes that parse and re-encode identically.
func FuzzCommand(f *testing.F) {
	f.Add(nginxBadName)
	f.Add(ffmpegCreateStream)
	f.Add(ffmpegOnFCPublish)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			return
		}
		_, _ = c.Status()
		_, _ = c.StreamID()
		enc, err := AppendCommand(nil, c.Name, c.TxnID, c.Object, c.Args...)
		if err != nil {
			return // for example a string too long to re-encode
		}
		c2, err := ParseCommand(enc)
		if err != nil {
			t.Fatalf("re-encoded command does not parse: %v", err)
		}
		enc2, err := AppendCommand(nil, c2.Name, c2.TxnID, c2.Object, c2.Args...)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n% x\n% x", enc, enc2)
		}
	})
}
