package linktest

import "testing"

func TestBandwidthTestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"rtmp://live.twitch.tv/app/live_1_abc", "rtmp://live.twitch.tv/app/live_1_abc?bandwidthtest=true"},
		{"rtmps://ingest.global-contribute.live-video.net/app/live_1_abc", "rtmps://ingest.global-contribute.live-video.net/app/live_1_abc?bandwidthtest=true"},
		{"rtmp://fra05.contribute.live-video.net/app/live_1_abc", "rtmp://fra05.contribute.live-video.net/app/live_1_abc?bandwidthtest=true"},
		{"rtmp://LIVE-FRA.TWITCH.TV:1935/app/k", "rtmp://LIVE-FRA.TWITCH.TV:1935/app/k?bandwidthtest=true"},
		{"rtmp://twitch.tv/app/k", "rtmp://twitch.tv/app/k?bandwidthtest=true"},
		// An existing query is kept and extended.
		{"rtmp://live.twitch.tv/app/k?foo=1", "rtmp://live.twitch.tv/app/k?foo=1&bandwidthtest=true"},
		{"rtmp://live.twitch.tv/app/k?", "rtmp://live.twitch.tv/app/k?bandwidthtest=true"},
		// Already a bandwidth test.
		{"rtmp://live.twitch.tv/app/k?bandwidthtest=true", "rtmp://live.twitch.tv/app/k?bandwidthtest=true"},
		{"rtmp://live.twitch.tv/app/k?a=b&bandwidthtest=true", "rtmp://live.twitch.tv/app/k?a=b&bandwidthtest=true"},
		// Not Twitch: untouched.
		{"rtmp://a.rtmp.youtube.com/live2/k", "rtmp://a.rtmp.youtube.com/live2/k"},
		{"rtmp://nottwitch.tv/app/k", "rtmp://nottwitch.tv/app/k"},
		{"rtmp://twitch.tv.example.com/app/k", "rtmp://twitch.tv.example.com/app/k"},
		{"rtmp://contribute.live-video.net.evil/app/k", "rtmp://contribute.live-video.net.evil/app/k"},
		{"rtmp://127.0.0.1:1935/live/k?x=1", "rtmp://127.0.0.1:1935/live/k?x=1"},
		{"not a url", "not a url"},
	} {
		if got := BandwidthTestURL(c.in); got != c.want {
			t.Errorf("BandwidthTestURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
