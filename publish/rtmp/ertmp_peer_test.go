package rtmp

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/encode"
	"studio/internal/testpeer"
	"studio/publish/flv/flvtest"
	"studio/publish/rtmp/wire"
)

// publishClip publishes a whole clip to url and closes the stream.
func publishClip(t *testing.T, url string, clip flvtest.Clip) {
	t.Helper()
	ctx := context.Background()
	s, err := Publish(ctx, url, Options{VideoCodec: clip.Config.Codec})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := s.WriteHeader(encode.StreamInfo{Video: clip.Config}); err != nil {
		t.Fatalf("WriteHeader: %v", err)
	}
	for i, f := range clip.Packets {
		if err := s.WritePacket(f.Packet()); err != nil {
			t.Fatalf("WritePacket %d: %v", i, err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// HEVC and AV1, published through our client to an independent Enhanced
// RTMP implementation (gortmplib), arrive whole: every frame, the
// keyframes, and a file that FFmpeg decodes without an error to as many
// frames of the right size.
func TestERTMPPeerReceives(t *testing.T) {
	defer goleak.VerifyNone(t)
	ffprobe := testpeer.Require(t, "ffmpeg", "ffprobe")[1]
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		t.Run(c.String(), func(t *testing.T) {
			srv := testpeer.StartERTMPServer(t)
			clip := flvtest.MustLoad(c)
			publishClip(t, srv.URL+"/key", clip)
			got, err := srv.Wait(20 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got.Err != nil {
				t.Fatalf("server: %v", got.Err)
			}
			if want := []string{c.FourCC(), "avc1"}; !slices.Equal(got.ClientFourCCs, want) {
				t.Errorf("client declared %q, want %q", got.ClientFourCCs, want)
			}
			if got.Codec != c.String() || got.Frames != len(clip.Packets) || got.Keyframes != 3 {
				t.Errorf("received %s, %d frames, %d keyframes; want %s, %d, 3", got.Codec, got.Frames, got.Keyframes, c, len(clip.Packets))
			}
			if errs := testpeer.DecodeErrors(t, got.File); errs != "" {
				t.Errorf("ffmpeg decoding %s: %s", got.File, errs)
			}
			out, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
				"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", got.File).Output()
			if err != nil {
				t.Fatalf("ffprobe: %v", err)
			}
			if want := c.String() + ",160,96,30"; strings.TrimSpace(string(out)) != want {
				t.Errorf("ffprobe: %q, want %q", out, want)
			}
		})
	}
}

// A server whose connect answer declares only avc1 makes an HEVC or AV1
// publish fail with ErrCodecRefused, and the client sends nothing more
// than connect's follow-up: no createStream, no publish.
func TestERTMPPeerRefusesCodec(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
		srv := testpeer.StartERTMPServerWith(t, testpeer.ERTMPOptions{Declare: []string{"avc1"}})
		_, err := Publish(context.Background(), srv.URL+"/key", Options{VideoCodec: c})
		if !errors.Is(err, wire.ErrCodecRefused) {
			t.Fatalf("%s: Publish = %v, want ErrCodecRefused", c, err)
		}
		t.Logf("%s: %v", c, err)
		got, werr := srv.Wait(10 * time.Second)
		if werr != nil {
			t.Fatal(werr)
		}
		if slices.Contains(got.Commands, "publish") || slices.Contains(got.Commands, "createStream") {
			t.Errorf("%s: the client went on after the refusal: %q", c, got.Commands)
		}
	}
}

// nginx-rtmp and FFmpeg's RTMP server do not speak Enhanced RTMP: nginx
// takes an HEVC stream and records no frame of it. Neither declares its
// codecs, and both answer connect with fmsVer FMS/3,0,1,123: HEVC and AV1
// are refused before publishing, with an error that names the codec and
// says to use H.264, which still goes through.
func TestLegacyServersRefuseHEVCAndAV1(t *testing.T) {
	n := testpeer.StartNginx(t)
	ff := testpeer.StartFFmpegServer(t)
	ctx := context.Background()
	for _, srv := range []struct{ name, url string }{{"nginx-rtmp", n.RTMPURL + "/ertmp"}} {
		for _, c := range []encode.VideoCodec{encode.HEVC, encode.AV1} {
			s, err := Publish(ctx, srv.url, Options{VideoCodec: c})
			if err == nil {
				_ = s.Close(ctx)
				t.Fatalf("%s: %v published", srv.name, c)
			}
			if !errors.Is(err, wire.ErrCodecRefused) || !strings.Contains(err.Error(), c.FourCC()) || !strings.Contains(err.Error(), "use H.264") {
				t.Errorf("%s, %v: %v", srv.name, c, err)
			}
		}
	}
	// FFmpeg's server (one publisher at a time) answers the same way.
	if _, err := Publish(ctx, ff.URL, Options{VideoCodec: encode.HEVC}); !errors.Is(err, wire.ErrCodecRefused) {
		t.Errorf("ffmpeg -listen: HEVC: %v", err)
	}
	s, err := Publish(ctx, n.RTMPURL+"/h264", Options{VideoCodec: encode.H264})
	if err != nil {
		t.Fatalf("nginx-rtmp: H.264: %v", err)
	}
	_ = s.Close(ctx)
}
