package linktest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"studio/encode"
	"studio/publish"
	"studio/publish/rtmp"
)

// Defaults and limits for Config.
const (
	// DefaultDuration is how long Run publishes when Config.Duration is 0,
	// and MaxDuration the longest it accepts.
	DefaultDuration = 10 * time.Second
	MaxDuration     = 10 * time.Second
	// DefaultSkip is the start of the test that is not measured: TCP's
	// slow start, while the congestion window grows to fill the link.
	DefaultSkip = 2500 * time.Millisecond
	// MinMeasured is the shortest measured part of a test.
	MinMeasured = 500 * time.Millisecond
	// DefaultMaxKbps is the rate the test sends at when the link takes
	// it, and so the highest it can measure.
	DefaultMaxKbps = 20000
)

var (
	// ErrNoLinkInfo means the platform does not say what the socket
	// delivered (TCP_INFO is Linux's), so nothing could be measured.
	ErrNoLinkInfo = errors.New("linktest: this system does not report what the connection delivered")
	// ErrNothingAcked means the server acknowledged nothing during the
	// measured part of the test: the link stalled.
	ErrNothingAcked = errors.New("linktest: the server acknowledged nothing while the link was measured")
)

// Config sets up Run.
type Config struct {
	// URL is the publish URL, stream key included (a secret: nothing Run
	// returns quotes it). Twitch ingests get the bandwidth test flag; see
	// BandwidthTestURL.
	URL string
	// Duration is how long the test publishes, DefaultDuration when 0, at
	// most MaxDuration and at least Skip + MinMeasured. On a busy machine
	// the test runs longer by as much as the sample at Skip is late.
	Duration time.Duration
	// Skip is the unmeasured start (DefaultSkip when 0).
	Skip time.Duration
	// MaxKbps is the send rate when the link can take it (DefaultMaxKbps
	// when 0).
	MaxKbps int
	// Clip is the test data; nil encodes one with EncodeClip's defaults.
	Clip *Clip
	// Logger receives the RTMP layer's diagnostics (nil: none).
	Logger *slog.Logger
	// TLSConfig is passed to the RTMP client for rtmps:// (nil: the
	// system's roots).
	TLSConfig *tls.Config
}

// Result is what a test measured.
type Result struct {
	// UploadKbps is what the link delivered: the bytes the server's TCP
	// acknowledged between Skip and the end, over that time, in kbit/s
	// (of RTMP payload, without TCP/IP headers). TCP counts a byte as
	// acknowledged only once every byte before it is, so a loss recovery
	// in progress at Skip moves bytes delivered just before it into the
	// measure: through a 3000 kbit/s link it read 0 to 6% above what the
	// server received over the same time.
	UploadKbps float64
	// AtCeiling means the test sent as fast as MaxKbps allowed and the
	// link kept up: UploadKbps is then a lower bound of what it carries.
	AtCeiling bool
	// MinRTT is the link's round-trip time without the test's own
	// queueing: the lowest the kernel saw on the connection (the
	// handshake's, typically). RTT is the smoothed round-trip time at the
	// end, queueing included.
	MinRTT, RTT time.Duration
	// Measured is the measured time, and BytesAcked what the server
	// acknowledged during it.
	Measured   time.Duration
	BytesAcked uint64
	// BytesSent is every media byte written during the test.
	BytesSent uint64
	// Clip is the test data, with the encoder timing of this machine.
	Clip *Clip
}

func (c Config) withDefaults() (Config, error) {
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Skip <= 0 {
		c.Skip = DefaultSkip
	}
	if c.MaxKbps <= 0 {
		c.MaxKbps = DefaultMaxKbps
	}
	if c.Duration > MaxDuration || c.Duration < c.Skip+MinMeasured {
		return c, fmt.Errorf("linktest: a test of %v: use %v to %v", c.Duration, c.Skip+MinMeasured, MaxDuration)
	}
	return c, nil
}

// Run publishes test data to cfg.URL for cfg.Duration and measures the
// link. It returns the RTMP client's error (wrapping publish.ErrConnect,
// ErrRejected, …) when the server cannot be reached or refuses, the
// stream's error when the connection dies during the test, ErrNoLinkInfo
// or ErrNothingAcked, or ctx's error. Run owns every goroutine it starts:
// when it returns, the connection is closed and none is left.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	clip := cfg.Clip
	if clip == nil {
		if clip, err = EncodeClip(ctx, ClipConfig{}); err != nil {
			return Result{}, err
		}
	}
	s, err := rtmp.Publish(ctx, BandwidthTestURL(cfg.URL), rtmp.Options{Logger: cfg.Logger, TLSConfig: cfg.TLSConfig})
	if err != nil {
		return Result{}, err
	}
	video := clip.Video
	video.BitrateKbps = cfg.MaxKbps
	if err := s.WriteHeader(encode.StreamInfo{Video: video, Audio: clip.Audio}); err != nil {
		_ = s.Close(context.Background())
		return Result{}, err
	}
	return measure(ctx, s, cfg, clip)
}

// measure runs the sender on s, samples the link at Skip and again
// Duration − Skip later, and closes s.
func measure(ctx context.Context, s *rtmp.Stream, cfg Config, clip *Clip) (Result, error) {
	res := Result{Clip: clip}
	snd := newSender(clip, s, cfg.MaxKbps)
	start := time.Now()
	sendCtx, stopSending := context.WithCancel(ctx)
	sent := make(chan error, 1)
	go func() { sent <- snd.run(sendCtx, start) }()

	var first, last publish.Link
	var firstAt, lastAt time.Time
	var runErr error
	// The measure runs for Duration − Skip from the first sample, however
	// late a busy machine takes it, so it is never shorter than that.
	skip := time.NewTimer(cfg.Skip)
	defer skip.Stop()
	var end <-chan time.Time // armed by the first sample
	for runErr == nil && lastAt.IsZero() {
		select {
		case <-skip.C:
			var ok bool
			if first, ok = s.Link(); !ok {
				runErr = ErrNoLinkInfo
			}
			firstAt = time.Now()
			endTimer := time.NewTimer(cfg.Duration - cfg.Skip)
			defer endTimer.Stop()
			end = endTimer.C
		case <-end:
			var ok bool
			if last, ok = s.Link(); !ok {
				runErr = ErrNoLinkInfo
			}
			lastAt = time.Now()
		case err := <-sent:
			sent <- err // for the wait below
			runErr = err
			if runErr == nil { // ctx ended
				runErr = ctx.Err()
			}
		case <-ctx.Done():
			runErr = ctx.Err()
		}
	}

	// Stop: the sender finishes the write it is in; Close waits for it
	// (at most 2 s: then it closes the socket under the write).
	stopSending()
	closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	closeErr := s.Close(closeCtx)
	cancel()
	if err := <-sent; runErr == nil && err != nil && !errors.Is(err, publish.ErrClosed) {
		runErr = err
	}
	if runErr != nil {
		return res, runErr
	}
	_ = closeErr // the measure is complete; a slow goodbye does not spoil it

	res.BytesSent = snd.sent
	res.MinRTT, res.RTT = last.MinRTT, last.RTT
	res.Measured = lastAt.Sub(firstAt)
	if last.BytesAcked <= first.BytesAcked || res.Measured <= 0 {
		return res, ErrNothingAcked
	}
	res.BytesAcked = last.BytesAcked - first.BytesAcked
	res.UploadKbps = float64(res.BytesAcked) * 8 / res.Measured.Seconds() / 1000
	res.AtCeiling = res.UploadKbps >= 0.9*float64(cfg.MaxKbps)
	return res, nil
}
