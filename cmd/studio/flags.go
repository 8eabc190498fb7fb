package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"studio/app"
	"studio/encode"
	"studio/publish"
)

var errHelp = errors.New("help requested")

// options are the command-line settings.
type options struct {
	headless     bool
	version      bool
	listDevices  bool
	urls         urlList
	video        string
	audio        string
	width        int
	height       int
	fps          int
	bitrate      int
	audioBitrate int
	keyint       float64
	preset       string
	duration     time.Duration
	record       string
	statsJSON    string
	keyFile      string
	codec        encode.VideoCodec
	codecName    string
	fallback     bool // -codec-fallback
	testLink     string
}

// urlList is the -url flag: one destination per use, in order.
type urlList []string

// String never shows the URLs: they carry stream keys.
func (u *urlList) String() string {
	if u == nil || len(*u) == 0 {
		return ""
	}
	return fmt.Sprintf("%d destinations", len(*u))
}

func (u urlList) first() string {
	if len(u) == 0 {
		return ""
	}
	return u[0]
}

func (u urlList) rest() []string {
	if len(u) < 2 {
		return nil
	}
	return u[1:]
}

func (u *urlList) Set(v string) error {
	if len(*u) >= publish.MaxDestinations {
		return fmt.Errorf("at most %d destinations", publish.MaxDestinations)
	}
	*u = append(*u, v)
	return nil
}

var presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("studio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := "1280x720"
	fs.BoolVar(&o.headless, "headless", false, "run without a window")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.BoolVar(&o.listDevices, "list-devices", false, "list cameras, microphones and test sources, and exit")
	fs.Var(&o.urls, "url", "`rtmp[s]://host[:port]/app[/key]` destination (required unless -record); without its key, the key comes from -key-file or $"+keyEnv+"; give it up to 4 times to stream to several at once")
	fs.StringVar(&o.video, "video", "synth", "video `source`: synth (test pattern), screen (the X11 display), camera or camera:ID (see -list-devices)")
	fs.StringVar(&o.audio, "audio", "synth", "audio `source`: synth (1 kHz tone), silence, mic or mic:ID (see -list-devices)")
	fs.StringVar(&size, "size", size, "capture size `WxH`")
	fs.IntVar(&o.fps, "fps", 30, "capture frame rate")
	fs.IntVar(&o.bitrate, "bitrate", 2500, "video bitrate in `kbps`")
	fs.IntVar(&o.audioBitrate, "audio-bitrate", 128, "audio bitrate in `kbps`")
	fs.Float64Var(&o.keyint, "keyint", 2, "keyframe interval in `seconds`")
	fs.StringVar(&o.preset, "preset", "veryfast", "x264 preset: "+strings.Join(presets, ", "))
	fs.DurationVar(&o.duration, "duration", 0, "stop cleanly after this long (for example 10s); 0 runs until interrupted")
	fs.StringVar(&o.record, "record", "", "also write the stream to this local `FILE.flv`")
	fs.StringVar(&o.codecName, "codec", "h264", "video `codec`: h264, hevc (x265) or av1 (SVT-AV1); hevc and av1 go out as Enhanced RTMP")
	fs.BoolVar(&o.fallback, "codec-fallback", false, "stream H.264 instead when a server does not take -codec")
	fs.StringVar(&o.keyFile, "key-file", "", "read the stream key from `FILE` for each -url given without one (rtmp://host/app); without it, from $"+keyEnv)
	fs.StringVar(&o.statsJSON, "stats-json", "", "write one JSON stats object per second to `PATH` (- for stdout)")
	fs.StringVar(&o.testLink, "test-link", "", "test the link to the ingest at this `rtmp[s]://host[:port]/app/key` for -duration (default 10s, 3s to 10s), print one JSON line with the upload and a suggested -bitrate, -size and -fps, and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  studio                 open the studio window\n  studio -headless -url URL [flags]\n  studio -test-link URL [-duration 10s]   test the link to an ingest before going live\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp
		}
		return o, err
	}
	if fs.NArg() > 0 {
		// The argument is not shown: it may be part of a stream key that
		// the shell split at a space.
		return o, errors.New("unexpected argument after the flags (flags start with -; quote values that contain spaces)")
	}
	var err error
	if o.width, o.height, err = parseSize(size); err != nil {
		return o, err
	}
	if o.codec, err = app.ParseCodec(o.codecName); err != nil {
		return o, fmt.Errorf("-codec: %w", err)
	}
	if err := checkTestLink(&o); err != nil { // linktest.go
		return o, err
	}
	if !o.headless || o.listDevices {
		return o, nil
	}
	switch {
	case len(o.urls) == 0 && o.record == "":
		return o, errors.New("-headless needs -url (and/or -record)")
	case !validVideo(o.video):
		return o, fmt.Errorf("-video %q: use synth, screen, camera or camera:ID", o.video)
	case !validAudio(o.audio):
		return o, fmt.Errorf("-audio %q: use synth, silence, mic or mic:ID", o.audio)
	case o.fps < 1 || o.fps > 120:
		return o, fmt.Errorf("-fps %d: use 1 to 120", o.fps)
	case o.bitrate < 100 || o.bitrate > 100000:
		return o, fmt.Errorf("-bitrate %d: use 100 to 100000 kbps", o.bitrate)
	case o.audioBitrate < 32 || o.audioBitrate > 320:
		return o, fmt.Errorf("-audio-bitrate %d: use 32 to 320 kbps", o.audioBitrate)
	case o.keyint <= 0 || o.keyint > 20:
		return o, fmt.Errorf("-keyint %g: use a number of seconds above 0, up to 20", o.keyint)
	case o.duration < 0:
		return o, fmt.Errorf("-duration %v: must not be negative", o.duration)
	case !validPreset(o.preset):
		return o, fmt.Errorf("-preset %q: use one of %s", o.preset, strings.Join(presets, ", "))
	}
	return o, nil
}

func validPreset(p string) bool {
	for _, q := range presets {
		if p == q {
			return true
		}
	}
	return false
}

func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil || w < 16 || h < 16 || w > 7680 || h > 4320 || w%2 != 0 || h%2 != 0 {
		return 0, 0, fmt.Errorf("-size %q: use WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320, for example 1280x720", s)
	}
	return w, h, nil
}
