package ui

import (
	"fmt"
	"net/url"
	"strings"
)

// Destination is a streaming service with its ingest server and limits.
type Destination struct {
	Name string
	// Server is the ingest URL without the key; empty for Custom.
	Server string
	// MaxVideoKbps caps the video bitrate (0: no cap).
	MaxVideoKbps int
	// TLSOnly means the service accepts only rtmps://.
	TLSOnly bool
	// Advice is shown under the destination.
	Advice string
}

// CustomName is the destination whose server the user types.
const CustomName = "Custom"

// Destinations are the services offered, Custom last.
var Destinations = []Destination{
	{Name: "YouTube", Server: "rtmps://a.rtmps.youtube.com/live2",
		Advice: "RTMPS · 2 s keyframes · 720p30: 1500–4000 kbps, 1080p30: 3000–6000 kbps · AAC 128 kbps"},
	{Name: "Twitch", Server: "rtmp://live.twitch.tv/app", MaxVideoKbps: 6000,
		Advice: "2 s keyframes · at most 6000 kbps · AAC 160 kbps"},
	{Name: "Facebook", Server: "rtmps://live-api-s.facebook.com:443/rtmp/", TLSOnly: true,
		Advice: "RTMPS on port 443 only · 2 s keyframes · 720p: up to 4000 kbps, 1080p: up to 9000 kbps"},
	{Name: CustomName,
		Advice: "Any RTMP or RTMPS server: rtmp[s]://host[:port]/app, with the key in its own field"},
}

// DestinationNamed returns the destination called name, or Custom.
func DestinationNamed(name string) Destination {
	for _, d := range Destinations {
		if d.Name == name {
			return d
		}
	}
	return Destinations[len(Destinations)-1]
}

func destinationNames() []string {
	names := make([]string, len(Destinations))
	for i, d := range Destinations {
		names[i] = d.Name
	}
	return names
}

// PublishURL joins a server URL and a stream key.
func PublishURL(server, key string) string {
	return strings.TrimRight(strings.TrimSpace(server), "/") + "/" + strings.TrimSpace(key)
}

// CheckServer says what is wrong with a server URL (without the key), or
// returns nil.
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
