package rtmp

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"studio/publish/rtmp/wire"
)

// Default ports.
const (
	DefaultPort    = 1935
	DefaultTLSPort = 443
)

// URL is a parsed publish URL: rtmp[s]://host[:port]/app[/instance]/key.
//
// The stream key is a secret: String, GoString and Redacted show it as
// "****", and no error or log line of this package contains it. Only
// StreamKey returns it.
type URL struct {
	Scheme string // "rtmp" or "rtmps"
	Host   string // host name or IP address, without brackets
	Port   int    // explicit or default port
	App    string // application, for example "live" or "live/instance"

	explicitPort bool
	key          string // playpath, including any query string
}

// ParseURL parses rawURL. The application is the first path segment, or the
// first two when there are three or more (FFmpeg's convention: a second
// segment containing ':' such as "mp4:x" belongs to the key); the stream key
// is the rest of the path plus any query string ("name?key=secret" is one
// key). Errors wrap wire.ErrBadURL and never quote the key.
func ParseURL(rawURL string) (URL, error) {
	var u URL
	rawURL = strings.TrimSpace(rawURL)
	if strings.ContainsFunc(rawURL, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return u, badURL("it contains a space or a control character (was it pasted with a line break?)")
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return u, badURL("it must start with rtmp:// or rtmps://")
	}
	u.Scheme = strings.ToLower(scheme)
	switch u.Scheme {
	case "rtmp":
		u.Port = DefaultPort
	case "rtmps":
		u.Port = DefaultTLSPort
	default:
		return u, badURL("unsupported scheme %q: use rtmp:// or rtmps://", scheme)
	}

	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if strings.Contains(authority, "@") {
		return u, badURL("user names and passwords in the URL are not supported")
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.Index(authority, "]")
		if end < 0 {
			return u, badURL("unterminated IPv6 address in the host")
		}
		host = authority[1:end]
		switch after := authority[end+1:]; {
		case after == "":
		case strings.HasPrefix(after, ":"):
			port = after[1:]
			u.explicitPort = true
		default:
			return u, badURL("unexpected text after the IPv6 address")
		}
	} else if i := strings.LastIndex(authority, ":"); i >= 0 {
		host, port = authority[:i], authority[i+1:]
		u.explicitPort = true
		if strings.Contains(host, ":") {
			return u, badURL("an IPv6 address must be in brackets, as in rtmp://[::1]:1935/app/key")
		}
	}
	if host == "" {
		return u, badURL("the server host name is missing")
	}
	if strings.ContainsAny(host, " \t/\\") {
		return u, badURL("invalid host name %q", host)
	}
	u.Host = host
	if u.explicitPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(port, "+") {
			if len(port) > 5 {
				return u, badURL("invalid port (want 1 to 65535)") // too long to be one: do not echo it
			}
			return u, badURL("invalid port %q (want 1 to 65535)", port)
		}
		u.Port = n
	}

	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i:]
	}
	path = strings.Trim(path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(path, "/")
	}
	if len(segs) == 0 {
		return u, badURL("the application name and stream key are missing: the URL must look like %s://host/app/key", u.Scheme)
	}
	for _, s := range segs {
		if s == "" {
			return u, badURL("the path has an empty segment (two slashes in a row)")
		}
	}
	if len(segs) == 1 {
		// Do not echo the segment: it may be a key pasted without the app.
		return u, badURL("the application name or the stream key is missing: the URL must look like %s://host/app/key", u.Scheme)
	}
	napp := 1
	if len(segs) >= 3 && !strings.Contains(segs[1], ":") {
		napp = 2
	}
	u.App = strings.Join(segs[:napp], "/")
	u.key = strings.Join(segs[napp:], "/") + query
	return u, nil
}

func badURL(format string, args ...any) error {
	return fmt.Errorf("%w: %s", wire.ErrBadURL, fmt.Sprintf(format, args...))
}

// StreamKey returns the stream key (the playpath), query string included.
// It is a secret: do not log it.
func (u URL) StreamKey() string { return u.key }

// Addr returns host:port for dialing.
func (u URL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// hostPort is the authority as written: the port only if it was explicit.
func (u URL) hostPort() string {
	if u.explicitPort {
		return u.Addr()
	}
	if strings.Contains(u.Host, ":") {
		return "[" + u.Host + "]"
	}
	return u.Host
}

// TCURL returns the tcUrl sent in connect: scheme://host[:port]/app.
func (u URL) TCURL() string { return u.Scheme + "://" + u.hostPort() + "/" + u.App }

// Redacted returns the URL with the stream key replaced by "****".
func (u URL) Redacted() string {
	if u.Scheme == "" {
		return ""
	}
	return u.TCURL() + "/****"
}

// String is Redacted: a URL never prints its key.
func (u URL) String() string { return u.Redacted() }

// GoString is Redacted too, so that %#v does not leak the key.
func (u URL) GoString() string { return "rtmp.URL(" + strconv.Quote(u.Redacted()) + ")" }

// redact replaces the stream key, and its query string alone, in s, as
// written and URL-escaped.
func (u URL) redact(s string) string {
	if u.key == "" {
		return s
	}
	secrets := []string{u.key}
	if _, query, ok := strings.Cut(u.key, "?"); ok && query != "" {
		secrets = append(secrets, query)
	}
	for _, k := range secrets {
		for _, form := range []string{k, url.QueryEscape(k), url.PathEscape(k)} {
			s = strings.ReplaceAll(s, form, "****")
		}
	}
	return s
}
