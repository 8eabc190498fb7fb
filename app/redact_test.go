package app

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"studio/publish"
)

const testKey = "sk_live_Zq8kP3vT7+w=Q"

func TestRedactorHidesEveryForm(t *testing.T) {
	d := Destination{URL: "rtmp://127.0.0.1/live/cam?key=" + testKey}
	r := NewRedactor(d)
	key := "cam?key=" + testKey
	for _, form := range []string{key, url.QueryEscape(key), url.PathEscape(key), "key=" + testKey, url.QueryEscape("key=" + testKey)} {
		msg := "server said: " + form + " is refused"
		got := r.Redact(msg)
		if strings.Contains(got, "Zq8kP3vT7") {
			t.Errorf("Redact(%q) = %q: the key shows", msg, got)
		}
		if !strings.Contains(got, Mask) || !strings.HasPrefix(got, "server said: ") {
			t.Errorf("Redact(%q) = %q", msg, got)
		}
	}
	if got := r.Redact("nothing secret"); got != "nothing secret" {
		t.Errorf("Redact changed a line without a key: %q", got)
	}
}

func TestRedactorEdges(t *testing.T) {
	if got := (Redactor{}).Redact("a " + testKey); got != "a "+testKey {
		t.Errorf("the zero Redactor changed %q", got)
	}
	// A malformed URL has no secrets: it is never dialled, and its parse
	// error does not quote it.
	if s := (Destination{URL: "http://x/live/" + testKey}).Secrets(); s != nil {
		t.Errorf("secrets of a malformed URL: %q", s)
	}
	// Keys too short to replace without garbling every line are left.
	if got := (Redactor{}).WithKey("ab").Redact("tab"); got != "tab" {
		t.Errorf("a 2-character key was replaced: %q", got)
	}
	r := (Redactor{}).WithKey("  " + testKey + " ")
	if got := r.Redact("k=" + testKey); got != "k=****" {
		t.Errorf("WithKey: %q", got)
	}
	var buf bytes.Buffer
	if _, err := fmt.Fprintf(r.Writer(&buf), "line %s\n", url.QueryEscape(testKey)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "line ****\n" {
		t.Errorf("Writer wrote %q", buf.String())
	}
}

func TestDestination(t *testing.T) {
	d, err := ParseDestination("rtmps://host.example/live2/" + testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{d.Redacted(), d.String(), fmt.Sprint(d), fmt.Sprintf("%v %+v %#v", d, d, d)} {
		if strings.Contains(s, "Zq8kP3vT7") || !strings.Contains(s, "rtmps://host.example") {
			t.Errorf("a destination shows as %q", s)
		}
	}
	for _, bad := range []string{"", "http://x/live/" + testKey, "rtmp://x/" + testKey, "rtmp://x:99999/live/" + testKey} {
		_, err := ParseDestination(bad)
		if !errors.Is(err, publish.ErrBadURL) {
			t.Errorf("ParseDestination(%q) = %v, want ErrBadURL", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "Zq8kP3vT7") {
			t.Errorf("the error shows the key: %v", err)
		}
	}
	if got := (Destination{URL: "nope"}).Redacted(); got != Mask {
		t.Errorf("a malformed destination shows as %q", got)
	}
}

func TestServerURLs(t *testing.T) {
	if got := PublishURL(" rtmp://h/live/ ", " k3y "); got != "rtmp://h/live/k3y" {
		t.Errorf("PublishURL = %q", got)
	}
	for _, tc := range []struct {
		server  string
		tlsOnly bool
		ok      bool
	}{
		{"rtmp://h/live", false, true},
		{"rtmps://h:443/rtmp/", true, true},
		{"rtmp://h/live", true, false},
		{"http://h/live", false, false},
		{"rtmp://h", false, false},
		{"h/live", false, false},
	} {
		if err := CheckServer(tc.server, tc.tlsOnly); (err == nil) != tc.ok {
			t.Errorf("CheckServer(%q, %v) = %v", tc.server, tc.tlsOnly, err)
		}
	}
	for s, want := range map[string]bool{
		"rtmp://h/live":                      false,
		"rtmp://h/live?key=x":                true,
		"rtmp://h/live/live_123456_AbCdEfGh": true,
		"rtmp://h/live/instance":             false,
	} {
		if KeyInURL(s) != want {
			t.Errorf("KeyInURL(%q) = %v", s, !want)
		}
	}
}
