package app

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
	"studio/publish"
)

func TestLinkCacheRoundTrip(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	const url = "rtmp://Live.Example.com/app/secretkey123"
	if _, ok := LastLinkKbps(url); ok {
		t.Fatal("LastLinkKbps found a result in an empty cache")
	}
	want := LinkReport{UploadKbps: 2870, RTTms: 12.5, SuggestedKbps: 2000, SuggestedSize: "1280x720", SuggestedFPS: 30}
	now := time.Now()
	if err := SaveLinkReport(url, want, now); err != nil {
		t.Fatal(err)
	}
	other := LinkReport{UploadKbps: 900}
	if err := SaveLinkReport("rtmps://other.example.com:443/app/k2", other, now); err != nil {
		t.Fatal(err)
	}
	path, err := LinkCachePath()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, mode %v, want 0600", err, fi.Mode())
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory: %v, mode %v, want 0700", err, fi.Mode())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "secretkey123") || !json.Valid(b) {
		t.Errorf("cache file holds a key or is not JSON:\n%s", b)
	}
	// Another key on the same host finds the same result.
	got, at, ok := LastLinkReport("rtmp://live.example.com/app/anotherkey")
	if !ok || got != want || !at.Equal(now.UTC().Round(time.Second)) {
		t.Errorf("LastLinkReport = %+v at %v (%v), want %+v at %v", got, at, ok, want, now)
	}
	if kbps, ok := LastLinkKbps(url); !ok || kbps != 2870 {
		t.Errorf("LastLinkKbps = %d, %v, want 2870", kbps, ok)
	}
	if kbps, ok := LastLinkKbps("rtmps://other.example.com/app/k"); !ok || kbps != 900 {
		t.Errorf("LastLinkKbps(other host) = %d, %v, want 900", kbps, ok)
	}
	if _, ok := LastLinkKbps("rtmp://third.example.com/app/k"); ok {
		t.Error("LastLinkKbps found a host never tested")
	}
	// An old result is no start for a stream.
	if err := SaveLinkReport(url, want, now.Add(-LinkCacheMaxAge-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := LastLinkKbps(url); ok {
		t.Error("LastLinkKbps used a result older than LinkCacheMaxAge")
	}
	if _, _, ok := LastLinkReport(url); !ok {
		t.Error("LastLinkReport lost the old result")
	}
	// A damaged file is replaced by the next save.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := LastLinkKbps(url); ok {
		t.Error("LastLinkKbps read a damaged file")
	}
	if err := SaveLinkReport(url, want, now); err != nil {
		t.Fatal(err)
	}
	if kbps, ok := LastLinkKbps(url); !ok || kbps != 2870 {
		t.Errorf("after a damaged file: LastLinkKbps = %d, %v", kbps, ok)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".link-*")); len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestLinkReportJSON(t *testing.T) {
	b, err := json.Marshal(LinkReport{UploadKbps: 1, RTTms: 2.5, SuggestedKbps: 3, SuggestedSize: "640x360", SuggestedFPS: 30, CPUTime: time.Second, CacheErr: errors.New("x")})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"upload_kbps":1,"rtt_ms":2.5,"suggested_kbps":3,"suggested_size":"640x360","suggested_fps":30}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

func TestTestLinkLoopback(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	n := testpeer.StartNginx(t)
	url := n.RTMPURL + "/preflight"
	// 2 s measured rather than the shortest 0.5 s: a sender stalled for
	// 100 ms on a busy machine then moves the figure by 5%, not 20%.
	r, err := TestLink(context.Background(), url, MinLinkTest+1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.UploadKbps < 15000 || !r.AtCeiling {
		t.Errorf("upload %d kbit/s on loopback (at ceiling %v), want about 20000", r.UploadKbps, r.AtCeiling)
	}
	if r.EncodeFPS <= 0 || r.EncodeSize != "1280x720" || r.EncodePreset != "veryfast" || r.CPUTime <= 0 {
		t.Errorf("encoder measure: %v fps at %s %s, CPU %v", r.EncodeFPS, r.EncodeSize, r.EncodePreset, r.CPUTime)
	}
	if want := Suggest(float64(r.UploadKbps), float64(1280*720)*r.EncodeFPS); r.SuggestedKbps != want.VideoKbps || r.SuggestedSize != want.Size() || r.SuggestedFPS != want.FPS {
		t.Errorf("suggestion %d %s@%d, want %+v", r.SuggestedKbps, r.SuggestedSize, r.SuggestedFPS, want)
	}
	if r.CacheErr != nil {
		t.Fatal(r.CacheErr)
	}
	if kbps, ok := LastLinkKbps(url); !ok || kbps != r.UploadKbps {
		t.Errorf("LastLinkKbps = %d, %v, want %d", kbps, ok, r.UploadKbps)
	}
}

func TestTestLinkRefused(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	n := testpeer.StartNginx(t)
	dest := Destination{URL: n.AuthURL + "/preflight?key=notthesecret"}
	_, err := TestLink(context.Background(), dest.URL, 0)
	if !errors.Is(err, publish.ErrRejected) {
		t.Fatalf("TestLink with a wrong key: %v, want publish.ErrRejected", err)
	}
	msg := NewRedactor(dest).Redact(Describe(err, dest))
	if strings.Contains(msg, "notthesecret") || !strings.Contains(msg, "check the stream key") {
		t.Errorf("message %q: want a hint about the key, and no key", msg)
	}
	if _, ok := LastLinkKbps(dest.URL); ok {
		t.Error("a refused test was saved")
	}
}

func TestTestLinkArguments(t *testing.T) {
	for _, c := range []struct {
		url string
		d   time.Duration
	}{
		{"http://example.com/app/k", 0},
		{"rtmp://127.0.0.1:1/app/k", 2 * time.Second},
		{"rtmp://127.0.0.1:1/app/k", 11 * time.Second},
	} {
		if _, err := TestLink(context.Background(), c.url, c.d); err == nil || errors.Is(err, publish.ErrConnect) {
			t.Errorf("TestLink(%q, %v) = %v, want an argument error before any connection", c.url, c.d, err)
		}
	}
}
