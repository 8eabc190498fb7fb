package flv

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
	"testing/iotest"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/flv/flvtest"
)

func TestReaderTiny(t *testing.T) {
	b, err := os.ReadFile(tinyFLV)
	if err != nil {
		t.Fatal(err)
	}
	// One byte at a time, to exercise every partial read.
	r := NewReader(iotest.OneByteReader(bytes.NewReader(b)))
	h, err := r.Header()
	if err != nil || h != (Header{Version: 1, HasAudio: true, HasVideo: true}) {
		t.Fatalf("Header: %+v, %v", h, err)
	}
	var tags []Tag
	for {
		tag, err := r.ReadTag()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadTag %d: %v", len(tags), err)
		}
		tags = append(tags, tag)
	}
	if _, err := r.ReadTag(); err != io.EOF {
		t.Errorf("ReadTag after EOF: %v", err)
	}

	// What FFmpeg wrote (see tinyFLV): metadata, both sequence headers,
	// then 10 video frames and 48 audio frames, and an end of sequence.
	count := map[TagType]int{}
	total := HeaderSize + 4
	for _, tag := range tags {
		count[tag.Type]++
		total += TagHeaderSize + len(tag.Data) + 4
	}
	if len(tags) != 62 || count[TagScript] != 1 || count[TagVideo] != 12 || count[TagAudio] != 49 {
		t.Errorf("%d tags: %v", len(tags), count)
	}
	if total != len(b) {
		t.Errorf("tags account for %d of %d bytes", total, len(b))
	}
	vals, err := amf0.Unmarshal(tags[0].Data)
	if err != nil || vals[0] != "onMetaData" {
		t.Fatalf("script tag: %v, %v", vals, err)
	}
	if enc, _ := vals[1].(amf0.ECMAArray).String("encoder"); enc != "Lavf59.27.100" {
		t.Errorf("encoder %q", enc)
	}
	if got := tags[2].Data; !bytes.Equal(got, []byte{0xaf, 0x00, 0x11, 0x90, 0x56, 0xe5, 0x00}) {
		t.Errorf("AAC sequence header %x", got)
	}
	last := tags[len(tags)-1]
	if last.Type != TagVideo || last.Timestamp != 921 || !bytes.Equal(last.Data, AppendAVCEndOfSequence(nil)) {
		t.Errorf("last tag %v at %d: %x", last.Type, last.Timestamp, last.Data)
	}
}

func TestReaderInput(t *testing.T) {
	tag := func(typ TagType, ts uint32, body string) string {
		b := AppendTagHeader(nil, typ, len(body)/2, ts)
		return string(bytesHex(b)) + body + string(bytesHex(AppendPreviousTagSize(nil, len(body)/2)))
	}
	tests := []struct {
		name string
		in   string // hex
		max  int
		tags []Tag
		err  error // after the tags
	}{
		{"header only", "464c5601050000000900000000", 0, nil, io.EOF},
		{"header without PreviousTagSize0", "464c560105000000 09", 0, nil, io.EOF},
		{"empty input", "", 0, nil, io.ErrUnexpectedEOF},
		{"short header", "464c5601", 0, nil, io.ErrUnexpectedEOF},
		{"bad signature", "464c5801050000000900000000", 0, nil, ErrCorrupt},
		{"header size below 9", "464c5601050000000800000000", 0, nil, ErrCorrupt},
		{"header size huge", "464c56010500ffffff00000000", 0, nil, ErrCorrupt},
		{"extra header bytes skipped", "464c560105 0000000b aaaa 00000000" + tag(TagAudio, 1, "af01"), 0,
			[]Tag{{TagAudio, 1, []byte{0xaf, 0x01}}}, io.EOF},
		{"extended timestamp", "464c5601050000000900000000" + tag(TagVideo, 0xff000001, "17"), 0,
			[]Tag{{TagVideo, 0xff000001, []byte{0x17}}}, io.EOF},
		{"filter bits masked from the type", "464c5601050000000900000000" + "28 000001 000000 00 000000 af 0000000c", 0,
			[]Tag{{TagAudio, 0, []byte{0xaf}}}, io.EOF},
		{"empty body", "464c5601050000000900000000" + tag(TagScript, 0, ""), 0,
			[]Tag{{TagScript, 0, []byte{}}}, io.EOF},
		{"no final PreviousTagSize", "464c5601050000000900000000" + "08 000001 000000 00 000000 af", 0,
			[]Tag{{TagAudio, 0, []byte{0xaf}}}, io.EOF},
		{"truncated PreviousTagSize", "464c5601050000000900000000" + "08 000001 000000 00 000000 af 0000", 0,
			[]Tag{{TagAudio, 0, []byte{0xaf}}}, io.ErrUnexpectedEOF},
		{"truncated tag header", "464c5601050000000900000000" + "08 000001 00", 0, nil, io.ErrUnexpectedEOF},
		{"truncated body", "464c5601050000000900000000" + "08 000003 000000 00 000000 af01", 0, nil, io.ErrUnexpectedEOF},
		{"wrong PreviousTagSize0", "464c5601050000000900000001" + tag(TagAudio, 0, "af"), 0, nil, ErrCorrupt},
		{"wrong PreviousTagSize", "464c5601050000000900000000" + "08 000001 000000 00 000000 af 0000000b", 0,
			[]Tag{{TagAudio, 0, []byte{0xaf}}}, ErrCorrupt},
		{"tag over MaxTagSize", "464c5601050000000900000000" + tag(TagVideo, 0, "1701000000"), 4, nil, ErrTooLarge},
		{"tag at MaxTagSize", "464c5601050000000900000000" + tag(TagVideo, 0, "17010000"), 4,
			[]Tag{{TagVideo, 0, []byte{0x17, 0x01, 0, 0}}}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(fromHex(t, tt.in)))
			r.MaxTagSize = tt.max
			var tags []Tag
			var err error
			for {
				var tag Tag
				if tag, err = r.ReadTag(); err != nil {
					break
				}
				tags = append(tags, tag)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if tt.err == io.EOF && err != io.EOF {
				t.Errorf("end of file is %v, want io.EOF itself", err)
			}
			if len(tags) != len(tt.tags) {
				t.Fatalf("%d tags, want %d", len(tags), len(tt.tags))
			}
			for i := range tags {
				if tags[i].Type != tt.tags[i].Type || tags[i].Timestamp != tt.tags[i].Timestamp || !bytes.Equal(tags[i].Data, tt.tags[i].Data) {
					t.Errorf("tag %d: %+v, want %+v", i, tags[i], tt.tags[i])
				}
			}
			if _, err2 := r.ReadTag(); err2 != err {
				t.Errorf("error not sticky: %v then %v", err, err2)
			}
		})
	}
}

func bytesHex(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// A size field that claims 16 MiB in a few bytes of input does not make the
// Reader allocate 16 MiB.
func TestReaderHostileSize(t *testing.T) {
	in := append(AppendFileHeader(nil, FlagVideo), AppendTagHeader(nil, TagVideo, MaxTagBodySize, 0)...)
	in = append(in, 0x17, 0x01)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := NewReader(bytes.NewReader(in)).ReadTag(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("ReadTag: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Fatalf("10 reads of a %d-byte input allocated %d bytes", len(in), n)
	}
}

// FuzzReader checks that the Reader never panics, never returns more body
// bytes than it read, and that the tags it returns, written back, read
// again as the same tags.
func FuzzReader(f *testing.F) {
	tiny, err := os.ReadFile(tinyFLV)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tiny)
	f.Add(tiny[:1000])
	f.Add(fromHex(f, "464c5601050000000900000000"))
	f.Add(fromHex(f, "464c560105 0000000b aaaa 00000000 08 000002 000001 00 000000 af01 0000000d"))
	f.Add(fromHex(f, "464c5601050000000900000000 09 ffffff ffffff ff 000000 17"))
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		// Enhanced RTMP video tags, from a real clip.
		clip := flvtest.MustLoad(c)
		var buf bytes.Buffer
		w := NewWriter(&buf)
		writeStream(f, w, encode.StreamInfo{Video: clip.Config}, []*encode.Packet{clip.Packets[0].Packet(), clip.Packets[1].Packet()})
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		r.MaxTagSize = 1 << 20
		h, _ := r.Header()
		var tags []Tag
		total := 0
		for {
			tag, err := r.ReadTag()
			if err != nil {
				break
			}
			total += len(tag.Data)
			if total > len(in) {
				t.Fatalf("read %d body bytes from %d bytes of input", total, len(in))
			}
			tags = append(tags, tag)
		}

		var flags uint8
		if h.HasAudio {
			flags |= FlagAudio
		}
		if h.HasVideo {
			flags |= FlagVideo
		}
		out := AppendFileHeader(nil, flags)
		for _, tag := range tags {
			out = AppendTagHeader(out, tag.Type, len(tag.Data), tag.Timestamp)
			out = append(out, tag.Data...)
			out = AppendPreviousTagSize(out, len(tag.Data))
		}
		r2 := NewReader(bytes.NewReader(out))
		for i, want := range tags {
			got, err := r2.ReadTag()
			if err != nil {
				t.Fatalf("re-read tag %d: %v", i, err)
			}
			if got.Type != want.Type || got.Timestamp != want.Timestamp || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("re-read tag %d differs", i)
			}
		}
		if _, err := r2.ReadTag(); err != io.EOF {
			t.Fatalf("re-read ends with %v", err)
		}
	})
}
