// Package h264 encodes video frames to H.264 with x264, through
// github.com/pion/mediadevices/pkg/codec/x264, and turns x264's Annex-B
// output into encode.Packets: AVCC payloads, one per frame, stamped with the
// capture time of the frame, with SPS and PPS moved into encode.VideoConfig.
//
// What mediadevices' x264 wrapper (v0.9.4) allows and what this package does
// about it:
//
//   - The tune is always zerolatency: no B-frames and no lookahead, so each
//     input frame yields exactly one output frame at once and DTS = PTS.
//   - x264 is never told the frame rate and assumes 25 fps, so its rate
//     control would spend bitrate/25 per frame. The bitrate handed to x264 is
//     therefore the target scaled by 25/FPS, at start and in SetBitrate.
//   - Only the preset, bitrate and keyframe interval can be set. The profile
//     is High and the rate control ABR with a VBV whose maximum rate is the
//     bitrate and whose buffer holds 50/FPS seconds (2 s as x264 counts
//     time). Threads (sliced: one per core, each coding one slice of every
//     frame), scenecut, level, colour metadata and logging (x264 prints info
//     lines to stderr on open and close) are x264's defaults. With sliced
//     threads x264's output is not bit-reproducible from run to run.
//   - The wrapper's SetBitRate also loosens the VBV to the new bitrate plus
//     5000 kbit/s (a unit slip in its C bridge) and sets a rate tolerance of
//     0.1. The average follows the new target after a few seconds; after a
//     large step down x264 undershoots for a while.
//   - The wrapper's ForceKeyFrame writes a C field without a lock; this
//     package applies it from the goroutine that runs the encoder, just
//     before the next frame, so it neither races nor blocks.
//   - SPS and PPS precede every IDR frame (repeat headers); the first frame
//     also carries a user-data SEI with x264's settings. Both are dropped
//     from packets (SPS and PPS go to Config), as are access unit delimiters.
package h264

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/x264"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"studio/capture"
	"studio/encode"
	"studio/internal/freelist"
)

// Defaults for a zero Config field.
const (
	DefaultBitrateKbps = 2500
	DefaultKeyInterval = 2 * time.Second
	DefaultPreset      = "veryfast"
)

// EncoderName is reported in VideoConfig.Encoder.
const EncoderName = "studio (x264)"

// x264AssumedFPS is the frame rate x264 runs its rate control at, because
// mediadevices never passes the real one.
const x264AssumedFPS = 25

var presets = map[string]x264.Preset{
	"ultrafast": x264.PresetUltrafast,
	"superfast": x264.PresetSuperfast,
	"veryfast":  x264.PresetVeryfast,
	"faster":    x264.PresetFaster,
	"fast":      x264.PresetFast,
	"medium":    x264.PresetMedium,
	"slow":      x264.PresetSlow,
	"slower":    x264.PresetSlower,
	"veryslow":  x264.PresetVeryslow,
	"placebo":   x264.PresetPlacebo,
}

// Presets lists the x264 preset names Config.Preset accepts, fastest first.
func Presets() []string {
	return []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}
}

// Config sets up an Encoder. The zero value of each field selects a default.
type Config struct {
	// Width, Height and FPS describe the frames; zero takes the source's
	// Props. When set they must agree with the source.
	Width, Height, FPS int
	// BitrateKbps is the target average bitrate in kbit/s
	// (DefaultBitrateKbps when 0).
	BitrateKbps int
	// KeyInterval is the time between IDR frames (DefaultKeyInterval when
	// 0), rounded to a whole number of frames, at least one.
	KeyInterval time.Duration
	// Preset is an x264 preset name, "ultrafast" to "placebo"
	// (DefaultPreset when empty). See Presets.
	Preset string
}

// KeyIntervalFrames returns the IDR interval in frames for c, as given to x264:
// round(FPS × KeyInterval), at least 1. c must have FPS set.
func (c Config) KeyIntervalFrames() int {
	ki := c.KeyInterval
	if ki == 0 {
		ki = DefaultKeyInterval
	}
	return max(1, int(math.Round(float64(c.FPS)*ki.Seconds())))
}

// x264Bias is how far x264's average-bitrate mode, as the mediadevices
// binding sets it up, runs over its target on our content: about 1% over a
// minute, 3 to 4% over 10 to 20 s and 10% over the first seconds (measured
// at 360p30 and 720p30). A closed loop does not help: each bitrate change
// through the binding also loosens its VBV, and the rate then swings by
// ±40%.
const x264Bias = 1.03

// x264Bitrate returns the bitrate, in bit/s, to give x264 so that its rate
// control, which assumes 25 fps, produces kbps at fps.
func x264Bitrate(kbps, fps int) int {
	return int(math.Round(float64(kbps)*x264AssumedFPS/float64(fps)/x264Bias)) * 1000
}

// Encoder is an encode.VideoEncoder backed by x264.
//
// Each ReadPacket reads one frame from the source, encodes it and returns
// one packet: AVCC NAL units (no SPS, PPS, SEI or AUD), PTS = DTS = the
// frame's capture PTS, Keyframe set when the frame is an IDR. The first
// packet is always an IDR frame. Packets come from a free list: Release them.
//
// ReadPacket must not be called concurrently with itself; Config, SetBitrate,
// ForceKeyframe and Close may be called from any goroutine at any time.
type Encoder struct {
	src capture.VideoSource
	cfg Config // normalised
	enc codec.ReadCloser
	brc codec.BitRateController
	kfc codec.KeyFrameController

	forceKey atomic.Bool // a keyframe was requested
	isClosed atomic.Bool // mirrors closed, for the fast path

	// The work done so far: frames encoded and the time spent on them.
	frames atomic.Uint64
	busy   atomic.Int64 // ns

	ctlMu  sync.Mutex // guards closed; held around every use of brc and kfc
	closed bool

	readMu  sync.Mutex // serialises ReadPacket; guards the fields below
	pending *image.YCbCr
	scratch *image.YCbCr // a compact copy for frames with padded strides
	nalus   [][]byte
	started bool // a packet has been returned

	cfgMu sync.RWMutex // guards vcfg
	vcfg  encode.VideoConfig

	free freelist.List[packetBuf]
}

type packetBuf struct {
	data []byte
	pkt  encode.Packet
	rel  func()
}

// New returns an encoder for the frames of src. The encoder owns src: Close
// closes it. On error src is left open.
func New(src capture.VideoSource, cfg Config) (*Encoder, error) {
	if src == nil {
		return nil, errors.New("h264: nil source")
	}
	props := src.Props()
	if cfg.Width == 0 {
		cfg.Width = props.Width
	}
	if cfg.Height == 0 {
		cfg.Height = props.Height
	}
	if cfg.FPS == 0 {
		cfg.FPS = props.FPS
	}
	if cfg.Width != props.Width || cfg.Height != props.Height || cfg.FPS != props.FPS {
		return nil, fmt.Errorf("h264: config %dx%d@%d does not match the source's %dx%d@%d",
			cfg.Width, cfg.Height, cfg.FPS, props.Width, props.Height, props.FPS)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width%2 != 0 || cfg.Height%2 != 0 {
		return nil, fmt.Errorf("h264: size %dx%d: width and height must be positive and even", cfg.Width, cfg.Height)
	}
	if cfg.FPS <= 0 {
		return nil, fmt.Errorf("h264: frame rate %d must be positive", cfg.FPS)
	}
	if cfg.BitrateKbps == 0 {
		cfg.BitrateKbps = DefaultBitrateKbps
	}
	if cfg.BitrateKbps < 0 {
		return nil, fmt.Errorf("h264: bitrate %d kbit/s must be positive", cfg.BitrateKbps)
	}
	if cfg.KeyInterval == 0 {
		cfg.KeyInterval = DefaultKeyInterval
	}
	if cfg.KeyInterval < 0 {
		return nil, fmt.Errorf("h264: key interval %v must be positive", cfg.KeyInterval)
	}
	if cfg.Preset == "" {
		cfg.Preset = DefaultPreset
	}
	preset, ok := presets[strings.ToLower(cfg.Preset)]
	if !ok {
		return nil, fmt.Errorf("h264: unknown x264 preset %q (want one of %s)", cfg.Preset, strings.Join(Presets(), ", "))
	}

	params, err := x264.NewParams()
	if err != nil {
		return nil, fmt.Errorf("h264: x264 params: %w", err)
	}
	params.Preset = preset
	params.BitRate = x264Bitrate(cfg.BitrateKbps, cfg.FPS)
	params.KeyFrameInterval = cfg.KeyIntervalFrames()

	e := &Encoder{
		src:   src,
		cfg:   cfg,
		nalus: make([][]byte, 0, 16),
		vcfg: encode.VideoConfig{
			Width:       cfg.Width,
			Height:      cfg.Height,
			FPS:         cfg.FPS,
			BitrateKbps: cfg.BitrateKbps,
			Encoder:     EncoderName,
		},
	}
	enc, err := params.BuildVideoEncoder(video.ReaderFunc(e.readImage), prop.Media{
		Video: prop.Video{
			Width:       cfg.Width,
			Height:      cfg.Height,
			FrameRate:   float32(cfg.FPS),
			FrameFormat: frame.FormatI420,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("h264: open x264: %w", err)
	}
	e.enc = enc
	e.brc, _ = enc.Controller().(codec.BitRateController)
	e.kfc, _ = enc.Controller().(codec.KeyFrameController)
	if e.brc == nil || e.kfc == nil {
		enc.Close()
		return nil, errors.New("h264: x264 encoder lacks bitrate or keyframe control")
	}
	return e, nil
}

func noop() {}

var errNoPending = errors.New("h264: x264 read with no frame pending")

// readImage is the video.Reader x264 pulls from. It hands over the frame
// ReadPacket has just read, so it never blocks. mediadevices' I420 adapter
// drops the release func it returns, so ReadPacket releases the frame itself
// once x264's Read returns, which is when x264 has copied the picture.
func (e *Encoder) readImage() (image.Image, func(), error) {
	img := e.pending
	if img == nil {
		return nil, noop, errNoPending
	}
	e.pending = nil
	return img, noop, nil
}

// Config returns the stream's configuration. SPS and PPS are set once the
// first packet has been returned; BitrateKbps follows SetBitrate. The SPS and
// PPS slices are shared and must not be modified.
func (e *Encoder) Config() encode.VideoConfig {
	e.cfgMu.RLock()
	defer e.cfgMu.RUnlock()
	return e.vcfg
}

// SetBitrate changes the target bitrate from the next frame on. It waits for
// a frame being encoded to finish (milliseconds), never for the source.
func (e *Encoder) SetBitrate(kbps int) error {
	if kbps <= 0 {
		return fmt.Errorf("h264: bitrate %d kbit/s must be positive", kbps)
	}
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	if e.closed {
		return encode.ErrClosed
	}
	if err := e.brc.SetBitRate(x264Bitrate(kbps, e.cfg.FPS)); err != nil {
		return fmt.Errorf("h264: set bitrate %d kbit/s: %w", kbps, err)
	}
	e.cfgMu.Lock()
	e.vcfg.BitrateKbps = kbps
	e.cfgMu.Unlock()
	return nil
}

// ForceKeyframe makes the next frame given to x264 an IDR frame. It does
// not block.
func (e *Encoder) ForceKeyframe() error {
	if e.isClosed.Load() {
		return encode.ErrClosed
	}
	e.forceKey.Store(true)
	return nil
}

// Close stops the encoder and closes the source. A ReadPacket blocked on the
// source returns encode.ErrClosed; one in x264 finishes its frame first. It
// is safe to call more than once; later calls return nil.
func (e *Encoder) Close() error {
	e.ctlMu.Lock()
	if e.closed {
		e.ctlMu.Unlock()
		return nil
	}
	e.closed = true
	e.isClosed.Store(true)
	e.ctlMu.Unlock()

	var errs []error
	if err := e.src.Close(); err != nil {
		errs = append(errs, fmt.Errorf("h264: close source: %w", err))
	}
	// x264's Close waits for an encode in progress (the wrapper's mutex).
	if err := e.enc.Close(); err != nil {
		errs = append(errs, fmt.Errorf("h264: close x264: %w", err))
	}
	return errors.Join(errs...)
}

// ReadPacket reads the next frame from the source, encodes it and returns its
// packet. It returns encode.ErrClosed after Close, ctx.Err() when ctx ends
// while waiting for the source, and wrapped source or x264 errors otherwise.
func (e *Encoder) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	e.readMu.Lock()
	defer e.readMu.Unlock()
	if e.isClosed.Load() {
		return nil, encode.ErrClosed
	}
	f, err := e.src.Read(ctx)
	if err != nil {
		if e.isClosed.Load() {
			return nil, encode.ErrClosed
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, err
		}
		return nil, fmt.Errorf("h264: read source: %w", err)
	}
	pts := f.PTS
	began := time.Now()
	img, err := e.compact(f.Image)
	if err != nil {
		f.Release()
		return nil, err
	}
	if e.forceKey.Swap(false) {
		e.ctlMu.Lock()
		if !e.closed {
			// Same goroutine as the encode below, and x264 is idle: no race.
			err = e.kfc.ForceKeyFrame()
		}
		e.ctlMu.Unlock()
		if err != nil {
			f.Release()
			return nil, fmt.Errorf("h264: force keyframe: %w", err)
		}
	}
	e.pending = img
	annexB, release, err := e.enc.Read()
	e.pending = nil
	f.Release()
	if err != nil {
		if errors.Is(err, io.EOF) || e.isClosed.Load() {
			return nil, encode.ErrClosed
		}
		return nil, fmt.Errorf("h264: x264 encode: %w", err)
	}
	defer release()
	p, err := e.packetize(annexB, pts)
	e.busy.Add(int64(time.Since(began)))
	e.frames.Add(1)
	return p, err
}

// Work reports how many frames the encoder has encoded and the time it
// spent on them, from a frame's arrival from the source to its packet
// (the wall time, so a machine short of CPU shows here too). It is safe
// to call from any goroutine.
func (e *Encoder) Work() (frames uint64, busy time.Duration) {
	return e.frames.Load(), time.Duration(e.busy.Load())
}

// compact returns img, or a copy of it with tight strides when it has
// padding: the x264 bridge passes only plane pointers, and x264 then assumes
// strides of Width and Width/2.
func (e *Encoder) compact(img *image.YCbCr) (*image.YCbCr, error) {
	w, h := e.cfg.Width, e.cfg.Height
	if img == nil || img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect.Dx() != w || img.Rect.Dy() != h {
		if img == nil {
			return nil, errors.New("h264: source returned a frame with no image")
		}
		return nil, fmt.Errorf("h264: source frame is %v %v, want %dx%d 4:2:0", img.Rect.Size(), img.SubsampleRatio, w, h)
	}
	if img.Rect.Min == (image.Point{}) && img.YStride == w && img.CStride == w/2 &&
		len(img.Y) >= w*h && len(img.Cb) >= w*h/4 && len(img.Cr) >= w*h/4 {
		return img, nil
	}
	if e.scratch == nil {
		e.scratch = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	s := e.scratch
	r := img.Rect
	for y := range h {
		copy(s.Y[y*w:(y+1)*w], img.Y[img.YOffset(r.Min.X, r.Min.Y+y):])
	}
	for y := range h / 2 {
		ci := img.COffset(r.Min.X, r.Min.Y+2*y)
		copy(s.Cb[y*w/2:(y+1)*w/2], img.Cb[ci:])
		copy(s.Cr[y*w/2:(y+1)*w/2], img.Cr[ci:])
	}
	return s, nil
}

// packetize turns one frame of x264 output into a packet.
func (e *Encoder) packetize(annexB []byte, pts time.Duration) (*encode.Packet, error) {
	nalus, err := AppendNALUs(e.nalus[:0], annexB)
	e.nalus = nalus[:0]
	if err != nil {
		return nil, fmt.Errorf("h264: x264 output: %w", err)
	}
	b := e.get()
	data := b.data[:0]
	key := false
	var sps, pps []byte
	for _, n := range nalus {
		switch naluType(n) {
		case naluSPS:
			if sps == nil {
				sps = n
			}
		case naluPPS:
			if pps == nil {
				pps = n
			}
		case naluAUD, naluSEI:
		default:
			if naluType(n) == naluIDR {
				key = true
			}
			data = appendAVCC(data, n)
		}
	}
	clear(nalus) // do not keep x264's buffer alive through e.nalus
	if !e.started {
		if !key || sps == nil || pps == nil {
			e.put(b)
			return nil, fmt.Errorf("h264: x264's first frame is not an IDR with SPS and PPS (IDR %v, SPS %d bytes, PPS %d bytes)", key, len(sps), len(pps))
		}
		e.cfgMu.Lock()
		e.vcfg.SPS = append([]byte(nil), sps...)
		e.vcfg.PPS = append([]byte(nil), pps...)
		e.cfgMu.Unlock()
		e.started = true
	}
	if len(data) == 0 {
		e.put(b)
		return nil, errors.New("h264: x264 frame has no slice data")
	}
	b.data = data
	b.pkt = *encode.NewPacket(encode.Video, pts, pts, key, data, b.rel)
	return &b.pkt, nil
}

func (e *Encoder) get() *packetBuf {
	if b := e.free.Get(); b != nil {
		return b
	}
	b := &packetBuf{}
	b.rel = func() { e.put(b) }
	return b
}

func (e *Encoder) put(b *packetBuf) {
	e.free.Put(b)
}
