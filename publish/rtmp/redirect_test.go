package rtmp

import (
	"errors"
	"strings"
	"testing"

	"studio/publish/rtmp/wire"
)

func TestWithTCURL(t *testing.T) {
	for _, tc := range []struct {
		url, tcURL string
		want       string // TCURL of the result
		addr       string
	}{
		{"rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "", "rtmp://a.rtmp.youtube.com/live2", "a.rtmp.youtube.com:1935"},
		{"rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmp://b.rtmp.youtube.com/live2", "rtmp://b.rtmp.youtube.com/live2", "b.rtmp.youtube.com:1935"},
		{"rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmps://b.rtmps.youtube.com:443/live2/", "rtmps://b.rtmps.youtube.com:443/live2", "b.rtmps.youtube.com:443"},
		{"rtmp://127.0.0.1:1935/live/name?key=secret", "rtmp://127.0.0.1:2000/other", "rtmp://127.0.0.1:2000/other", "127.0.0.1:2000"},
		{"rtmp://host/app/key", "rtmp://[::1]:1936/a/b/c", "rtmp://[::1]:1936/a/b/c", "[::1]:1936"},
		{"rtmp://host/app/inst/a/b", "rtmp://other/x", "rtmp://other/x", "other:1935"},
	} {
		u, err := ParseURL(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := u.WithTCURL(tc.tcURL)
		if err != nil {
			t.Errorf("%s + %q: %v", tc.url, tc.tcURL, err)
			continue
		}
		if got.TCURL() != tc.want || got.Addr() != tc.addr || got.StreamKey() != u.StreamKey() {
			t.Errorf("%s + %q = %s %s key %q, want %s %s key %q", tc.url, tc.tcURL, got.TCURL(), got.Addr(), got.StreamKey(),
				tc.want, tc.addr, u.StreamKey())
		}
		if got.Redacted() != tc.want+"/****" {
			t.Errorf("%s + %q redacted as %s", tc.url, tc.tcURL, got.Redacted())
		}
	}
}

func TestWithTCURLErrors(t *testing.T) {
	u, err := ParseURL("rtmp://host/live/s3cret-key")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []string{"http://x/live", "rtmp://", "rtmp://host", "rtmp://host:99999/live", "rtmp://host/live?token=1", "live"} {
		_, err := u.WithTCURL(tc)
		if !errors.Is(err, wire.ErrBadURL) {
			t.Errorf("%q: %v, want ErrBadURL", tc, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the key: %v", tc, err)
		}
	}
}

// FuzzWithTCURL moves a URL to hostile tcUrls: no panic; a failure wraps
// ErrBadURL; a success keeps the stream key, and its tcUrl, joined with
// the key again, moves the URL to the same place.
func FuzzWithTCURL(f *testing.F) {
	// tcUrls as servers and clients write them in connect.
	for _, s := range []string{
		"rtmp://a.rtmp.youtube.com/live2",
		"rtmps://a.rtmps.youtube.com:443/live2",
		"rtmp://live.twitch.tv/app",
		"rtmps://live-api-s.facebook.com:443/rtmp/",
		"rtmp://127.0.0.1:1935/live",
		"rtmp://[::1]:1935/live/instance",
		"rtmp://localhost/vod/mp4:x",
		"",
	} {
		f.Add(s)
	}
	u, err := ParseURL("rtmp://origin.example/live/stream-key?auth=xyz")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tcURL string) {
		got, err := u.WithTCURL(tcURL)
		if err != nil {
			if !errors.Is(err, wire.ErrBadURL) {
				t.Fatalf("%q: %v, want ErrBadURL", tcURL, err)
			}
			return
		}
		if got.StreamKey() != u.StreamKey() {
			t.Fatalf("%q: key %q, want %q", tcURL, got.StreamKey(), u.StreamKey())
		}
		again, err := u.WithTCURL(got.TCURL())
		if err != nil || again.TCURL() != got.TCURL() || again.Addr() != got.Addr() {
			t.Fatalf("%q: moved to %s, then to its tcUrl: %s %v", tcURL, got.TCURL(), again.TCURL(), err)
		}
	})
}
