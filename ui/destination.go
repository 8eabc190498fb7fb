package ui

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
