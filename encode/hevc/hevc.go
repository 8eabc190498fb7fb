// Package hevc encodes video frames to HEVC (H.265) with x265 (libx265 3.5,
// through cgo and pkg-config) and turns x265's output into encode.Packets:
// length-prefixed NAL units, one packet per frame, stamped with the capture
// time of the frame, with the VPS, SPS and PPS moved into the
// HEVCDecoderConfigurationRecord of encode.VideoConfig.
//
// How x265 is set up, and why:
//   - The tune is zerolatency: no B-frames, no lookahead, one frame thread
//     (wavefront rows still spread over the cores), so each picture in
//     yields its access unit in the same call and DTS = PTS.
//   - The profile is Main (8-bit 4:2:0), the tier Main, the level the lowest
//     that fits the picture size and rate and the starting bitrate, stated
//     explicitly so that it never changes (see SetBitrate).
//   - The rate control is ABR with a VBV whose maximum rate is the bitrate
//     and whose buffer holds one second. The SPS carries no HRD parameters,
//     which would state the first bitrate forever.
//   - x265 makes an IDR picture only when told to: this package asks for one
//     every KeyInterval from the last, and for ForceKeyframe. No open GOP,
//     no scene cuts.
//   - Parameter sets are written only by x265_encoder_headers (no repeat
//     headers); x265 writes no access unit delimiters and no SEI, so
//     packets hold coded slices only. Logging is at warning level.
//   - x265 reads the frames in place, with their strides: no copy.
//   - For speed on two cores (see x265.go): ultrafast, no psy-rd, no SAO, no
//     adaptive quantisation, one frame thread with wavefront rows.
//
// Cost, measured with scripts/bench-codecs.sh (BenchmarkCodec720p: the synth
// pattern, 1280x720 at 2.5 Mbit/s, unpaced) on 2 cores shared with other
// work (load 5 to 7): 44 ms of CPU per frame (median of 3; x264 veryfast
// 15.5 ms, 2.9 times less), 24 fps of wall time (under that load it got
// about one core, as x264 did). On ffmpeg's mandelbrot zoom it
// takes 51 to 55 ms. At 30 fps that is 1.3 to 1.65 cores of CPU, so 720p30
// is in real time only with both cores nearly to itself (not yet measured
// on an idle machine); 854x480 takes about 22 ms.
package hevc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
	"studio/encode"
	"studio/internal/freelist"
)

// Encoder is an encode.VideoEncoder backed by x265.
//
// Each ReadPacket reads one frame from the source, encodes it and returns
// one packet: NAL units each with a 4-byte big-endian length, coded slices
// only (no VPS, SPS, PPS, AUD or SEI), PTS = DTS = the frame's capture PTS,
// Keyframe set when the frame is an IDR. The first packet is always an IDR
// frame, and one follows every KeyInterval from the last, or at once after
// ForceKeyframe. Packets come from a free list: Release them.
//
// ReadPacket must not be called concurrently with itself; Config,
// SetBitrate, ForceKeyframe, Work and Close may be called from any
// goroutine at any time.
type Encoder struct {
	src    capture.VideoSource
	cfg    Config // normalised
	keyint int    // frames from one IDR to the next

	forceKey atomic.Bool // an IDR was requested for the next frame
	isClosed atomic.Bool // mirrors closed, for the fast path

	// The work done so far: frames encoded and the time spent on them.
	frames atomic.Uint64
	busy   atomic.Int64 // ns

	encMu  sync.Mutex // held around every use of enc; guards the fields below
	enc    *opened    // nil once closed
	closed bool
	kbps   int // the bitrate SetBitrate asked for
	encAt  int // the bitrate enc runs at

	readMu   sync.Mutex // serialises ReadPacket; guards the fields below
	nals     [][]byte
	sinceIDR int // frames since the last IDR

	cfgMu sync.RWMutex // guards vcfg
	vcfg  encode.VideoConfig

	free freelist.List[packetBuf]
}

type packetBuf struct {
	data []byte
	pkt  encode.Packet
	rel  func()
}

// New returns an encoder for the frames of src, with VideoConfig (and its
// Record) already complete. The encoder owns src: Close closes it. On
// error src is left open.
func New(src capture.VideoSource, cfg Config) (*Encoder, error) {
	if src == nil {
		return nil, errors.New("hevc: nil source")
	}
	cfg, err := normalise(cfg, src.Props())
	if err != nil {
		return nil, err
	}
	enc, err := openLevel(cfg)
	if err != nil {
		return nil, err
	}
	rec, err := buildRecord(enc.vps, enc.sps, enc.pps)
	if err != nil {
		enc.x.close()
		return nil, fmt.Errorf("hevc: x265 headers: %w", err)
	}
	return &Encoder{
		src:    src,
		cfg:    cfg,
		keyint: cfg.KeyIntervalFrames(),
		enc:    enc,
		kbps:   cfg.BitrateKbps,
		encAt:  cfg.BitrateKbps,
		nals:   make([][]byte, 0, 16),
		vcfg: encode.VideoConfig{
			Codec:       encode.HEVC,
			Width:       cfg.Width,
			Height:      cfg.Height,
			FPS:         cfg.FPS,
			Record:      rec,
			BitrateKbps: cfg.BitrateKbps,
			Encoder:     EncoderName,
		},
	}, nil
}

// Config returns the stream's configuration, complete from New on;
// BitrateKbps follows SetBitrate. The Record slice is shared and must not
// be modified.
func (e *Encoder) Config() encode.VideoConfig {
	e.cfgMu.RLock()
	defer e.cfgMu.RUnlock()
	return e.vcfg
}

// ForceKeyframe makes the next frame given to x265 an IDR frame. It does
// not block.
func (e *Encoder) ForceKeyframe() error {
	if e.isClosed.Load() {
		return encode.ErrClosed
	}
	e.forceKey.Store(true)
	return nil
}

// Close stops the encoder and closes the source. A ReadPacket blocked on
// the source returns encode.ErrClosed; one in x265 finishes its frame
// first. It is safe to call more than once; later calls return nil.
func (e *Encoder) Close() error {
	e.encMu.Lock()
	if e.closed {
		e.encMu.Unlock()
		return nil
	}
	e.closed = true
	e.isClosed.Store(true)
	e.enc.x.close()
	e.enc = nil
	e.encMu.Unlock()
	if err := e.src.Close(); err != nil {
		return fmt.Errorf("hevc: close source: %w", err)
	}
	return nil
}

// Work reports how many frames the encoder has encoded and the time it
// spent on them, from a frame's arrival from the source to its packet
// (the wall time, so a machine short of CPU shows here too). It is safe
// to call from any goroutine.
func (e *Encoder) Work() (frames uint64, busy time.Duration) {
	return e.frames.Load(), time.Duration(e.busy.Load())
}

// ReadPacket reads the next frame from the source, encodes it and returns
// its packet. It returns encode.ErrClosed after Close, ctx.Err() when ctx
// ends while waiting for the source, and wrapped source or x265 errors
// otherwise.
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
		return nil, fmt.Errorf("hevc: read source: %w", err)
	}
	defer f.Release()
	began := time.Now()
	if err := e.checkImage(f.Image); err != nil {
		return nil, err
	}
	idr := e.forceKey.Swap(false) || e.frames.Load() == 0 || e.sinceIDR+1 >= e.keyint
	e.encMu.Lock()
	if e.closed {
		e.encMu.Unlock()
		return nil, encode.ErrClosed
	}
	var p *encode.Packet
	if idr && e.kbps != e.encAt {
		err = e.reopenLocked()
	}
	var nals [][]byte
	if err == nil {
		nals, err = e.enc.x.encode(e.nals[:0], f.Image, f.PTS, idr)
	}
	if err == nil {
		p, err = e.packetize(nals, f.PTS)
	}
	e.encMu.Unlock()
	if nals != nil {
		clear(nals) // keep no pointers into x265's buffer
		e.nals = nals[:0]
	}
	if p != nil && p.Keyframe {
		e.sinceIDR = 0
	} else if p != nil {
		e.sinceIDR++
	}
	if err != nil {
		return nil, err
	}
	e.busy.Add(int64(time.Since(began)))
	e.frames.Add(1)
	return p, nil
}

// checkImage checks that img is a 4:2:0 picture of the configured size.
// Any strides and origin will do: x265 takes them as they are.
func (e *Encoder) checkImage(img *image.YCbCr) error {
	w, h := e.cfg.Width, e.cfg.Height
	if img == nil {
		return errors.New("hevc: source returned a frame with no image")
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect.Dx() != w || img.Rect.Dy() != h {
		return fmt.Errorf("hevc: source frame is %v %v, want %dx%d 4:2:0", img.Rect.Size(), img.SubsampleRatio, w, h)
	}
	r := img.Rect
	ci := img.COffset(r.Min.X, r.Min.Y)
	if img.YOffset(r.Min.X, r.Min.Y)+(h-1)*img.YStride+w > len(img.Y) ||
		ci+(h/2-1)*img.CStride+w/2 > min(len(img.Cb), len(img.Cr)) || img.CStride < w/2 || img.YStride < w {
		return errors.New("hevc: source frame's planes are shorter than its size and strides")
	}
	return nil
}

// packetize copies one access unit's coded slices into a packet.
func (e *Encoder) packetize(nals [][]byte, pts time.Duration) (*encode.Packet, error) {
	b := e.get()
	data := b.data[:0]
	key := false
	for _, n := range nals {
		typ := nalType(n)
		if typ >= nalFirstNonVCL {
			continue // parameter sets (in Record), AUD, SEI
		}
		key = key || isIDR(typ)
		data = appendLengthPrefixed(data, n)
	}
	if len(data) == 0 {
		e.put(b)
		return nil, errors.New("hevc: x265 access unit has no slice data")
	}
	if e.frames.Load() == 0 && !key {
		e.put(b)
		return nil, errors.New("hevc: x265's first picture is not an IDR")
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
