package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// nginx-rtmp does not speak Enhanced RTMP: HEVC is refused before
// publishing with an error that names the codec and says to use H.264.
func TestCodecRefusedByNginx(t *testing.T) {
	n := testpeer.StartNginx(t)
	r := studio(t, 30*time.Second, nil, append(small, "-codec", "hevc", "-url", n.RTMPURL+"/hevc-k3y")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	last := lastLine(r.stderr)
	if !strings.Contains(last, "HEVC") || !strings.Contains(last, "H.264") {
		t.Errorf("last line %q does not name the codec and H.264", last)
	}
	noSecret(t, r, "hevc-k3y")
}

// With -codec-fallback, the same refusal makes studio stream H.264, and
// say so.
func TestCodecFallbackToH264(t *testing.T) {
	n := testpeer.StartNginx(t)
	r := studio(t, 30*time.Second, nil, append(small, "-codec", "av1", "-codec-fallback", "-url", n.RTMPURL+"/fb-k3y1")...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "the server does not take AV1: falling back to H.264 (-codec-fallback)") {
		t.Errorf("no line says it fell back:\n%s", r.stderr)
	}
	n.Stop(t)
	recs := n.Recordings(t, "fb-k3y1")
	if len(recs) == 0 {
		t.Fatal("nothing recorded")
	}
	rec := testpeer.Probe(t, recs[len(recs)-1])
	if rec.VideoCodec != "h264" {
		t.Errorf("recorded %q video, want h264", rec.VideoCodec)
	}
}

// HEVC and AV1 at 512x288, 30 fps, 800 kbps reach an independent Enhanced
// RTMP server (gortmplib), and what it received decodes cleanly. Whether
// they keep real time at 720p is the benchmarks' question (see the
// README): x265 (ultrafast) and SVT-AV1 (preset 13) need most of two cores
// for it, and a shared test machine may have one. Here every frame slot
// must be accounted for, and a machine short of CPU may skip at most one
// in five. STUDIO_CODEC_SECONDS, STUDIO_CODEC_SIZE and STUDIO_CODEC_KBPS
// set the length (default 20 s), the size and the bitrate, as for the
// 60 s 720p30 2500 kbps run of the README.
func TestCodecsToEnhancedRTMPServer(t *testing.T) {
	secs, size, kbps := 20, "512x288", "800"
	if v, err := strconv.Atoi(os.Getenv("STUDIO_CODEC_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	if v := os.Getenv("STUDIO_CODEC_SIZE"); v != "" {
		size = v
	}
	if v := os.Getenv("STUDIO_CODEC_KBPS"); v != "" {
		kbps = v
	}
	for _, codec := range []string{"hevc", "av1"} {
		t.Run(codec, func(t *testing.T) {
			srv := testpeer.StartERTMPServer(t)
			r := studio(t, time.Duration(secs)*time.Second+60*time.Second, nil, "-headless", "-codec", codec,
				"-size", size, "-fps", "30", "-bitrate", kbps, "-duration", fmt.Sprintf("%ds", secs),
				"-url", srv.URL+"/"+codec, "-stats-json", "-")
			if r.code != 0 {
				t.Fatalf("exit %d", r.code)
			}
			got, err := srv.Wait(15 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got.Err != nil {
				t.Errorf("server: %v", got.Err)
			}
			// Every frame slot reaches the server unless the source
			// reported it skipped (a machine short of CPU), and at most half
			// are skipped (x265 and SVT-AV1 cost several times x264's CPU).
			skipped := finalStats(t, r.stdout).FramesSkipped
			fps := float64(got.Frames) / float64(secs)
			slots := float64(got.Frames+int(skipped)) / float64(secs)
			t.Logf("%s: %d frames (%d keyframes) and %d skipped in %d s: %.2f fps; %s", codec, got.Frames, got.Keyframes, skipped, secs, fps, lastLine(r.stdout))
			if got.Codec != codec || slots < 29.5 || fps < 15 {
				t.Errorf("the server got %q at %.2f fps (%.2f with the %d frames skipped at the source), want %s at ≥ 29.5 with skipped frames and ≥ 15 without", got.Codec, fps, slots, skipped, codec)
			}
			if errs := testpeer.DecodeErrors(t, got.File); errs != "" {
				t.Errorf("what the server received does not decode cleanly:\n%s", errs)
			}
		})
	}
}
