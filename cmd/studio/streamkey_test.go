package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveKeys(t *testing.T) {
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == keyEnv {
				return v
			}
			return ""
		}
	}
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("  from-file-123 \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, keyFile, env string
		link, wantLink     string
		urls               []string
		want               []string
		warnings           int
		err                string
	}{
		{name: "env", env: "abc123", urls: []string{"rtmp://a/live", "rtmps://b:443/rtmp/"},
			want: []string{"rtmp://a/live/abc123", "rtmps://b:443/rtmp/abc123"}},
		{name: "file over env", keyFile: file, env: "abc123", urls: []string{"rtmp://a/app"}, want: []string{"rtmp://a/app/from-file-123"}},
		{name: "key in the URL", env: "abc123", urls: []string{"rtmp://a/live/k1", "rtmp://b/live/k2?x=y", "rtmp://c/live"},
			want: []string{"rtmp://a/live/k1", "rtmp://b/live/k2?x=y", "rtmp://c/live/abc123"}, warnings: 1},
		{name: "no key anywhere", urls: []string{"rtmp://a/live"}, err: "-url rtmp://a/… has no stream key"},
		{name: "a secret before the host", urls: []string{"rtmp://sk_123@a/live"}, err: "-url the URL… has no stream key"},
		{name: "missing file", keyFile: file + ".no", urls: []string{"rtmp://a/live"}, err: "-key-file: open"},
		{name: "no URL", env: "abc123"},
		{name: "a URL that cannot be used", urls: []string{"http://a/live/k"}, want: []string{"http://a/live/k"}},
		{name: "link test", env: "abc123", link: "rtmp://a/app", wantLink: "rtmp://a/app/abc123"},
		{name: "link test with its key", env: "abc123", link: "rtmp://a/app/k", wantLink: "rtmp://a/app/k", warnings: 1},
	} {
		o := options{urls: append(urlList(nil), c.urls...), keyFile: c.keyFile, testLink: c.link}
		var stderr bytes.Buffer
		err := o.resolveKeys(env(c.env), &stderr)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.err)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if o.testLink != c.wantLink {
			t.Errorf("%s: -test-link %q, want %q", c.name, o.testLink, c.wantLink)
		}
		if strings.Join(o.urls, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: urls %v, want %v", c.name, o.urls, c.want)
		}
		if got := strings.Count(stderr.String(), keyOnCommandLine); got != c.warnings {
			t.Errorf("%s: %d warnings, want %d", c.name, got, c.warnings)
		}
	}
}
