package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"studio/encode"
	"studio/publish"
	"studio/publish/rtmp"
)

// Destination is one place a session streams to: an RTMP or RTMPS publish
// URL, stream key included. It is a plain value, so that a session can
// have a list of them. URL is a secret: show Redacted instead.
type Destination struct {
	URL string
}

// ParseDestination checks rawURL and returns it as a Destination. Its
// error wraps publish.ErrBadURL and never shows the stream key.
func ParseDestination(rawURL string) (Destination, error) {
	d := Destination{URL: rawURL}
	if err := d.Validate(); err != nil {
		return Destination{}, err
	}
	return d, nil
}

// Validate says what is wrong with the URL (wrapping publish.ErrBadURL,
// without the key), or returns nil.
func (d Destination) Validate() error {
	_, err := rtmp.ParseURL(d.URL)
	return err
}

// Redacted is the URL with its stream key shown as ****: the only form of
// a destination that studio prints, logs or writes to a file.
func (d Destination) Redacted() string {
	u, err := rtmp.ParseURL(d.URL)
	if err != nil {
		return "****"
	}
	return u.Redacted()
}

// Secrets are the forms of the stream key that must never be shown: the
// key as typed, URL-escaped both ways, and its query string on its own.
// A URL that does not parse has none (it is never dialled, and its parse
// error does not quote it).
func (d Destination) Secrets() []string {
	u, err := rtmp.ParseURL(d.URL)
	if err != nil {
		return nil
	}
	return KeySecrets(u.StreamKey())
}

// KeySecrets returns the forms of a stream key that must never be shown:
// the key, its URL-escaped forms, and its query string ("name?key=x" has
// the secret "key=x") with its escaped forms. Keys shorter than 3
// characters are left alone: replacing them would garble every line.
func KeySecrets(key string) []string {
	key = strings.TrimSpace(key)
	if len(key) < 3 {
		return nil
	}
	var out []string
	add := func(secret string) {
		out = append(out, secret, url.QueryEscape(secret), url.PathEscape(secret))
	}
	add(key)
	if _, q, ok := strings.Cut(key, "?"); ok && len(q) >= 3 {
		add(q)
	}
	return out
}

// Dial returns the publish.DialFunc that connects to the destination over
// RTMP or RTMPS. The RTMP layer's diagnostics go to log (nil: nowhere);
// with a logger from NewLogger they reach the narration.
func (d Destination) Dial(log *slog.Logger) publish.DialFunc {
	return d.DialCodec(log, encode.H264)
}

// DialCodec is Dial for a stream of video codec c: HEVC and AV1 go out
// in Enhanced RTMP's form, declared to the server in connect, and a
// server that declares the codecs it takes without c refuses them with an
// error wrapping publish.ErrCodecRefused.
func (d Destination) DialCodec(log *slog.Logger, c encode.VideoCodec) publish.DialFunc {
	raw := d.URL
	return func(ctx context.Context, onStatus func(publish.Status)) (publish.Publisher, error) {
		return rtmp.Publish(ctx, raw, rtmp.Options{OnStatus: onStatus, Logger: log, VideoCodec: c})
	}
}

// RedialCodec is DialCodec for a destination that honours the server's
// reconnect request (see publish.Destination.Redial): its connections
// declare so in connect (Enhanced RTMP capsEx), pass the request on, and
// connect to the tcUrl asked for with the destination's stream key. A
// tcUrl that cannot be used fails with an error wrapping
// publish.ErrBadURL that does not show the key.
func (d Destination) RedialCodec(log *slog.Logger, c encode.VideoCodec) publish.RedialFunc {
	raw := d.URL
	return func(ctx context.Context, tcURL string, onStatus func(publish.Status), onRequest func(string)) (publish.Publisher, error) {
		u, err := rtmp.ParseURL(raw)
		if err != nil {
			return nil, err
		}
		if u, err = u.WithTCURL(tcURL); err != nil {
			return nil, fmt.Errorf("the server's reconnect request: %w", err)
		}
		return rtmp.PublishURL(ctx, u, rtmp.Options{OnStatus: onStatus, Logger: log, VideoCodec: c, OnReconnectRequest: onRequest})
	}
}

// String is Redacted, so that a Destination printed by mistake shows no
// key.
func (d Destination) String() string { return d.Redacted() }

// GoString is Redacted too, for %#v.
func (d Destination) GoString() string { return fmt.Sprintf("app.Destination{%s}", d.Redacted()) }

// PublishURL joins a server URL (rtmp[s]://host[:port]/app) and a stream
// key into a publish URL.
func PublishURL(server, key string) string {
	return strings.TrimRight(strings.TrimSpace(server), "/") + "/" + strings.TrimSpace(key)
}

// CheckServer says what is wrong with a server URL (without the key), or
// returns nil. With tlsOnly, only rtmps:// is accepted.
func CheckServer(server string, tlsOnly bool) error {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || u.Host == "" {
		return fmt.Errorf("enter the server as rtmp://host/app or rtmps://host/app")
	}
	switch u.Scheme {
	case "rtmp":
		if tlsOnly {
			return fmt.Errorf("this service accepts only rtmps://")
		}
	case "rtmps":
	default:
		return fmt.Errorf("the server must start with rtmp:// or rtmps://, not %s://", u.Scheme)
	}
	if strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("the server URL needs an application, as in rtmp://host/live")
	}
	return nil
}

// KeyInURL reports whether a server URL seems to carry a stream key: a
// query such as ?key=, or a last path segment after the application that
// looks random (long, mixing letters and digits).
func KeyInURL(server string) bool {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil {
		return false
	}
	q := strings.ToLower(u.RawQuery)
	if strings.Contains(q, "key=") || strings.Contains(q, "token=") || strings.Contains(q, "secret=") {
		return true
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) < 2 {
		return false
	}
	return looksRandom(segs[len(segs)-1])
}

// looksRandom is true for strings like "live_123456_AbCdEf" or
// "xxxx-xxxx-xxxx-xxxx": at least 12 characters with letters and digits.
func looksRandom(s string) bool {
	if len(s) < 12 {
		return false
	}
	var letters, digits int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters++
		}
	}
	return letters > 0 && digits > 0
}
