package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// Choices offered by the pickers.
var (
	Sizes         = []string{"1920x1080", "1280x720", "960x540", "854x480", "640x360"}
	FrameRates    = []string{"24", "25", "30", "50", "60"}
	AudioBitrates = []string{"96", "128", "160"}
	Presets       = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium"}
)

// KeyInterval is the keyframe interval every service asks for.
const KeyIntervalSeconds = 2

// Prefs are the settings that persist between runs. The stream key is not
// one of them: it lives in a KeyStore.
type Prefs struct {
	Camera     string
	Size       string
	FPS        string
	Microphone string
	VideoKbps  int
	AudioKbps  string
	Preset     string
	Codec      string // "h264", "hevc" or "av1", as app.ParseCodec reads it
	PreviewFPS string // one of PreviewRates
	// Destination and Server are the first destination's service and
	// Custom server, as a window with a single destination saved them;
	// Destinations is the whole list, and wins when saved.
	Destination  string
	Server       string
	Destinations []DestPref
	RecordDir    string
}

// DestPref is one row of the destination list as saved: never its key.
type DestPref struct {
	// ID names the row's keys in the KeyStore; it is unique in the list
	// and at least 1.
	ID      int    `json:"id"`
	Service string `json:"service"`
	// Server is the server URL typed for Custom, kept while another
	// service is picked.
	Server string `json:"server,omitempty"`
	// Off leaves the row out of Go Live.
	Off bool `json:"off,omitempty"`
}

// DefaultPrefs are the settings of a first run.
func DefaultPrefs() Prefs {
	return Prefs{
		Camera: TestPatternID, Size: "1280x720", FPS: "30", Microphone: TestToneID,
		VideoKbps: 2500, AudioKbps: "128", Preset: "veryfast", Codec: "h264",
		PreviewFPS:  DefaultPreviewRate,
		Destination: "YouTube", RecordDir: defaultRecordDir(),
		Destinations: []DestPref{{ID: 1, Service: "YouTube"}},
	}
}

func defaultRecordDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	if v := filepath.Join(home, "Videos"); isDir(v) {
		return v
	}
	return home
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

const prefPrefix = "studio."

// LoadPrefs reads the settings from p, with defaults for what is missing.
func LoadPrefs(p fyne.Preferences) Prefs {
	d := DefaultPrefs()
	s := Prefs{
		Camera:      p.StringWithFallback(prefPrefix+"camera", d.Camera),
		Size:        p.StringWithFallback(prefPrefix+"size", d.Size),
		FPS:         p.StringWithFallback(prefPrefix+"fps", d.FPS),
		Microphone:  p.StringWithFallback(prefPrefix+"microphone", d.Microphone),
		VideoKbps:   p.IntWithFallback(prefPrefix+"video_kbps", d.VideoKbps),
		AudioKbps:   p.StringWithFallback(prefPrefix+"audio_kbps", d.AudioKbps),
		Preset:      p.StringWithFallback(prefPrefix+"preset", d.Preset),
		Codec:       p.StringWithFallback(prefPrefix+"codec", d.Codec),
		PreviewFPS:  p.StringWithFallback(prefPrefix+"preview_fps", d.PreviewFPS),
		Destination: p.StringWithFallback(prefPrefix+"destination", d.Destination),
		Server:      p.StringWithFallback(prefPrefix+"server", d.Server),
		RecordDir:   p.StringWithFallback(prefPrefix+"record_dir", d.RecordDir),
	}
	s.Destinations = loadDestPrefs(p.String(prefPrefix+"destinations"), s.Destination, s.Server)
	return s
}

// loadDestPrefs reads the saved list; without one (settings of a window
// with a single destination), or when it does not parse, the list is the
// single destination. Rows past MaxDestinations and repeated IDs are
// dropped.
func loadDestPrefs(saved, service, server string) []DestPref {
	var list []DestPref
	if saved != "" {
		if err := json.Unmarshal([]byte(saved), &list); err != nil {
			list = nil
		}
	}
	var out []DestPref
	seen := map[int]bool{}
	for _, d := range list {
		if d.ID < 1 || seen[d.ID] || len(out) == MaxDestinations {
			continue
		}
		seen[d.ID] = true
		d.Service = DestinationNamed(d.Service).Name
		out = append(out, d)
	}
	if len(out) == 0 {
		out = []DestPref{{ID: 1, Service: DestinationNamed(service).Name, Server: server}}
	}
	return out
}

// Save writes the settings to p.
func (s Prefs) Save(p fyne.Preferences) {
	p.SetString(prefPrefix+"camera", s.Camera)
	p.SetString(prefPrefix+"size", s.Size)
	p.SetString(prefPrefix+"fps", s.FPS)
	p.SetString(prefPrefix+"microphone", s.Microphone)
	p.SetInt(prefPrefix+"video_kbps", s.VideoKbps)
	p.SetString(prefPrefix+"audio_kbps", s.AudioKbps)
	p.SetString(prefPrefix+"preset", s.Preset)
	p.SetString(prefPrefix+"codec", s.Codec)
	p.SetString(prefPrefix+"preview_fps", s.PreviewFPS)
	if len(s.Destinations) > 0 {
		s.Destination, s.Server = s.Destinations[0].Service, s.Destinations[0].Server
		if b, err := json.Marshal(s.Destinations); err == nil {
			p.SetString(prefPrefix+"destinations", string(b))
		}
	}
	p.SetString(prefPrefix+"destination", s.Destination)
	p.SetString(prefPrefix+"server", s.Server)
	p.SetString(prefPrefix+"record_dir", s.RecordDir)
}

// parseSize splits "1280x720".
func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(s, "x")
	if ok {
		if w, err = strconv.Atoi(ws); err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT", s)
	}
	return w, h, nil
}
