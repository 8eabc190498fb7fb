package flv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/flv/flvtest"
)

// writeStream writes a whole stream to w and closes it.
func writeStream(tb testing.TB, w *Writer, info encode.StreamInfo, pkts []*encode.Packet) {
	tb.Helper()
	if err := w.WriteHeader(info); err != nil {
		tb.Fatalf("WriteHeader: %v", err)
	}
	for i, p := range pkts {
		if err := w.WritePacket(p); err != nil {
			tb.Fatalf("WritePacket %d: %v", i, err)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// The packets of tiny.flv, written by Writer and read back by Reader, come
// back as the same tags, after the metadata and sequence headers.
func TestWriterRoundTrip(t *testing.T) {
	info, pkts, src := tinyStream(t)
	var buf bytes.Buffer
	w := NewWriter(&buf)
	writeStream(t, w, info, pkts)

	h, tags := readAll(t, buf.Bytes())
	if h != (Header{Version: 1, HasAudio: true, HasVideo: true}) {
		t.Errorf("header %+v", h)
	}
	if len(tags) != 3+len(pkts) {
		t.Fatalf("%d tags, want %d", len(tags), 3+len(pkts))
	}

	// onMetaData, then both sequence headers, at 0.
	wantMeta, _ := AppendMetadata(nil, info, false)
	wantVideo, _ := AppendAVCSequenceHeader(nil, info.Video)
	wantAudio, _ := AppendAACSequenceHeader(nil, info.Audio)
	for i, want := range []Tag{{TagScript, 0, wantMeta}, {TagVideo, 0, wantVideo}, {TagAudio, 0, wantAudio}} {
		if got := tags[i]; got.Type != want.Type || got.Timestamp != 0 || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tag %d: got %v at %d %x, want %v %x", i, got.Type, got.Timestamp, got.Data, want.Type, want.Data)
		}
	}
	vals, err := amf0.Unmarshal(tags[0].Data)
	if err != nil || len(vals) != 2 || vals[0] != "onMetaData" {
		t.Fatalf("script tag: %#v, %v", vals, err)
	}
	if w, _ := vals[1].(amf0.ECMAArray).Number("width"); w != 160 {
		t.Errorf("metadata width %v", w)
	}

	// Every frame tag of the source, byte for byte: same type, timestamp
	// (the source starts at 0) and body.
	var want []Tag
	for _, tag := range src {
		if len(tag.Data) > 1 && (tag.Type == TagVideo && tag.Data[1] == AVCNALU || tag.Type == TagAudio && tag.Data[1] == AACRaw) {
			want = append(want, tag)
		}
	}
	for i, got := range tags[3:] {
		if got.Type != want[i].Type || got.Timestamp != want[i].Timestamp || !bytes.Equal(got.Data, want[i].Data) {
			t.Fatalf("frame %d: got %v at %d (%d bytes), want %v at %d (%d bytes)",
				i, got.Type, got.Timestamp, len(got.Data), want[i].Type, want[i].Timestamp, len(want[i].Data))
		}
	}
	if got, want := w.Duration(), time.Duration(want[len(want)-1].Timestamp)*time.Millisecond; got != want {
		t.Errorf("Duration %v, want %v", got, want)
	}
	if w.Written() != int64(buf.Len()) {
		t.Errorf("Written %d, buffer holds %d", w.Written(), buf.Len())
	}
}

// A recording made with Create is accepted by ffprobe, which finds both
// streams and every packet.
func TestWriterFFprobe(t *testing.T) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ffprobe is required in CI: %v", err)
		}
		t.Skip("ffprobe not found")
	}
	info, pkts, _ := tinyStream(t)
	path := filepath.Join(t.TempDir(), "rec.flv")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	writeStream(t, w, info, pkts)

	var stderr bytes.Buffer
	cmd := exec.Command(ffprobe, "-v", "error", "-count_packets",
		"-show_entries", "stream=codec_name,profile,width,height,sample_rate,channels,nb_read_packets",
		"-of", "compact=p=0:nk=0", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("ffprobe: %v\n%s", err, stderr.Bytes())
	}
	var nv, na int
	for _, p := range pkts {
		if p.Kind == encode.Video {
			nv++
		} else {
			na++
		}
	}
	got := strings.TrimSpace(string(out))
	for _, want := range []string{
		"codec_name=h264|profile=Constrained Baseline|width=160|height=90",
		"codec_name=aac|profile=LC|sample_rate=48000|channels=2",
		"nb_read_packets=" + strconv.Itoa(nv),
		"nb_read_packets=" + strconv.Itoa(na),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ffprobe output lacks %q:\n%s", want, got)
		}
	}
}

func TestWriterTimestamps(t *testing.T) {
	info := metaInfo
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(info); err != nil {
		t.Fatal(err)
	}
	headerLen := buf.Len()
	const base = 10 * time.Second
	pkts := []*encode.Packet{
		// The first packet, of either kind, sets timestamp 0.
		encode.NewPacket(encode.Audio, base, base, true, []byte{0xa1}, nil),
		// Earlier than the first: clamped to 0.
		encode.NewPacket(encode.Video, base-10*time.Millisecond, base-10*time.Millisecond, true, []byte{0xb1}, nil),
		// 500 ms in, shown 100 ms later.
		encode.NewPacket(encode.Video, base+600*time.Millisecond, base+500*time.Millisecond, false, []byte{0xb2, 0xb3}, nil),
		// Beyond 24 bits of milliseconds: uses the extended byte.
		encode.NewPacket(encode.Audio, base+0x01020304*time.Millisecond, base+0x01020304*time.Millisecond, true, []byte{}, nil),
	}
	for _, p := range pkts {
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	want := fromHex(t, `
		08 000003 000000 00 000000 // audio, 3 bytes, at 0
		af 01 a1                   // AAC raw, payload
		0000000e                   // PreviousTagSize 11+3

		09 000006 000000 00 000000 // video, 6 bytes, at 0 (clamped)
		17 01 000000 b1            // keyframe, NALU, cts 0, payload
		00000011                   // 11+6

		09 000007 0001f4 00 000000 // video, 7 bytes, at 500
		27 01 000064 b2b3          // inter frame, NALU, cts 100, payload
		00000012                   // 11+7

		08 000002 020304 01 000000 // audio, 2 bytes, at 0x01020304 (extended byte 01)
		af 01                      // AAC raw, empty payload
		0000000d                   // 11+2`)
	if got := buf.Bytes()[headerLen:]; !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	if got := w.Duration(); got != 0x01020304*time.Millisecond {
		t.Errorf("Duration %v", got)
	}
}

// The header of a Writer: file header, onMetaData, and the sequence headers
// of the configured kinds only.
func TestWriterHeader(t *testing.T) {
	meta, _ := AppendMetadata(nil, metaInfo, false)
	want := fromHex(t, `
		464c56 01 05 00000009 // "FLV", version 1, audio and video, header size
		00000000              // PreviousTagSize0
		12 0000ff 000000 00 000000 // script tag, 255 bytes, at 0`)
	want = append(want, meta...)
	want = append(want, fromHex(t, `0000010a // 11+255
		09 000015 000000 00 000000 // video, 21 bytes, at 0
		17 00 000000 01 42 c0 1f ff e1 0004 6742c01f 01 0001 68 // AVC sequence header
		00000020 // 11+21
		08 000004 000000 00 000000 // audio, 4 bytes, at 0
		af 00 1190 // AAC sequence header
		0000000f // 11+4`)...)
	var buf bytes.Buffer
	if err := NewWriter(&buf).WriteHeader(metaInfo); err != nil {
		t.Fatal(err)
	}
	if len(meta) != 0xff {
		t.Fatalf("metadata of %d bytes; fix the fixture", len(meta))
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  %x\nwant %x", buf.Bytes(), want)
	}

	// Audio only: flags 04, no video sequence header, no video packets.
	audioOnly := encode.StreamInfo{Audio: metaInfo.Audio}
	buf.Reset()
	w := NewWriter(&buf)
	if err := w.WriteHeader(audioOnly); err != nil {
		t.Fatal(err)
	}
	h, tags := readAll(t, buf.Bytes())
	if h.HasVideo || !h.HasAudio || len(tags) != 2 || tags[1].Type != TagAudio {
		t.Fatalf("audio-only header %+v, %d tags", h, len(tags))
	}
	if err := w.WritePacket(encode.NewPacket(encode.Video, 0, 0, true, []byte{1}, nil)); err == nil {
		t.Fatal("video packet accepted in an audio-only stream")
	}
}

func TestWriterMisuse(t *testing.T) {
	pkt := encode.NewPacket(encode.Video, 0, 0, true, []byte{1}, nil)
	w := NewWriter(io.Discard)
	if err := w.WritePacket(pkt); err == nil {
		t.Error("WritePacket before WriteHeader succeeded")
	}
	if err := w.WriteHeader(encode.StreamInfo{}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("WriteHeader with no config: %v", err)
	}
	bad := metaInfo
	bad.Video.PPS = nil
	if err := w.WriteHeader(bad); !errors.Is(err, ErrBadConfig) {
		t.Errorf("WriteHeader with no PPS: %v", err)
	}
	if err := w.WriteHeader(metaInfo); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(metaInfo); err == nil {
		t.Error("second WriteHeader succeeded")
	}
	if err := w.WritePacket(nil); err == nil {
		t.Error("nil packet accepted")
	}
	if err := w.WritePacket(encode.NewPacket(0, 0, 0, true, nil, nil)); err == nil {
		t.Error("packet of kind 0 accepted")
	}
	if err := w.WritePacket(encode.NewPacket(encode.Video, 0, 0, true, make([]byte, MaxTagBodySize), nil)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge packet: %v", err)
	}
	// None of these is sticky.
	if err := w.WritePacket(pkt); err != nil {
		t.Fatalf("WritePacket after rejected calls: %v", err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.WritePacket(pkt); !errors.Is(err, ErrClosed) {
		t.Errorf("WritePacket after Close: %v", err)
	}
	if err := NewWriter(io.Discard).WriteHeader(metaInfo); err != nil {
		t.Fatal(err)
	}
}

var errDiskFull = errors.New("disk full")

// failingWriter accepts n bytes, then fails. With short set it reports a
// short write without an error instead.
type failingWriter struct {
	n     int
	short bool
	buf   bytes.Buffer
	calls int // Write calls after the failure
}

func (f *failingWriter) Write(b []byte) (int, error) {
	if f.buf.Len()+len(b) <= f.n {
		return f.buf.Write(b)
	}
	f.calls++
	k := f.n - f.buf.Len()
	f.buf.Write(b[:k])
	if f.short {
		return k, nil
	}
	return k, errDiskFull
}

// Whatever byte a write fails at, the error comes back wrapped, stays, and
// the bytes written before it are a prefix of the complete file.
func TestWriterFailingWriter(t *testing.T) {
	info, pkts, _ := tinyStream(t)
	pkts = pkts[:10]
	var full bytes.Buffer
	writeStream(t, NewWriter(&full), info, pkts)

	for _, n := range []int{0, 1, 12, 13, 100, 400, 500, 600, 700, full.Len() - 5000, full.Len() - 4, full.Len() - 1} {
		for _, short := range []bool{false, true} {
			fw := &failingWriter{n: n, short: short}
			w := NewWriter(fw)
			var first error
			if err := w.WriteHeader(info); err != nil {
				first = err
			}
			for _, p := range pkts {
				err := w.WritePacket(p)
				if first == nil {
					first = err
				} else if err != first {
					t.Fatalf("n=%d: error after %v is %v, want the same", n, first, err)
				}
			}
			wantErr := errDiskFull
			if short {
				wantErr = io.ErrShortWrite
			}
			if !errors.Is(first, wantErr) {
				t.Fatalf("n=%d short=%v: error %v, want %v", n, short, first, wantErr)
			}
			if fw.calls != 1 {
				t.Errorf("n=%d: %d writes after the failure, want 1", n, fw.calls)
			}
			if err := w.Close(context.Background()); err != first {
				t.Errorf("n=%d: Close returned %v, want %v", n, err, first)
			}
			if !bytes.HasPrefix(full.Bytes(), fw.buf.Bytes()) {
				t.Fatalf("n=%d: written bytes are not a prefix of the file", n)
			}
			// The prefix reads as tags up to a clean truncation.
			r := NewReader(bytes.NewReader(fw.buf.Bytes()))
			for {
				_, err := r.ReadTag()
				if err == nil {
					continue
				}
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("n=%d: reading the prefix: %v", n, err)
				}
				break
			}
		}
	}
}

func TestCreate(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "missing", "x.flv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create in a missing directory: %v", err)
	}
	info, pkts, _ := tinyStream(t)
	path := filepath.Join(t.TempDir(), "rec.flv")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	writeStream(t, w, info, pkts)
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, tags := readAll(t, b); len(tags) != 3+len(pkts) {
		t.Fatalf("%d tags in the file", len(tags))
	}
	if w.Written() != int64(len(b)) {
		t.Errorf("Written %d, file has %d bytes", w.Written(), len(b))
	}
}

// Create's Writer reports a failing disk: /dev/full accepts the open and
// fails every write with ENOSPC, which here surfaces at the flush in Close.
func TestCreateDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	info, pkts, _ := tinyStream(t)
	w, err := Create("/dev/full")
	if err != nil {
		t.Skip(err)
	}
	var first error
	if err := w.WriteHeader(info); err != nil {
		first = err
	}
	for _, p := range pkts {
		if err := w.WritePacket(p); err != nil && first == nil {
			first = err
		}
	}
	err = w.Close(context.Background())
	if first != nil && err != first {
		t.Fatalf("Close returned %v after %v", err, first)
	}
	if err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Close: %v, want ENOSPC", err)
	}
}

// WritePacket does not allocate once the header is written, for H.264 as
// for HEVC (whose header is the longest).
func TestWriterWritePacketAllocs(t *testing.T) {
	hevc := metaInfo
	hevc.Video = flvtest.MustLoad(encode.HEVC).Config
	for _, info := range []encode.StreamInfo{metaInfo, hevc} {
		writerAllocs(t, info)
	}
}

func writerAllocs(t *testing.T, info encode.StreamInfo) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(info); err != nil {
		t.Fatal(err)
	}
	video := encode.NewPacket(encode.Video, 0, 0, true, make([]byte, 1000), nil)
	audio := encode.NewPacket(encode.Audio, 0, 0, true, make([]byte, 300), nil)
	allocs := testing.AllocsPerRun(100, func() {
		video.DTS += time.Millisecond
		video.PTS = video.DTS + 40*time.Millisecond
		audio.DTS += time.Millisecond
		if err := w.WritePacket(video); err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(audio); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%s: %v allocations per two packets", info.Video.Codec, allocs)
	}
}
