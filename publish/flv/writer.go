package flv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"studio/encode"
)

// Writer records one stream as an FLV file. It satisfies the
// publish.Publisher contract: WriteHeader once, then WritePacket, then
// Close. It is not safe for concurrent use.
//
// WriteHeader writes the file header (with the audio and video flags of the
// kinds that info configures), onMetaData (without @setDataFrame) and the
// video and AAC sequence headers, all at timestamp 0. H.264 video is
// written in the legacy form; HEVC and AV1 in the Enhanced RTMP form (see
// AppendVideoSequenceStart and AppendVideoPacketHeader), which FFmpeg 5.1
// does not read but Enhanced RTMP aware tools do. WritePacket writes one
// tag per packet, timestamped in milliseconds from the packet's DTS, rebased
// so that the first packet written, of either kind, is at 0 (earlier packets
// are clamped to 0). The video composition time is PTS − DTS. Packets are
// written as they come: the first video packet should be a keyframe.
//
// After WriteHeader, WritePacket does not allocate. A write error is
// returned wrapped and is sticky: every later call returns it and writes
// nothing, so the file holds a prefix of a valid FLV file ending where the
// failing write stopped.
type Writer struct {
	w    io.Writer
	file *os.File      // owned, closed by Close; nil for NewWriter
	buf  *bufio.Writer // buffers file; nil for NewWriter

	err        error // first write error; sticky
	header     bool  // WriteHeader succeeded
	closed     bool
	closeErr   error
	hasVideo   bool
	codec      encode.VideoCodec
	hasAudio   bool
	haveBase   bool
	base       time.Duration // DTS of the first packet
	lastTS     uint32        // largest timestamp written, ms
	written    int64         // bytes handed to w without error
	scratch    [TagHeaderSize + MaxVideoPacketHeaderSize]byte
	tagSizeBE  [4]byte
	fileClosed atomic.Bool // by Abort or Close
	path       string      // the file's, for a Writer from Create
	ends       *tagEnds    // for a Writer from Create
}

// NewWriter returns a Writer that writes to w. The caller keeps ownership of
// w: Close does not close it. Each tag takes three writes (header, payload,
// PreviousTagSize), so w should be buffered.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// Create creates (or truncates) the file at path and returns a Writer that
// writes to it through a buffer. Close flushes the buffer and closes the
// file.
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("flv: %w", err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	return &Writer{w: bw, file: f, buf: bw, path: path, ends: new(tagEnds)}, nil
}

// write writes b, recording the first error.
func (w *Writer) write(b []byte) error {
	if w.err != nil {
		return w.err
	}
	n, err := w.w.Write(b)
	w.written += int64(n)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("flv: write: %w", err)
	}
	return w.err
}

// WriteHeader writes the file header, onMetaData and the sequence headers of
// the kinds that info configures: video when HasVideo(info.Video), audio
// when info.Audio.ASC is set. At least one must be. It may be called once.
func (w *Writer) WriteHeader(info encode.StreamInfo) error {
	switch {
	case w.closed:
		return ErrClosed
	case w.err != nil:
		return w.err
	case w.header:
		return errors.New("flv: WriteHeader called twice")
	}
	hasVideo, hasAudio := HasVideo(info.Video), len(info.Audio.ASC) > 0
	if !hasVideo && !hasAudio {
		return fmt.Errorf("%w: neither video nor audio configured", ErrBadConfig)
	}

	var flags uint8
	var videoSeq, audioSeq []byte
	var err error
	if hasVideo {
		flags |= FlagVideo
		if videoSeq, err = AppendVideoSequenceStart(nil, info.Video); err != nil {
			return err
		}
	}
	if hasAudio {
		flags |= FlagAudio
		if audioSeq, err = AppendAACSequenceHeader(nil, info.Audio); err != nil {
			return err
		}
	}
	meta, err := AppendMetadata(nil, info, false)
	if err != nil {
		return err
	}

	b := AppendFileHeader(make([]byte, 0, 512), flags)
	b = appendTag(b, TagScript, 0, meta)
	if hasVideo {
		b = appendTag(b, TagVideo, 0, videoSeq)
	}
	if hasAudio {
		b = appendTag(b, TagAudio, 0, audioSeq)
	}
	if err := w.write(b); err != nil {
		return err
	}
	w.header, w.hasVideo, w.hasAudio, w.codec = true, hasVideo, hasAudio, info.Video.Codec
	w.tagEnd()
	return nil
}

// appendTag appends a whole tag: header, body and PreviousTagSize.
func appendTag(b []byte, typ TagType, ts uint32, body []byte) []byte {
	b = AppendTagHeader(b, typ, len(body), ts)
	b = append(b, body...)
	return AppendPreviousTagSize(b, len(body))
}

// WritePacket writes p as one tag. It does not retain p.
func (w *Writer) WritePacket(p *encode.Packet) error {
	switch {
	case w.closed:
		return ErrClosed
	case w.err != nil:
		return w.err
	case !w.header:
		return errors.New("flv: WritePacket before WriteHeader")
	case p == nil:
		return errors.New("flv: nil packet")
	}

	// The media header goes after room for the tag header, whose size
	// field depends on it.
	var typ TagType
	var media []byte
	switch p.Kind {
	case encode.Video:
		if !w.hasVideo {
			return errors.New("flv: video packet in a stream without video")
		}
		typ = TagVideo
		media = AppendVideoPacketHeader(w.scratch[TagHeaderSize:TagHeaderSize], w.codec, p.Keyframe, p.PTS-p.DTS)
	case encode.Audio:
		if !w.hasAudio {
			return errors.New("flv: audio packet in a stream without audio")
		}
		typ = TagAudio
		media = AppendAACPacketHeader(w.scratch[TagHeaderSize:TagHeaderSize])
	default:
		return fmt.Errorf("flv: packet of unknown kind %d", p.Kind)
	}
	size := len(media) + len(p.Data)
	if size > MaxTagBodySize {
		return fmt.Errorf("%w: %s packet of %d bytes", ErrTooLarge, p.Kind, len(p.Data))
	}

	if !w.haveBase {
		w.base, w.haveBase = p.DTS, true
	}
	var ts uint32
	if d := p.DTS - w.base; d > 0 {
		ts = uint32(d.Milliseconds())
	}

	AppendTagHeader(w.scratch[:0], typ, size, ts)
	h := w.scratch[:TagHeaderSize+len(media)]
	if err := w.write(h); err != nil {
		return err
	}
	if err := w.write(p.Data); err != nil {
		return err
	}
	if err := w.write(AppendPreviousTagSize(w.tagSizeBE[:0], size)); err != nil {
		return err
	}
	w.lastTS = max(w.lastTS, ts)
	w.tagEnd()
	return nil
}

// Duration returns the largest tag timestamp written so far: the length of
// the recording, less the duration of its last frame.
func (w *Writer) Duration() time.Duration {
	return time.Duration(w.lastTS) * time.Millisecond
}

// Written returns how many bytes were handed to the underlying writer
// without error (for a file from Create, some may still be buffered).
func (w *Writer) Written() int64 { return w.written }

// ErrAborted is returned by a Writer from Create after Abort.
var ErrAborted = errors.New("flv: recording aborted")

// Abort cuts the recording short: for a Writer from Create it closes the
// file at once, so that a write blocked on a stalled disk or pipe returns.
// Every later write fails, and Close returns promptly; what reached the
// file stays. Unlike the other methods, Abort may be called from any
// goroutine, at any time, more than once.
func (w *Writer) Abort() {
	if w.file != nil && w.fileClosed.CompareAndSwap(false, true) {
		_ = w.file.Close()
	}
}

// Close flushes buffered data and, for a Writer from Create, closes the
// file. It returns the first error the Writer met: a write error, then a
// flush or close error. If ctx ends first, the recording is aborted (see
// Abort). Close is idempotent; later calls return the same error.
func (w *Writer) Close(ctx context.Context) error {
	if w.closed {
		return w.closeErr
	}
	w.closed = true
	stop := context.AfterFunc(ctx, w.Abort)
	defer stop()
	err := w.err
	if w.fileClosed.Load() && err == nil {
		err = ErrAborted
	}
	if w.buf != nil && err == nil {
		if ferr := w.buf.Flush(); ferr != nil {
			err = fmt.Errorf("flv: flush: %w", ferr)
		}
	}
	if w.fileClosed.Load() && err == nil {
		err = ErrAborted
	}
	if w.file != nil && w.fileClosed.CompareAndSwap(false, true) {
		if cerr := w.file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("flv: close: %w", cerr)
		}
	}
	if err != nil {
		w.trim()
	}
	w.closeErr = err
	return err
}
