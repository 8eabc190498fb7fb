package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"studio/app"
)

// keyEnv is the environment variable that may carry the stream key.
const keyEnv = "STUDIO_STREAM_KEY"

// keyOnCommandLine is the one warning given when a -url carries its key.
const keyOnCommandLine = "warning: the stream key is on the command line, where every user of this machine can read it (ps); " +
	"give the URL without it (rtmp://host/app) and the key with -key-file FILE or " + keyEnv

// resolveKeys completes the URLs (-url, -test-link) that have no stream
// key (rtmp://host/app)
// with the key from -key-file or, without it, from STUDIO_STREAM_KEY, and
// warns once on stderr when a URL carries its own key. The environment
// variable is cleared once read, so that no process started later
// inherits it. Errors never quote the key.
func (o *options) resolveKeys(getenv func(string) string, stderr io.Writer) error {
	type target struct {
		flag string
		url  *string
	}
	var targets []target
	for i := range o.urls {
		targets = append(targets, target{"-url", &o.urls[i]})
	}
	if o.testLink != "" {
		targets = append(targets, target{"-test-link", &o.testLink})
	}
	if len(targets) == 0 {
		return nil
	}
	key, from, err := outsideKey(o.keyFile, getenv)
	if err != nil {
		return err
	}
	warned := false
	for _, t := range targets {
		if hasKey(*t.url) {
			// A URL that cannot be used fails with its own error, alone.
			if !warned && (app.Destination{URL: *t.url}).Validate() == nil {
				fmt.Fprintf(stderr, "studio: %s\n", keyOnCommandLine)
				warned = true
			}
			continue
		}
		if key == "" {
			// Only the host is shown: the one path segment may be a key
			// pasted without its application.
			return fmt.Errorf("%s %s… has no stream key (rtmp://host/app/key): add it with -key-file FILE or %s, and check that the URL names the application", t.flag, serverOf(*t.url), keyEnv)
		}
		*t.url = app.PublishURL(*t.url, key)
	}
	if from == keyEnv {
		_ = os.Unsetenv(keyEnv)
	}
	return nil
}

// outsideKey reads the key from file, or else from the environment, and
// says where it came from.
func outsideKey(file string, getenv func(string) string) (key, from string, err error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", "", fmt.Errorf("-key-file: %w", err)
		}
		key = strings.TrimSpace(string(b))
		if key == "" || strings.ContainsAny(key, " \t\r\n") {
			return "", "", errors.New("-key-file: the file must hold the stream key alone, on one line")
		}
		return key, "-key-file", nil
	}
	return strings.TrimSpace(getenv(keyEnv)), keyEnv, nil
}

// serverOf is u up to its host: scheme://host[:port]/.
func serverOf(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "the URL"
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if strings.ContainsAny(host, "@ \t") {
		return "the URL" // it may hold a secret before the @
	}
	return scheme + "://" + host + "/"
}

// hasKey reports whether u names a stream after its application
// (rtmp://host/app/key). A URL that does not parse counts as having one:
// its own error says what is wrong.
func hasKey(u string) bool {
	rest := u
	if _, after, ok := strings.Cut(u, "://"); ok {
		rest = after
	}
	_, path, _ := strings.Cut(rest, "/")
	path, _, _ = strings.Cut(path, "?")
	path = strings.Trim(path, "/")
	return path == "" || strings.Contains(path, "/") || !strings.Contains(u, "://")
}
