package ui

import (
	"errors"
	"strings"

	"studio/publish"
)

// Hint says what to do about an error that ended a session, in one
// sentence, or "" when there is nothing specific to say. It follows the
// hints of studio -headless.
func Hint(err error) string {
	var se *publish.StatusError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Status.Code, "BadName"):
		return "Check the stream key, and that no other encoder is publishing to it."
	case errors.Is(err, publish.ErrRejected):
		return "Check the stream key and the application name in the server URL."
	case errors.Is(err, publish.ErrTLS):
		return "The server's certificate is not trusted. If it is self-signed, start studio with SSL_CERT_FILE pointing at it."
	case errors.Is(err, publish.ErrTimeout):
		return "The server did not answer. Check the host and port, and your network."
	case errors.Is(err, publish.ErrConnect):
		return "Check the host and port, and your network."
	case errors.Is(err, publish.ErrProtocol):
		return "The server does not speak RTMP as expected. Check the URL's scheme (rtmp:// or rtmps://) and port."
	case errors.Is(err, publish.ErrBadURL):
		return "Check the server URL: rtmp://host[:port]/app or rtmps://host[:port]/app."
	}
	return ""
}
