package app

import "testing"

func TestSuggest(t *testing.T) {
	const (
		fast   = 1e9                   // any rung
		p720   = 1280 * 720 * 30 / 0.6 // exactly 720p30
		p540   = 960 * 540 * 30 / 0.6  // exactly 540p30
		slow   = 1e6                   // not even 360p30
		noInfo = 0                     // unknown: no CPU limit
	)
	for _, c := range []struct {
		name      string
		upload    float64
		pixelRate float64
		want      Suggestion
	}{
		{"3 Mbit/s link", 3000, fast, Suggestion{2100, 1280, 720, 30}},
		{"2.9 Mbit/s measured", 2900, fast, Suggestion{2000, 1280, 720, 30}},
		{"fast link", 20000, fast, Suggestion{6000, 1920, 1080, 60}},
		{"1080p60 threshold", (5500 + 128) / 0.75, fast, Suggestion{5500, 1920, 1080, 60}},
		{"just below 1080p60", 7400, fast, Suggestion{5400, 1920, 1080, 30}},
		{"720p60", 5000, fast, Suggestion{3600, 1280, 720, 60}},
		{"540p", 2000, fast, Suggestion{1350, 960, 540, 30}},
		{"480p", 1500, fast, Suggestion{950, 854, 480, 30}},
		{"360p", 1000, fast, Suggestion{600, 640, 360, 30}},
		{"slow link: the floor", 200, fast, Suggestion{MinSuggestedKbps, 640, 360, 30}},
		{"no link at all", 0, fast, Suggestion{MinSuggestedKbps, 640, 360, 30}},
		{"CPU caps a fast link at 720p30", 20000, p720, Suggestion{4500, 1280, 720, 30}},
		{"CPU just below 720p30", 20000, p720 - 1, Suggestion{2500, 960, 540, 30}},
		{"CPU caps at 540p30", 3000, p540, Suggestion{2100, 960, 540, 30}},
		{"CPU too slow for anything", 3000, slow, Suggestion{1000, 640, 360, 30}},
		{"CPU unknown", 20000, noInfo, Suggestion{6000, 1920, 1080, 60}},
	} {
		if got := Suggest(c.upload, c.pixelRate); got != c.want {
			t.Errorf("%s: Suggest(%v, %v) = %+v, want %+v", c.name, c.upload, c.pixelRate, got, c.want)
		}
	}
}

// TestSuggestHeadroom checks the promise over a range of links: the video
// gets 60 to 80% of a link from 2 Mbit/s up to the cap, and the stream
// (with audio) never more than LinkHeadroom.
func TestSuggestHeadroom(t *testing.T) {
	for up := 2000.0; up <= 8000; up += 100 {
		s := Suggest(up, 0)
		if r := float64(s.VideoKbps) / up; r < 0.6 || r > 0.8 {
			t.Errorf("Suggest(%v): %d kbit/s, %.0f%% of the link", up, s.VideoKbps, 100*r)
		}
		if float64(s.VideoKbps+LinkAudioKbps) > LinkHeadroom*up {
			t.Errorf("Suggest(%v): %d + %d kbit/s is more than %.0f%% of the link", up, s.VideoKbps, LinkAudioKbps, 100*LinkHeadroom)
		}
	}
	// The ladder's promise: each rung makes use of what the rung above
	// needs, so the bitrate grows with the link without a step down.
	for i, r := range ladder[1:] {
		if above := ladder[i]; r.maxKbps < above.minKbps || r.minKbps >= above.minKbps {
			t.Errorf("%dx%d@%d (%d to %d kbit/s) does not fit below %dx%d@%d (from %d)", r.w, r.h, r.fps, r.minKbps, r.maxKbps, above.w, above.h, above.fps, above.minKbps)
		}
	}
}

func TestStartKbpsFromTheLastLinkTest(t *testing.T) {
	known := func(kbps int) func(string) (int, bool) {
		return func(string) (int, bool) { return kbps, kbps > 0 }
	}
	for _, c := range []struct {
		upload, video, want int
	}{
		{0, 2500, 0},      // never tested: the user's target
		{1000, 2500, 672}, // 80% of 1000, less 128 of audio
		{5000, 2500, 0},   // room enough: the target
		{200, 2500, 100},  // a floor
		{3285, 2500, 0},   // exactly enough: the target
	} {
		got := startKbps("rtmp://h/app/k", c.video, 128, known(c.upload))
		if c.want == c.video {
			c.want = 0
		}
		if got != c.want {
			t.Errorf("upload %d, target %d: start at %d, want %d", c.upload, c.video, got, c.want)
		}
	}
}
