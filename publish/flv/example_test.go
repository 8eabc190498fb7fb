package flv_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"studio/encode"
	"studio/publish/flv"
)

func ExampleWriter() {
	info := encode.StreamInfo{
		Video: encode.VideoConfig{Width: 160, Height: 90, FPS: 10,
			SPS: []byte{0x67, 0x42, 0xc0, 0x0a}, PPS: []byte{0x68, 0xce, 0x0f, 0xc8}},
		Audio: encode.AudioConfig{SampleRate: 48000, Channels: 2, ASC: []byte{0x11, 0x90}},
	}
	var file bytes.Buffer
	w := flv.NewWriter(&file)
	_ = w.WriteHeader(info)
	_ = w.WritePacket(encode.NewPacket(encode.Video, 5*time.Second, 5*time.Second, true, []byte{0, 0, 0, 1, 0x65}, nil))
	_ = w.WritePacket(encode.NewPacket(encode.Audio, 5040*time.Millisecond, 5040*time.Millisecond, true, []byte{0x21}, nil))
	_ = w.Close(context.Background())

	r := flv.NewReader(&file)
	for {
		tag, err := r.ReadTag()
		if err == io.EOF {
			break
		}
		fmt.Printf("%-6s %3d ms  % x\n", tag.Type, tag.Timestamp, tag.Data[:2])
	}
	// Output:
	// script   0 ms  02 00
	// video    0 ms  17 00
	// audio    0 ms  af 00
	// video    0 ms  17 01
	// audio   40 ms  af 01
}

// The header of a frame goes in a small buffer and the payload is sent as
// it is, without copying, as an RTMP client does.
func ExampleAppendAVCPacketHeader() {
	frame := []byte{0, 0, 0, 2, 0x41, 0x9a} // AVCC: one 2-byte NAL unit
	var hdr [flv.AVCPacketHeaderSize]byte
	bufs := net.Buffers{flv.AppendAVCPacketHeader(hdr[:0], false, 0), frame}
	var msg bytes.Buffer
	_, _ = bufs.WriteTo(&msg)
	fmt.Printf("% x\n", msg.Bytes())
	// Output: 27 01 00 00 00 00 00 00 02 41 9a
}
