package flv

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"studio/encode"
)

// BenchmarkWriterWritePacket writes 4 KB video frames; it must not
// allocate.
func BenchmarkWriterWritePacket(b *testing.B) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(metaInfo); err != nil {
		b.Fatal(err)
	}
	p := encode.NewPacket(encode.Video, 0, 0, false, make([]byte, 4096), nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		p.DTS += 33 * time.Millisecond
		p.PTS = p.DTS
		if err := w.WritePacket(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAVCPacketHeader(b *testing.B) {
	buf := make([]byte, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAVCPacketHeader(buf[:0], true, 33*time.Millisecond)
	}
}

func BenchmarkReadTiny(b *testing.B) {
	data, err := os.ReadFile(tinyFLV)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		for {
			if _, err := r.ReadTag(); err != nil {
				break
			}
		}
	}
}
