package flv

import (
	"bytes"
	"errors"
	"testing"

	"studio/encode"
)

// The AVC sequence header built from tiny.flv's SPS and PPS is the one
// FFmpeg wrote there.
func TestAVCSequenceHeaderMatchesFFmpeg(t *testing.T) {
	tags := readTiny(t)
	var ffmpeg []byte
	for _, tag := range tags {
		if tag.Type == TagVideo && tag.Data[1] == AVCSequenceHeader {
			ffmpeg = tag.Data
			break
		}
	}
	if ffmpeg == nil {
		t.Fatal("no AVC sequence header in tiny.flv")
	}
	sps, pps := parseAVCConfig(t, ffmpeg[5:])
	got, err := AppendAVCSequenceHeader(nil, encode.VideoConfig{SPS: sps, PPS: pps})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ffmpeg) {
		t.Fatalf("got    %x\nffmpeg %x", got, ffmpeg)
	}
}

func TestAVCSequenceHeader(t *testing.T) {
	tests := []struct {
		name     string
		sps, pps string
		want     string
	}{
		{
			// libx264 -preset ultrafast -tune zerolatency, as in tiny.flv.
			name: "Constrained Baseline",
			sps:  "6742c00ada0a37e4c044000003000400000300523c489a80",
			pps:  "68ce0fc8",
			want: `17 00 000000 // keyframe, AVC; sequence header; cts 0
				01     // configurationVersion
				42     // AVCProfileIndication 66 (Baseline)
				c0     // profile_compatibility (constraint_set0, 1)
				0a     // AVCLevelIndication 1.0
				ff     // 111111, lengthSizeMinusOne 3
				e1     // 111, 1 SPS
				0018 6742c00ada0a37e4c044000003000400000300523c489a80 // SPS
				01     // 1 PPS
				0004 68ce0fc8 // PPS`,
		},
		{
			// libx264 -preset medium -pix_fmt yuv420p; FFmpeg 5.1 wrote
			// the same bytes into its FLV.
			name: "High 4:2:0 8-bit",
			sps:  "6764000aacd9428df93011000003000100000300140f122596",
			pps:  "68ebe3cb22c0",
			want: `17 00 000000 01
				64     // profile 100 (High)
				00 0a  // compatibility, level 1.0
				ff e1
				0019 6764000aacd9428df93011000003000100000300140f122596 // SPS
				01 0006 68ebe3cb22c0 // PPS
				fd     // 111111, chroma_format 1 (4:2:0)
				f8     // 11111, bit_depth_luma_minus8 0
				f8     // 11111, bit_depth_chroma_minus8 0
				00     // numOfSequenceParameterSetExt`,
		},
		{
			// libx264 -preset medium -pix_fmt yuv422p10le; FFmpeg 5.1
			// wrote the same bytes into its FLV.
			name: "High 4:2:2 10-bit",
			sps:  "677a000ab6cd9428df9f011000000300100000030140f1225960",
			pps:  "68ebe3cb22c0",
			want: `17 00 000000 01
				7a     // profile 122 (High 4:2:2)
				00 0a ff e1
				001a 677a000ab6cd9428df9f011000000300100000030140f1225960 // SPS
				01 0006 68ebe3cb22c0 // PPS
				fe     // 111111, chroma_format 2 (4:2:2)
				fa     // 11111, bit_depth_luma_minus8 2
				fa     // 11111, bit_depth_chroma_minus8 2
				00     // numOfSequenceParameterSetExt`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := encode.VideoConfig{SPS: fromHex(t, tt.sps), PPS: fromHex(t, tt.pps)}
			got, err := AppendAVCSequenceHeader([]byte{0xee}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{0xee}, fromHex(t, tt.want)...); !bytes.Equal(got, want) {
				t.Fatalf("got  %x\nwant %x", got, want)
			}
		})
	}
}

func TestAVCSequenceHeaderErrors(t *testing.T) {
	sps := fromHex(t, "6742c00ada0a37e4c044000003000400000300523c489a80")
	pps := fromHex(t, "68ce0fc8")
	tests := []struct {
		name     string
		sps, pps []byte
	}{
		{"no SPS", nil, pps},
		{"short SPS", sps[:3], pps},
		{"SPS is a PPS", pps, pps},
		{"no PPS", sps, nil},
		{"PPS is an SPS", sps, sps},
		{"huge SPS", append(append([]byte{}, sps...), make([]byte, 1<<16)...), pps},
		{"High profile SPS that does not parse", []byte{0x67, 100, 0, 0x0a}, pps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{1, 2}
			got, err := AppendAVCSequenceHeader(dst, encode.VideoConfig{SPS: tt.sps, PPS: tt.pps})
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %v, want ErrBadConfig", err)
			}
			if !bytes.Equal(got, dst) {
				t.Fatalf("dst changed to %x", got)
			}
		})
	}
}
