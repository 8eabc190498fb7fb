package rtmp

// Where a server's reconnect request points: the tcUrl it names, joined
// with the stream key of the URL being published.

import (
	"strings"
)

// WithTCURL returns u moved to tcURL, the tcUrl of a server's reconnect
// request (scheme://host[:port]/app): its scheme, host, port and
// application replace u's, and u's stream key is kept. An empty tcURL
// returns u. The whole path of tcURL is the application, however many
// segments it has. Errors wrap wire.ErrBadURL and never quote the key;
// tcURL comes from the server, so it may be anything.
func (u URL) WithTCURL(tcURL string) (URL, error) {
	tcURL = strings.TrimSpace(tcURL)
	if tcURL == "" {
		return u, nil
	}
	if strings.ContainsAny(tcURL, "?#") {
		return URL{}, badURL("the server's tcUrl has a query string, which studio does not send")
	}
	// Parse it as a publish URL with a placeholder key, which validates the
	// scheme, host and port as for any URL.
	const placeholder = "k"
	t, err := ParseURL(strings.TrimRight(tcURL, "/") + "/" + placeholder)
	if err != nil {
		return URL{}, err
	}
	// ParseURL's application has one or two segments; the rest went to
	// the key. Here every segment before the placeholder is the
	// application.
	if t.key != placeholder {
		t.App += "/" + strings.TrimSuffix(t.key, "/"+placeholder)
	}
	t.key = u.key
	return t, nil
}
