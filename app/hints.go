package app

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"studio/capture"
	"studio/publish"
)

// hints map errors to what to do about them, first match wins. Each is
// one sentence (clauses joined by ";"), so that it reads both on its own
// in the window and in parentheses at the end of a line on stderr.
var hints = []struct {
	match func(error) bool
	hint  string
}{
	{is(publish.ErrCodecRefused), "Stream H.264 to this server: -codec h264, or -codec-fallback to switch by itself."},
	{isStatus("BadName"), "Check the stream key, and that no other encoder is publishing to it."},
	{is(publish.ErrRejected), "Check the stream key and the application name in the server URL."},
	{func(err error) bool {
		return errors.Is(err, publish.ErrTLS) && strings.Contains(err.Error(), "another name")
	},
		"The certificate belongs to another host; check the host name in the URL."},
	{is(publish.ErrTLS), "The server's certificate is not trusted; if it is self-signed, start studio with SSL_CERT_FILE pointing at it."},
	{is(publish.ErrTimeout), "The server did not answer; check the host and port, and your network."},
	{is(publish.ErrConnect), "Check the host and port, and your network."},
	{is(publish.ErrProtocol), "The server does not speak RTMP as expected; check the URL's scheme (rtmp:// or rtmps://) and port."},
	{is(publish.ErrBadURL), "Check the server URL: rtmp://host[:port]/app or rtmps://host[:port]/app."},
	{is(capture.ErrNoDevice), "Check that the device is plugged in and not used by another program, or pick the test pattern or tone."},
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func isStatus(code string) func(error) bool {
	return func(err error) bool {
		var se *publish.StatusError
		return errors.As(err, &se) && strings.Contains(se.Status.Code, code)
	}
}

// Hint says what to do about err, in one sentence, or returns "" when
// there is nothing specific to say. The window shows it under the error;
// Describe puts it at the end of the line that headless mode prints.
func Hint(err error) string {
	if err == nil {
		return ""
	}
	for _, h := range hints {
		if h.match(err) {
			return h.hint
		}
	}
	return ""
}

// Describe is the one line that says what failed (the destination
// redacted) and what to do about it: "streaming to rtmp://host/app/****
// failed: … (check …)". dest is the zero Destination for a session that
// only records. The result may still quote a key the error carries: pass
// it through a Redactor before showing it.
func Describe(err error, dest Destination) string {
	msg := err.Error()
	if dest.URL != "" {
		msg = fmt.Sprintf("streaming to %s failed: %v", dest.Redacted(), err)
	}
	if h := Hint(err); h != "" {
		msg += " (" + clause(h) + ")"
	}
	return msg
}

// clause turns a hint sentence into a clause: lower-case first letter, no
// final period.
func clause(sentence string) string {
	s := strings.TrimSuffix(sentence, ".")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
