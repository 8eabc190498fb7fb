package av1

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

// Encoder is an encode.VideoEncoder backed by SVT-AV1.
//
// Each ReadPacket returns one packet per frame read, in order: a temporal
// unit without temporal delimiters, PTS = DTS = the frame's capture PTS,
// Keyframe set for key frames (which begin with the sequence header OBU).
// The first packet is a key frame. Packets come from a free list: Release
// them.
//
// ReadPacket must not be called concurrently with itself; Config,
// SetBitrate, ForceKeyframe, Work and Close may be called from any
// goroutine at any time.
type Encoder struct {
	src capture.VideoSource
	cfg Config // normalised

	wantKbps atomic.Int64 // the bitrate the next frame is encoded at
	forceKey atomic.Bool  // a key frame was requested
	isClosed atomic.Bool  // mirrors closed, for the fast path

	frames atomic.Uint64 // packets returned
	busy   atomic.Int64  // ns spent in SVT-AV1

	readMu sync.Mutex // serialises ReadPacket; guards queue and started
	queue  []*encode.Packet
	// started is set once a packet has been returned.
	started bool

	encMu    sync.Mutex // guards closed and the fields below
	closed   bool
	svt      *svtEncoder // nil between a restart or failure and the next frame
	svtKbps  int         // the bitrate svt runs at
	svtSent  int         // frames sent to svt
	inFlight int         // frames sent to svt whose packets have not come out
	seq      int64       // the next frame's sequence number
	pts      [4]seqPTS   // capture times of the frames in flight, by seq%4
	seqHdr   []byte      // the sequence header OBU of the first key frame

	cfgMu sync.RWMutex // guards vcfg
	vcfg  encode.VideoConfig

	free freelist.List[packetBuf]
}

type seqPTS struct {
	seq int64
	pts time.Duration
}

// New returns an encoder for the frames of src, with SVT-AV1 already set
// up. The encoder owns src: Close closes it. On error src is left open.
func New(src capture.VideoSource, cfg Config) (*Encoder, error) {
	if src == nil {
		return nil, errors.New("av1: nil source")
	}
	cfg, err := cfg.normalise(src.Props())
	if err != nil {
		return nil, err
	}
	svt, err := openSVT(cfg.svt(cfg.BitrateKbps))
	if err != nil {
		return nil, fmt.Errorf("av1: open SVT-AV1: %w", err)
	}
	e := &Encoder{
		src:     src,
		cfg:     cfg,
		svt:     svt,
		svtKbps: cfg.BitrateKbps,
		queue:   make([]*encode.Packet, 0, 4),
		vcfg: encode.VideoConfig{
			Codec:       encode.AV1,
			Width:       cfg.Width,
			Height:      cfg.Height,
			FPS:         cfg.FPS,
			BitrateKbps: cfg.BitrateKbps,
			Encoder:     EncoderName,
		},
	}
	e.wantKbps.Store(int64(cfg.BitrateKbps))
	return e, nil
}

// Config returns the stream's configuration. Record is set once the first
// packet has been returned (it is made from the sequence header of the
// first key frame, which is not quite the one SVT-AV1's stream header call
// returns before encoding); BitrateKbps follows SetBitrate. Record is shared and must not be modified.
func (e *Encoder) Config() encode.VideoConfig {
	e.cfgMu.RLock()
	defer e.cfgMu.RUnlock()
	return e.vcfg
}

// SetBitrate changes the target bitrate from the next frame on, which will
// be a key frame (see the package doc). It does not block.
func (e *Encoder) SetBitrate(kbps int) error {
	if err := checkBitrate(kbps); err != nil {
		return err
	}
	if e.isClosed.Load() {
		return encode.ErrClosed
	}
	e.cfgMu.Lock()
	e.vcfg.BitrateKbps = kbps
	e.wantKbps.Store(int64(kbps))
	e.cfgMu.Unlock()
	return nil
}

// ForceKeyframe makes the next frame read a key frame. It does not block.
func (e *Encoder) ForceKeyframe() error {
	if e.isClosed.Load() {
		return encode.ErrClosed
	}
	e.forceKey.Store(true)
	return nil
}

// Work reports how many packets the encoder has returned and the time it
// spent in SVT-AV1 for them (wall time, restarts included, waiting for the
// source excluded). It is safe to call from any goroutine.
func (e *Encoder) Work() (frames uint64, busy time.Duration) {
	return e.frames.Load(), time.Duration(e.busy.Load())
}

// Close stops the encoder and closes the source. A ReadPacket blocked on the
// source returns encode.ErrClosed; one in SVT-AV1 finishes its frame first.
// It is safe to call more than once; later calls return nil.
func (e *Encoder) Close() error {
	e.encMu.Lock()
	if e.closed {
		e.encMu.Unlock()
		return nil
	}
	e.closed = true
	e.isClosed.Store(true)
	e.encMu.Unlock()

	var errs []error
	if err := e.src.Close(); err != nil {
		errs = append(errs, fmt.Errorf("av1: close source: %w", err))
	}
	e.encMu.Lock()
	if e.svt != nil {
		if err := e.flushLocked(false); err != nil {
			errs = append(errs, err)
		}
	}
	e.encMu.Unlock()
	return errors.Join(errs...)
}

// ReadPacket returns the next packet, reading frames from the source as
// needed (two for the first packet and after a restart's flush has been
// handed out, one otherwise). It returns encode.ErrClosed after Close,
// ctx.Err() when ctx ends while waiting for the source, and wrapped source
// or SVT-AV1 errors otherwise.
func (e *Encoder) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	e.readMu.Lock()
	defer e.readMu.Unlock()
	for {
		if e.isClosed.Load() {
			return nil, encode.ErrClosed
		}
		if len(e.queue) > 0 {
			p := e.queue[0]
			e.queue = append(e.queue[:0], e.queue[1:]...)
			if !e.started {
				if !p.Keyframe {
					p.Release()
					return nil, errors.New("av1: SVT-AV1's first frame is not a key frame")
				}
				e.started = true
			}
			e.frames.Add(1)
			return p, nil
		}
		f, err := e.src.Read(ctx)
		if err != nil {
			if e.isClosed.Load() {
				return nil, encode.ErrClosed
			}
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return nil, err
			}
			return nil, fmt.Errorf("av1: read source: %w", err)
		}
		began := time.Now()
		err = e.encode(f.Image, f.PTS)
		f.Release() // SVT-AV1 has copied the picture
		e.busy.Add(int64(time.Since(began)))
		if err != nil {
			return nil, err
		}
	}
}

// encode sends one frame to SVT-AV1, restarting it first when asked to,
// and queues the packets that come out.
func (e *Encoder) encode(img *image.YCbCr, pts time.Duration) error {
	if err := e.checkImage(img); err != nil {
		return err
	}
	e.encMu.Lock()
	defer e.encMu.Unlock()
	if e.closed {
		return encode.ErrClosed
	}
	kbps := int(e.wantKbps.Load())
	restart := e.forceKey.Swap(false) && !e.keyDueLocked()
	if e.svt != nil && (restart || kbps != e.svtKbps) {
		if err := e.flushLocked(true); err != nil {
			return err
		}
	}
	if e.svt == nil {
		svt, err := openSVT(e.cfg.svt(kbps))
		if err != nil {
			return fmt.Errorf("av1: reopen SVT-AV1: %w", err)
		}
		e.svt, e.svtKbps, e.svtSent = svt, kbps, 0
	}
	seq := e.seq
	if err := e.svt.send(img, seq); err != nil {
		e.dropLocked()
		return fmt.Errorf("av1: SVT-AV1 send: %w", err)
	}
	e.pts[seq%int64(len(e.pts))] = seqPTS{seq: seq, pts: pts}
	e.seq++
	e.svtSent++
	e.inFlight++
	if e.inFlight < 2 {
		return nil
	}
	// The packet of the frame before this one is due.
	p, err := e.svt.receive(true)
	if err == nil {
		err = e.queueLocked(p)
	}
	if err != nil {
		e.dropLocked()
		return fmt.Errorf("av1: SVT-AV1 receive: %w", err)
	}
	return nil
}

// keyDueLocked reports whether the frame in flight, whose packet has not
// been returned yet, or the next frame sent will be a key frame: then a
// forced key frame needs no restart. SVT-AV1 puts a key frame on every
// keyint-th frame from the first.
func (e *Encoder) keyDueLocked() bool {
	keyint := e.cfg.KeyIntervalFrames()
	return e.svt == nil || e.svtSent%keyint == 0 || e.inFlight > 0 && (e.svtSent-1)%keyint == 0
}

// flushLocked ends the current SVT-AV1 instance: with keep, it queues the
// packets of the frames in flight; either way it frees the instance.
func (e *Encoder) flushLocked(keep bool) error {
	defer e.dropLocked()
	if e.svtSent == 0 {
		return nil // svt.close sends what SVT-AV1 needs before it is freed
	}
	if err := e.svt.sendEOS(); err != nil {
		return fmt.Errorf("av1: SVT-AV1 end of stream: %w", err)
	}
	for {
		p, err := e.svt.receive(true)
		if err != nil {
			return fmt.Errorf("av1: SVT-AV1 flush: %w", err)
		}
		if keep && len(p.data) > 0 && e.inFlight > 0 {
			if err := e.queueLocked(p); err != nil {
				return fmt.Errorf("av1: SVT-AV1 flush: %w", err)
			}
		}
		if p.eos {
			return nil
		}
	}
}

// dropLocked frees the SVT-AV1 instance, dropping frames in flight.
func (e *Encoder) dropLocked() {
	if e.svt != nil {
		e.svt.close()
		e.svt = nil
	}
	e.inFlight, e.svtSent = 0, 0
}

// checkImage fails unless img is a 4:2:0 picture of the configured size.
func (e *Encoder) checkImage(img *image.YCbCr) error {
	w, h := e.cfg.Width, e.cfg.Height
	if img == nil {
		return errors.New("av1: source returned a frame with no image")
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect.Dx() != w || img.Rect.Dy() != h {
		return fmt.Errorf("av1: source frame is %v %v, want %dx%d 4:2:0", img.Rect.Size(), img.SubsampleRatio, w, h)
	}
	r := img.Rect
	if img.YOffset(r.Max.X-1, r.Max.Y-1) >= len(img.Y) || img.COffset(r.Max.X-1, r.Max.Y-1) >= min(len(img.Cb), len(img.Cr)) ||
		img.YStride < w || img.CStride < w/2 {
		return errors.New("av1: source frame's planes are shorter than its size")
	}
	return nil
}
