package testpeer

// An Enhanced RTMP server for tests, independent of package rtmp: it is
// built on gortmplib (github.com/bluenviron/gortmplib), a separate RTMP
// implementation that reads HEVC and AV1 in the Enhanced RTMP v2 form.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// ERTMPOptions tune StartERTMPServerWith.
type ERTMPOptions struct {
	// Declare, when set, makes the server answer connect with a
	// fourCcList of these FourCCs (for example ["avc1"] to refuse HEVC
	// and AV1) and then serve nothing more: it only records what the
	// client does after the answer (see ERTMPReceived.Commands). When
	// empty, the server declares nothing and takes the publish.
	Declare []string
}

// ERTMPServer is a one-shot Enhanced RTMP server on 127.0.0.1: it accepts
// one publisher (any app and key), reads its video track (H.264, HEVC or
// AV1) and writes the access units it receives to a file that FFmpeg can
// decode: AV1 as IVF, each temporal unit starting with a temporal
// delimiter and keyframes with the sequence header; HEVC and H.264 as
// Annex B, with the parameter sets before every keyframe. The test's
// cleanup closes it and waits for its goroutine.
type ERTMPServer struct {
	// URL is rtmp://127.0.0.1:port/live; publish to URL + "/" + key.
	URL string

	ln   net.Listener
	dir  string
	opts ERTMPOptions
	done chan struct{}
	mu   sync.Mutex
	conn net.Conn
	got  ERTMPReceived
}

// ERTMPReceived is what the server received from its publisher.
type ERTMPReceived struct {
	// ClientFourCCs is the fourCcList of the client's connect.
	ClientFourCCs []string
	// Commands are the names of the commands the client sent after
	// connect, when the server only declared codecs (ERTMPOptions.Declare).
	Commands []string
	// Codec is "h264", "hevc" or "av1" ("" if no video track was read).
	Codec string
	// File is the written video (IVF for AV1, Annex B otherwise), and
	// Frames and Keyframes count the access units written to it.
	File              string
	Frames, Keyframes int
	// Err is why the session ended other than by the publisher closing
	// the connection (nil for that).
	Err error
}

// StartERTMPServer starts a server that takes a publish.
func StartERTMPServer(t testing.TB) *ERTMPServer {
	return StartERTMPServerWith(t, ERTMPOptions{})
}

// StartERTMPServerWith starts a server with options.
func StartERTMPServerWith(t testing.TB, o ERTMPOptions) *ERTMPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ERTMPServer{
		URL:  "rtmp://" + ln.Addr().String() + "/live",
		ln:   ln,
		dir:  t.TempDir(),
		opts: o,
		done: make(chan struct{}),
	}
	go s.run()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
		<-s.done
	})
	return s
}

// Wait waits until the publisher has gone (or timeout) and returns what
// it sent.
func (s *ERTMPServer) Wait(timeout time.Duration) (ERTMPReceived, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.done:
		return s.got, nil
	case <-t.C:
		return ERTMPReceived{}, fmt.Errorf("testpeer: the E-RTMP publisher did not end within %s", timeout)
	}
}

func (s *ERTMPServer) run() {
	defer close(s.done)
	c, err := s.ln.Accept()
	s.ln.Close() // one publisher
	if err != nil {
		s.got.Err = err
		return
	}
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	defer c.Close()
	s.got.Err = s.serve(idleConn{c})
}

func (s *ERTMPServer) serve(c net.Conn) error {
	sc := &gortmplib.ServerConn{RW: c}
	if err := sc.Initialize(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	for _, v := range sc.FourCcList {
		if f, ok := v.(string); ok {
			s.got.ClientFourCCs = append(s.got.ClientFourCCs, f)
		}
	}
	if len(s.opts.Declare) > 0 {
		return s.declareOnly(sc)
	}
	if err := sc.AcceptConn(); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if !sc.Publish {
		return errors.New("the client plays instead of publishing")
	}
	if err := sc.AcceptAction(); err != nil {
		return err
	}
	tap := &tapConn{ServerConn: sc}
	r := &gortmplib.Reader{Conn: tap}
	if err := r.Initialize(); err != nil {
		return fmt.Errorf("reading tracks: %w", err)
	}
	var video *gortmplib.Track
	for _, tr := range r.Tracks() {
		if tr.Codec.IsVideo() {
			video = tr
		}
	}
	if video == nil {
		return errors.New("no video track")
	}
	out, err := s.open(video, tap.seq)
	if err != nil {
		return err
	}
	err = s.read(r, video, out)
	if cerr := out.close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// declareOnly answers connect (our client's first transaction, on chunk
// stream 3) with the declared fourCcList, then records the commands the
// client sends until it goes.
func (s *ERTMPServer) declareOnly(sc *gortmplib.ServerConn) error {
	list := make(amf0.StrictArray, len(s.opts.Declare))
	for i, f := range s.opts.Declare {
		list[i] = f
	}
	err := sc.Write(&message.CommandAMF0{
		ChunkStreamID: 3,
		Name:          "_result",
		CommandID:     1,
		Arguments: []any{
			amf0.Object{
				{Key: "fmsVer", Value: "FMS/3,5,7,7009"},
				{Key: "capabilities", Value: float64(31)},
				{Key: "fourCcList", Value: list},
			},
			amf0.Object{
				{Key: "level", Value: "status"},
				{Key: "code", Value: "NetConnection.Connect.Success"},
				{Key: "description", Value: "Connection succeeded."},
			},
		},
	})
	if err != nil {
		return err
	}
	for {
		m, err := sc.Read()
		if err != nil {
			return nil // the client went
		}
		if cmd, ok := m.(*message.CommandAMF0); ok {
			s.got.Commands = append(s.got.Commands, cmd.Name)
		}
	}
}

// tapConn keeps the Enhanced RTMP sequence start that gortmplib's Reader
// reads (the track it makes of it drops AV1's sequence header).
type tapConn struct {
	*gortmplib.ServerConn
	seq *message.VideoExSequenceStart
}

func (c *tapConn) Read() (message.Message, error) {
	m, err := c.ServerConn.Read()
	if ss, ok := m.(*message.VideoExSequenceStart); ok && c.seq == nil {
		c.seq = ss
	}
	return m, err
}

// videoFile is where received access units go.
type videoFile struct {
	f        *os.File
	w        *bufio.Writer
	ivf      bool
	frames   int
	paramSet [][]byte // Annex B: the parameter sets; IVF: the sequence header OBU
}

func (v *videoFile) close() error {
	if v.ivf {
		// The frame count in the IVF header.
		if err := v.w.Flush(); err != nil {
			return err
		}
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(v.frames))
		if _, err := v.f.WriteAt(n[:], 24); err != nil {
			return err
		}
	}
	if err := v.w.Flush(); err != nil {
		return err
	}
	return v.f.Close()
}

func (s *ERTMPServer) open(tr *gortmplib.Track, seq *message.VideoExSequenceStart) (*videoFile, error) {
	v := &videoFile{}
	var name string
	switch c := tr.Codec.(type) {
	case *codecs.AV1:
		s.got.Codec, name, v.ivf = "av1", "video.ivf", true
		if seq == nil || seq.AV1Config == nil {
			return nil, errors.New("AV1 without a sequence start")
		}
		var obus av1.Bitstream
		if err := obus.Unmarshal(seq.AV1Config.ConfigOBUs); err != nil {
			return nil, fmt.Errorf("av1C configOBUs: %w", err)
		}
		for _, o := range obus {
			var h av1.OBUHeader
			if h.Unmarshal(o) == nil && h.Type == av1.OBUTypeSequenceHeader {
				v.paramSet = [][]byte{o}
			}
		}
		if v.paramSet == nil {
			return nil, errors.New("av1C without a sequence header")
		}
	case *codecs.H265:
		s.got.Codec, name, v.paramSet = "hevc", "video.h265", [][]byte{c.VPS, c.SPS, c.PPS}
	case *codecs.H264:
		s.got.Codec, name, v.paramSet = "h264", "video.h264", [][]byte{c.SPS, c.PPS}
	default:
		return nil, fmt.Errorf("video codec %T", tr.Codec)
	}
	s.got.File = filepath.Join(s.dir, name)
	f, err := os.Create(s.got.File)
	if err != nil {
		return nil, err
	}
	v.f, v.w = f, bufio.NewWriter(f)
	if v.ivf {
		var h [32]byte
		copy(h[:], "DKIF")
		binary.LittleEndian.PutUint16(h[6:], 32)
		copy(h[8:], "AV01")
		binary.LittleEndian.PutUint32(h[16:], 1000) // time base 1/1000
		binary.LittleEndian.PutUint32(h[20:], 1)
		_, _ = v.w.Write(h[:])
	}
	return v, nil
}

// read writes the access units until the publisher goes.
func (s *ERTMPServer) read(r *gortmplib.Reader, tr *gortmplib.Track, v *videoFile) error {
	var werr error
	write := func(pts time.Duration, au [][]byte, key bool) {
		if werr != nil {
			return
		}
		s.got.Frames++
		if key {
			s.got.Keyframes++
		}
		werr = v.writeAU(pts, au, key)
	}
	switch tr.Codec.(type) {
	case *codecs.AV1:
		r.OnDataAV1(tr, func(pts time.Duration, tu [][]byte) {
			write(pts, tu, av1.IsRandomAccess2(tu))
		})
	case *codecs.H265:
		r.OnDataH265(tr, func(pts, _ time.Duration, au [][]byte) {
			write(pts, au, h265.IsRandomAccess(au))
		})
	case *codecs.H264:
		r.OnDataH264(tr, func(pts, _ time.Duration, au [][]byte) {
			write(pts, au, h264.IsRandomAccess(au))
		})
	}
	// Audio is read and dropped: a track without a callback would stop
	// the reader.
	for _, t := range r.Tracks() {
		if _, ok := t.Codec.(*codecs.MPEG4Audio); ok {
			r.OnDataMPEG4Audio(t, func(time.Duration, []byte) {})
		}
	}
	for werr == nil {
		if err := r.Read(); err != nil {
			if errors.Is(err, net.ErrClosed) || isEOF(err) {
				break
			}
			return err
		}
	}
	return werr
}

// isEOF reports whether err means that the publisher closed the
// connection.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// writeAU writes one access unit: an IVF frame (temporal delimiter, the
// sequence header before a keyframe that lacks it, then the OBUs), or
// Annex B NAL units (the parameter sets before a keyframe).
func (v *videoFile) writeAU(pts time.Duration, au [][]byte, key bool) error {
	v.frames++
	if v.ivf {
		tu := av1.Bitstream{{byte(av1.OBUTypeTemporalDelimiter) << 3}}
		if key && !slices.ContainsFunc(au, func(o []byte) bool {
			var h av1.OBUHeader
			return h.Unmarshal(o) == nil && h.Type == av1.OBUTypeSequenceHeader
		}) {
			tu = append(tu, v.paramSet...)
		}
		data, err := append(tu, au...).Marshal()
		if err != nil {
			return err
		}
		var h [12]byte
		binary.LittleEndian.PutUint32(h[:], uint32(len(data)))
		binary.LittleEndian.PutUint64(h[4:], uint64(pts.Milliseconds()))
		_, _ = v.w.Write(h[:])
		_, err = v.w.Write(data)
		return err
	}
	if key {
		au = append(slices.Clone(v.paramSet), au...)
	}
	for _, n := range au {
		_, _ = v.w.Write([]byte{0, 0, 0, 1})
		if _, err := v.w.Write(n); err != nil {
			return err
		}
	}
	return nil
}
