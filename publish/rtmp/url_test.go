package rtmp

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"studio/publish/rtmp/wire"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		raw                    string
		scheme, host           string
		port                   int
		app, key, tcURL, redac string
	}{
		{"rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmp", "a.rtmp.youtube.com", 1935, "live2", "abcd-efgh",
			"rtmp://a.rtmp.youtube.com/live2", "rtmp://a.rtmp.youtube.com/live2/****"},
		{"rtmps://live-api-s.facebook.com:443/rtmp/FB-123-0-Ab", "rtmps", "live-api-s.facebook.com", 443, "rtmp", "FB-123-0-Ab",
			"rtmps://live-api-s.facebook.com:443/rtmp", "rtmps://live-api-s.facebook.com:443/rtmp/****"},
		{"rtmps://host/app/key", "rtmps", "host", 443, "app", "key", "rtmps://host/app", "rtmps://host/app/****"},
		{"rtmp://127.0.0.1:1936/auth/name?key=secret", "rtmp", "127.0.0.1", 1936, "auth", "name?key=secret",
			"rtmp://127.0.0.1:1936/auth", "rtmp://127.0.0.1:1936/auth/****"},
		{"rtmp://host/app/instance/key", "rtmp", "host", 1935, "app/instance", "key", "rtmp://host/app/instance", "rtmp://host/app/instance/****"},
		{"rtmp://host/app/inst/a/b", "rtmp", "host", 1935, "app/inst", "a/b", "rtmp://host/app/inst", "rtmp://host/app/inst/****"},
		{"rtmp://host/vod/mp4:dir/file.mp4", "rtmp", "host", 1935, "vod", "mp4:dir/file.mp4", "rtmp://host/vod", "rtmp://host/vod/****"},
		{"RTMP://Host/live/key/", "rtmp", "Host", 1935, "live", "key", "rtmp://Host/live", "rtmp://Host/live/****"},
		{"  rtmp://host/live/key?a=1&b=2  ", "rtmp", "host", 1935, "live", "key?a=1&b=2", "rtmp://host/live", "rtmp://host/live/****"},
		{"rtmp://[::1]:1935/live/key", "rtmp", "::1", 1935, "live", "key", "rtmp://[::1]:1935/live", "rtmp://[::1]:1935/live/****"},
		{"rtmp://[::1]/live/key", "rtmp", "::1", 1935, "live", "key", "rtmp://[::1]/live", "rtmp://[::1]/live/****"},
	} {
		u, err := ParseURL(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if u.Scheme != tc.scheme || u.Host != tc.host || u.Port != tc.port || u.App != tc.app || u.StreamKey() != tc.key ||
			u.TCURL() != tc.tcURL || u.Redacted() != tc.redac || u.String() != tc.redac {
			t.Errorf("%s: got %s %s %d %s %q %s %s", tc.raw, u.Scheme, u.Host, u.Port, u.App, u.StreamKey(), u.TCURL(), u.Redacted())
		}
		for _, s := range []string{fmt.Sprint(u), fmt.Sprintf("%v %+v %#v %s", u, u, u, u)} {
			if strings.Contains(s, tc.key) {
				t.Errorf("%s: formatting leaks the key: %s", tc.raw, s)
			}
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", "rtmp://"},
		{"live/key", "rtmp://"},
		{"http://host/live/key", "unsupported scheme"},
		{"rtmpe://host/live/key", "unsupported scheme"},
		{"rtmp:///live/key", "host name is missing"},
		{"rtmp://:1935/live/key", "host name is missing"},
		{"rtmp://host:0/live/key", "invalid port"},
		{"rtmp://host:65536/live/key", "invalid port"},
		{"rtmp://host:x/live/key", "invalid port"},
		{"rtmp://host:/live/key", "invalid port"},
		{"rtmp://host", "missing"},
		{"rtmp://host/", "missing"},
		{"rtmp://host/live", "missing"},
		{"rtmp://host/live/", "missing"},
		{"rtmp://host/live?key=secret", "missing"},
		{"rtmp://host/live//key", "empty segment"},
		{"rtmp://user:pw@host/live/key", "not supported"},
		{"rtmp://[::1/live/key", "IPv6"},
		{"rtmp://::1/live/key", "brackets"},
		{"rtmp://::1:1935/live/key", "brackets"},
		{"rtmp://[::1]x/live/key", "after the IPv6"},
		{"rtmp://[]/live/key", "host name is missing"},
		{"rtmp://host live/live/key", "space"},
		{"rtmp://host/live/key with spaces", "space"},
		{"rtmp://host/live/key\nrtmp://other/live/key", "control character"},
		{"rtmp://host:1935x/live/key", "invalid port"},
		{"rtmp://host:-1/live/key", "invalid port"},
		{"rtmp://host:+80/live/key", "invalid port"},
	} {
		_, err := ParseURL(tc.raw)
		if !errors.Is(err, wire.ErrBadURL) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want ErrBadURL mentioning %q", tc.raw, err, tc.want)
		}
		if err != nil && strings.Contains(tc.raw, "secret") && strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error leaks the key: %v", tc.raw, err)
		}
	}
}

func TestRedactStatus(t *testing.T) {
	u, _ := ParseURL("rtmp://h/live/name?key=secret")
	if got := u.redact("name?key=secret is now published, key=secret, name%3Fkey%3Dsecret, key%3Dsecret"); strings.Contains(got, "secret") {
		t.Errorf("redact: %s", got)
	}
}

// TestParseURLErrorsHideTheKey: whatever is wrong with a URL, the error
// does not show the stream key, or anything pasted where a key might be.
func TestParseURLErrorsHideTheKey(t *testing.T) {
	const key = "sk_live_Zq8vR2"
	for _, raw := range []string{
		"rtmp//host/live/" + key,
		"http://host/live/" + key,
		"rtmp://host:99999/live/" + key,
		"rtmp://host:1935" + key + "/live/x",
		"rtmp://host/live//" + key,
		"rtmp://host/live/ " + key,
		"rtmp://ho st/live/" + key,
		"rtmp://::1/live/" + key,
		"rtmp://[::1/live/" + key,
		"rtmp://" + key + "@host/live/x",
		"rtmp://user:" + key + "@host/live/x",
		"rtmp:///live/" + key,
		"rtmp://host/" + key,
		"rtmp://host?" + key,
	} {
		_, err := ParseURL(raw)
		if !errors.Is(err, wire.ErrBadURL) {
			t.Errorf("%q: err = %v, want ErrBadURL", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "Zq8vR2") {
			t.Errorf("%q: error shows the key: %v", raw, err)
		}
	}
}
