// Package av1 encodes video frames to AV1 with SVT-AV1 (libSvtAv1Enc 1.4)
// and hands out encode.Packets: one temporal unit per frame, its OBUs in
// the low-overhead format without temporal delimiters, stamped with the
// capture time of the frame it came from, with the sequence header also in
// encode.VideoConfig.Record as an AV1CodecConfigurationRecord.
//
// It drives SVT-AV1 through its own small cgo bridge rather than
// github.com/pion/mediadevices/pkg/codec/svtav1 (v0.9.4), which cannot do
// what a live encoder needs with this library version:
//
//   - Its Read loops, reading further frames from its video.Reader, until
//     SVT-AV1 has a packet ready, and drops the packets' timestamps, so the
//     capture time of each packet is lost and the number of frames consumed
//     per packet varies with load.
//   - Its SetBitRate calls svt_av1_enc_set_parameter on a running encoder:
//     SVT-AV1 1.4 accepts the call and keeps encoding at the old rate
//     (measured: 2000 kbit/s before and after a change to 500), while the
//     call rewrites the configuration the encoder threads read.
//   - Its ForceKeyFrame marks the next picture EB_AV1_KEY_PICTURE, which
//     SVT-AV1 1.4 ignores unless force_key_frames is set, and that is
//     refused outside random-access CRF/CQP ("Force key frame is only
//     supported with RA CRF/CQP mode").
//
// What this package does instead:
//
//   - Prediction structure low delay, CBR rate control, closed GOP key
//     frames every KeyInterval: no frame is coded before an earlier one, so
//     packets come out in capture order and DTS = PTS.
//   - SVT-AV1 keeps each picture until the next one arrives (its input
//     stage holds one back to mark the end of the stream), so the packet of
//     frame N comes out once frame N+1 has been sent. ReadPacket therefore
//     reads two frames before its first packet and then one frame per
//     packet: one frame interval of latency on top of the encode time. The
//     packet's PTS is that of its own frame: frames carry a sequence number
//     through the encoder.
//   - SetBitrate and ForceKeyframe restart the encoder before the next
//     frame: the old instance is flushed (its last packet is still
//     returned), a new one opens at the current bitrate, and its first frame
//     is a key frame with the same sequence header. A restart costs tens of
//     milliseconds of setup on the encoding goroutine and a key frame; calls
//     between two frames are merged into one restart.
//   - The sequence header OBU, which SVT-AV1 also writes in front of every
//     key frame (kept there: the issue allows it), goes into Record.
//   - SVT-AV1's log is limited to errors unless SVT_LOG is set.
//
// Speed, measured with the package benchmarks (the synth pattern, unpaced,
// 2.5 Mbit/s at 720p) on 2 cores of a 2.0 GHz Xeon shared with other work
// (load about 2): wall and CPU time per 1280x720 frame, and the frame rate
// that wall time allows.
//
//	preset  wall ms  CPU ms  fps
//	     8      237     369    4
//	     9      156     229    6
//	    10      103     160   10
//	    11      108     146    9
//	    12       57      84   18
//	    13       41      56   25
//	x264 veryfast  12      18   85   (same frames and bitrate)
//
// So no preset keeps 720p30 in real time there; SVT-AV1 preset 12 costs
// about 4.6 times the CPU of x264 veryfast. At preset 12, 854x480 takes 31
// ms (45 ms CPU) per frame, about 30 fps, and 640x360 18 ms (24 ms CPU).
// A restart (SetBitrate, ForceKeyframe) at 720p took no longer than an
// ordinary frame.
package av1

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	mcav1 "github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"

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

type packetBuf struct {
	data []byte
	pkt  encode.Packet
	rel  func()
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

// queueLocked turns an SVT-AV1 packet into an encode.Packet and queues it.
func (e *Encoder) queueLocked(p svtPacket) error {
	if p.seq < 0 || e.pts[p.seq%int64(len(e.pts))].seq != p.seq {
		return fmt.Errorf("packet for unknown frame %d", p.seq)
	}
	at := e.pts[p.seq%int64(len(e.pts))]
	b := e.get()
	data, seqHdr, err := AppendTemporalUnit(b.data[:0], p.data)
	if err == nil && seqHdr {
		err = e.checkSequenceHeaderLocked(data)
	}
	if err != nil {
		e.put(b)
		return err
	}
	if len(data) == 0 {
		e.put(b)
		return fmt.Errorf("empty temporal unit for frame %d", p.seq)
	}
	if p.key && !seqHdr {
		e.put(b)
		return fmt.Errorf("key frame %d without a sequence header", p.seq)
	}
	e.inFlight--
	b.data = data
	b.pkt = *encode.NewPacket(encode.Video, at.pts, at.pts, p.key, data, b.rel)
	e.queue = append(e.queue, &b.pkt)
	return nil
}

// checkSequenceHeaderLocked takes the sequence header from the first key
// frame into Record and checks that later ones, restarts included, repeat
// it: a decoder configured from Record must be able to decode them all.
func (e *Encoder) checkSequenceHeaderLocked(tu []byte) error {
	for len(tu) > 0 {
		h, err := nextOBU(tu)
		if err != nil {
			return err
		}
		if h.typ != mcav1.OBUTypeSequenceHeader {
			tu = tu[h.size:]
			continue
		}
		obu := tu[:h.size]
		if e.seqHdr != nil {
			if !bytes.Equal(obu, e.seqHdr) {
				return fmt.Errorf("sequence header changed from % x to % x", e.seqHdr, obu)
			}
			return nil
		}
		rec, err := ConfigRecord(obu)
		if err != nil {
			return err
		}
		e.seqHdr = rec[4:]
		e.cfgMu.Lock()
		e.vcfg.Record = rec
		e.cfgMu.Unlock()
		return nil
	}
	return nil
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
