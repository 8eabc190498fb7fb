package testpeer

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/hevc"
	"studio/publish/rtmp"
)

// The whole chain: frames from the synthetic pattern, encoded by
// encode/hevc, published by our RTMP client in the Enhanced RTMP form,
// received by gortmplib and written out by the test server, decode with
// FFmpeg to every frame, at the right size.
func TestERTMPServerReceivesEncodedHEVC(t *testing.T) {
	defer goleak.VerifyNone(t)
	ffprobe := Require(t, "ffmpeg", "ffprobe")[1]
	src, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: 320, Height: 180, FPS: 30}, synth.Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := hevc.New(src, hevc.Config{KeyInterval: time.Second, BitrateKbps: 300})
	if err != nil {
		src.Close()
		t.Fatal(err)
	}
	defer enc.Close()

	srv := StartERTMPServer(t)
	ctx := context.Background()
	s, err := rtmp.Publish(ctx, srv.URL+"/enc", rtmp.Options{VideoCodec: encode.HEVC})
	if err != nil {
		t.Fatal(err)
	}
	const frames = 75 // 2.5 s: gortmplib reads 2 s before it names the tracks
	var base time.Duration
	for i := range frames {
		p, err := enc.ReadPacket(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := s.WriteHeader(encode.StreamInfo{Video: enc.Config()}); err != nil {
				t.Fatal(err)
			}
			base = p.DTS
		}
		p.PTS, p.DTS = p.PTS-base, p.DTS-base
		err = s.WritePacket(p)
		p.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.Err != nil || got.Codec != "hevc" || got.Frames != frames || got.Keyframes != 3 {
		t.Fatalf("server got %s, %d frames, %d keyframes, err %v; want hevc, %d, 3", got.Codec, got.Frames, got.Keyframes, got.Err, frames)
	}
	if errs := DecodeErrors(t, got.File); errs != "" {
		t.Errorf("ffmpeg: %s", errs)
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", got.File).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "hevc,320,180,75"; strings.TrimSpace(string(out)) != want {
		t.Errorf("ffprobe %q, want %q", out, want)
	}
}
