package flv

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"studio/encode"
)

// tinyFLV is a 1-second recording made by FFmpeg 5.1 (Lavf59.27.100):
//
//	ffmpeg -f lavfi -i testsrc2=size=160x90:rate=10 \
//	  -f lavfi -i sine=frequency=1000:sample_rate=48000 -t 1 \
//	  -c:v libx264 -preset ultrafast -tune zerolatency -c:a aac -ac 2 \
//	  -f flv testdata/tiny.flv
//
// H.264 Constrained Baseline 160x90 at 10 fps, AAC-LC 48 kHz stereo.
const tinyFLV = "testdata/tiny.flv"

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

// readAll reads every tag of an FLV file.
func readAll(tb testing.TB, b []byte) (Header, []Tag) {
	tb.Helper()
	r := NewReader(bytes.NewReader(b))
	h, err := r.Header()
	if err != nil {
		tb.Fatalf("Header: %v", err)
	}
	var tags []Tag
	for {
		tag, err := r.ReadTag()
		if errors.Is(err, io.EOF) {
			return h, tags
		}
		if err != nil {
			tb.Fatalf("ReadTag %d: %v", len(tags), err)
		}
		tags = append(tags, tag)
	}
}

func readTiny(tb testing.TB) []Tag {
	tb.Helper()
	b, err := os.ReadFile(tinyFLV)
	if err != nil {
		tb.Fatal(err)
	}
	_, tags := readAll(tb, b)
	return tags
}

// parseAVCConfig extracts the single SPS and PPS of an
// AVCDecoderConfigurationRecord (a test-side parser, independent of the
// code under test).
func parseAVCConfig(tb testing.TB, rec []byte) (sps, pps []byte) {
	tb.Helper()
	if len(rec) < 8 || rec[0] != 1 || rec[5]&0x1f != 1 {
		tb.Fatalf("unexpected record %x", rec)
	}
	n := int(binary.BigEndian.Uint16(rec[6:]))
	sps = rec[8 : 8+n]
	rest := rec[8+n:]
	if rest[0] != 1 {
		tb.Fatalf("%d PPS", rest[0])
	}
	m := int(binary.BigEndian.Uint16(rest[1:]))
	return sps, rest[3 : 3+m]
}

// tinyStream turns tiny.flv back into what the encoders would have given:
// the stream header and the packets in file order.
func tinyStream(tb testing.TB) (encode.StreamInfo, []*encode.Packet, []Tag) {
	tb.Helper()
	tags := readTiny(tb)
	info := encode.StreamInfo{
		Video: encode.VideoConfig{Width: 160, Height: 90, FPS: 10, BitrateKbps: 300, Encoder: "studio test"},
		Audio: encode.AudioConfig{SampleRate: 48000, Channels: 2, BitrateKbps: 128},
	}
	var pkts []*encode.Packet
	for _, tag := range tags {
		ts := time.Duration(tag.Timestamp) * time.Millisecond
		switch {
		case tag.Type == TagVideo && tag.Data[1] == AVCSequenceHeader:
			info.Video.SPS, info.Video.PPS = parseAVCConfig(tb, tag.Data[5:])
		case tag.Type == TagVideo && tag.Data[1] == AVCNALU:
			cts := int32(uint32(tag.Data[2])<<24|uint32(tag.Data[3])<<16|uint32(tag.Data[4])<<8) >> 8
			pts := ts + time.Duration(cts)*time.Millisecond
			pkts = append(pkts, encode.NewPacket(encode.Video, pts, ts, tag.Data[0]>>4 == FrameKey, tag.Data[5:], nil))
		case tag.Type == TagAudio && tag.Data[1] == AACSequenceHeader:
			info.Audio.ASC = tag.Data[2:]
		case tag.Type == TagAudio && tag.Data[1] == AACRaw:
			pkts = append(pkts, encode.NewPacket(encode.Audio, ts, ts, true, tag.Data[2:], nil))
		}
	}
	if info.Video.SPS == nil || info.Audio.ASC == nil || len(pkts) == 0 {
		tb.Fatalf("tiny.flv lacks sequence headers or packets")
	}
	return info, pkts, tags
}
