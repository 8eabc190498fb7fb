package rtmp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/encode"
	"studio/internal/testpeer"
	"studio/publish/flv"
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

// nginx-rtmp knows nothing of Enhanced RTMP: it ignores fourCcList and
// declares nothing, so an HEVC publish cannot be refused up front
// (ServerCodecs says so, and the client logs a warning). It takes the
// publish without a word, but reads the frame type from the high nibble of
// the first byte, where the IsExHeader bit makes it 9 or 10, never a
// keyframe: its recording stays an FLV header without a single tag (and
// its viewers, if they do not speak Enhanced RTMP, get no picture).
func TestNginxDropsHEVC(t *testing.T) {
	n := testpeer.StartNginx(t)
	clip := flvtest.MustLoad(encode.HEVC)
	var logs bytes.Buffer
	ctx := context.Background()
	s, err := Publish(ctx, n.RTMPURL+"/hevc", Options{VideoCodec: encode.HEVC, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if list, declared := s.ServerCodecs(); declared {
		t.Errorf("nginx declares %q", list)
	}
	if !strings.Contains(logs.String(), "use H.264") {
		t.Errorf("no warning logged:\n%s", logs.String())
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
	n.Stop(t)
	recs := n.Recordings(t, "hevc")
	if len(recs) != 1 {
		t.Fatalf("recordings %v\n%s", recs, n.ErrorLog())
	}
	b, err := os.ReadFile(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = flv.NewReader(bytes.NewReader(b)).ReadTag()
	if !errors.Is(err, io.EOF) {
		t.Errorf("nginx recorded %d bytes (first tag: %v); it used to record no tag of an HEVC stream", len(b), err)
	}
}
