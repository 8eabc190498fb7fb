package amf0

import "testing"

// BenchmarkMarshalConnect encodes a connect command like OBS's.
func BenchmarkMarshalConnect(b *testing.B) {
	cmd := Object{
		{"app", "live2"},
		{"type", "nonprivate"},
		{"flashVer", "FMLE/3.0 (compatible; FMSc/1.0)"},
		{"swfUrl", "rtmp://live.twitch.tv/app"},
		{"tcUrl", "rtmp://live.twitch.tv/app"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal("connect", 1.0, cmd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendConnect encodes the same command into a reused buffer.
func BenchmarkAppendConnect(b *testing.B) {
	cmd := Object{
		{"app", "live2"},
		{"type", "nonprivate"},
		{"flashVer", "FMLE/3.0 (compatible; FMSc/1.0)"},
		{"swfUrl", "rtmp://live.twitch.tv/app"},
		{"tcUrl", "rtmp://live.twitch.tv/app"},
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf = buf[:0]
		for _, v := range []any{"connect", 1.0, cmd} {
			if buf, err = AppendValue(buf, v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkUnmarshalOnStatus(b *testing.B) {
	wire := fromHex(b, fixtures[5].wire)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if _, err := Unmarshal(wire); err != nil {
			b.Fatal(err)
		}
	}
}
