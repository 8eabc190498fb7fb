package testpeer

// An Enhanced RTMP server (gortmplib) that asks its publisher to
// reconnect, and takes the second publish on the same key while the
// first still runs.

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// ReconnectServer is an Enhanced RTMP server on 127.0.0.1, built on
// gortmplib, that takes two publishers of H.264 or HEVC (any app and
// key) at once. RequestReconnect sends the first one the status
// NetConnection.Connect.ReconnectRequest. Every video frame of both
// connections is written to one Annex B file in the order it arrived
// (each connection's parameter sets before its keyframes), so that
// FFmpeg decodes the timeline a viewer would get. The test's cleanup
// closes it and waits for its goroutines.
type ReconnectServer struct {
	// URL is rtmp://127.0.0.1:port/live; publish to URL + "/" + key.
	URL string
	// Addr is the listener's host:port.
	Addr string

	ln      net.Listener
	request chan string
	conns   sync.WaitGroup
	changed chan struct{} // signalled on every frame and every connection's end

	mu     sync.Mutex
	open   []net.Conn
	active int
	file   *os.File
	w      *bufio.Writer
	got    ReconnectReceived
}

// ReconnectFrame is one video frame the server received.
type ReconnectFrame struct {
	Conn int           // 0: the first connection, 1: the second
	PTS  time.Duration // as the publisher stamped it
	Key  bool
	At   time.Time // when it was read
}

// ReconnectConn is what the server knows of one connection.
type ReconnectConn struct {
	// Path is the publish URL's path: /app/key.
	Path string
	// Commands are the commands the publisher sent after publishing
	// (FCUnpublish and deleteStream when it unpublished).
	Commands []string
	// Ended is when the connection ended; Err why, other than by the
	// publisher closing it.
	Ended time.Time
	Err   error
}

// ReconnectReceived is what the server received.
type ReconnectReceived struct {
	Codec  string // "h264" or "hevc"
	File   string // the Annex B video of both connections in arrival order
	Frames []ReconnectFrame
	Conns  []ReconnectConn
	// Requested is when the reconnect request was sent.
	Requested time.Time
}

// StartReconnectServer starts a ReconnectServer.
func StartReconnectServer(t testing.TB) *ReconnectServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ReconnectServer{
		URL: "rtmp://" + ln.Addr().String() + "/live", Addr: ln.Addr().String(),
		ln: ln, request: make(chan string, 1), changed: make(chan struct{}, 1),
	}
	s.got.File = filepath.Join(t.TempDir(), "video.annexb")
	if s.file, err = os.Create(s.got.File); err != nil {
		t.Fatal(err)
	}
	s.w = bufio.NewWriter(s.file)
	s.conns.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.open {
			c.Close()
		}
		s.mu.Unlock()
		s.conns.Wait()
		_ = s.w.Flush()
		s.file.Close()
	})
	return s
}

// RequestReconnect makes the server ask its first publisher to reconnect,
// to tcURL ("": no tcUrl in the request, the same URL).
func (s *ReconnectServer) RequestReconnect(tcURL string) { s.request <- tcURL }

// WaitFrames waits until the server has received n video frames.
func (s *ReconnectServer) WaitFrames(n int, timeout time.Duration) error {
	return s.waitFor(timeout, func() bool { return len(s.got.Frames) >= n })
}

// Wait waits until every publisher that connected has gone, and returns
// what they sent, the video file flushed.
func (s *ReconnectServer) Wait(timeout time.Duration) (ReconnectReceived, error) {
	if err := s.waitFor(timeout, func() bool { return len(s.got.Conns) > 0 && s.active == 0 }); err != nil {
		return ReconnectReceived{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Flush(); err != nil {
		return ReconnectReceived{}, err
	}
	got := s.got
	got.Frames = append([]ReconnectFrame(nil), s.got.Frames...)
	got.Conns = append([]ReconnectConn(nil), s.got.Conns...)
	return got, nil
}

func (s *ReconnectServer) waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			return fmt.Errorf("testpeer: the reconnect server did not get there within %s", timeout)
		}
	}
}

func (s *ReconnectServer) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *ReconnectServer) accept() {
	defer s.conns.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		i := len(s.got.Conns)
		s.got.Conns = append(s.got.Conns, ReconnectConn{})
		s.open = append(s.open, c)
		s.active++
		s.mu.Unlock()
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
			err := s.serve(i, c)
			if errors.Is(err, net.ErrClosed) || isEOF(err) {
				err = nil
			}
			s.mu.Lock()
			s.got.Conns[i].Ended, s.got.Conns[i].Err = time.Now(), err
			s.active--
			s.mu.Unlock()
			s.signal()
		}()
	}
}

// serve takes one publish and reads its video until the publisher goes.
// The first connection also sends the reconnect request when asked to,
// from this goroutine, the only one that writes to the connection.
func (s *ReconnectServer) serve(i int, c net.Conn) error {
	sc := &gortmplib.ServerConn{RW: c}
	if err := sc.Initialize(); err != nil {
		return fmt.Errorf("connect: %w", err)
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
	s.mu.Lock()
	s.got.Conns[i].Path = sc.URL.Path
	s.mu.Unlock()
	var params [][]byte
	for {
		if i == 0 {
			select {
			case tc := <-s.request:
				if err := sendReconnectRequest(sc, tc); err != nil {
					return err
				}
				s.mu.Lock()
				s.got.Requested = time.Now()
				s.mu.Unlock()
			default:
			}
		}
		m, err := sc.Read()
		if err != nil {
			return err
		}
		at := time.Now()
		var (
			au  [][]byte
			pts time.Duration
		)
		switch m := m.(type) {
		case *message.CommandAMF0:
			s.mu.Lock()
			s.got.Conns[i].Commands = append(s.got.Conns[i].Commands, m.Name)
			s.mu.Unlock()
			continue
		case *message.Video:
			switch {
			case m.Codec != message.CodecH264:
				return fmt.Errorf("legacy video codec %d", m.Codec)
			case m.Type == message.VideoTypeConfig:
				cfg := m.AVCConfig
				if len(cfg.SequenceParameterSets) == 0 || len(cfg.PictureParameterSets) == 0 {
					return errors.New("AVC configuration without SPS or PPS")
				}
				params = [][]byte{cfg.SequenceParameterSets[0].NALUnit, cfg.PictureParameterSets[0].NALUnit}
				s.setCodec("h264")
				continue
			case m.Type != message.VideoTypeAU:
				continue
			}
			var avcc h264.AVCC
			if err := avcc.Unmarshal(m.AU); err != nil {
				return fmt.Errorf("H.264 frame: %w", err)
			}
			au, pts = avcc, m.DTS+m.PTSDelta
		case *message.VideoExSequenceStart:
			if m.HEVCConfig == nil {
				return fmt.Errorf("sequence start of %v: only H.264 and HEVC are taken", m.FourCC)
			}
			params = nil
			for _, typ := range []h265.NALUType{h265.NALUType_VPS_NUT, h265.NALUType_SPS_NUT, h265.NALUType_PPS_NUT} {
				for _, a := range m.HEVCConfig.NaluArrays {
					if h265.NALUType(a.NaluType) == typ && len(a.Nalus) > 0 {
						params = append(params, a.Nalus[0].NALUnit)
					}
				}
			}
			if len(params) != 3 {
				return errors.New("hvcC without VPS, SPS and PPS")
			}
			s.setCodec("hevc")
			continue
		case *message.VideoExCodedFrames:
			var avcc h264.AVCC
			if err := avcc.Unmarshal(m.Payload); err != nil {
				return fmt.Errorf("HEVC frame: %w", err)
			}
			au, pts = avcc, m.DTS+m.PTSDelta
		case *message.VideoExFramesX:
			var avcc h264.AVCC
			if err := avcc.Unmarshal(m.Payload); err != nil {
				return fmt.Errorf("HEVC frame: %w", err)
			}
			au, pts = avcc, m.DTS
		default:
			continue
		}
		if params == nil {
			return errors.New("a video frame before the sequence header")
		}
		if err := s.frame(i, pts, at, params, au); err != nil {
			return err
		}
	}
}

func (s *ReconnectServer) setCodec(c string) {
	s.mu.Lock()
	s.got.Codec = c
	s.mu.Unlock()
}

// frame notes one access unit and writes it to the file, the parameter
// sets before a keyframe.
func (s *ReconnectServer) frame(i int, pts time.Duration, at time.Time, params, au [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := h264.IsRandomAccess(au)
	if s.got.Codec == "hevc" {
		key = h265.IsRandomAccess(au)
	}
	s.got.Frames = append(s.got.Frames, ReconnectFrame{Conn: i, PTS: pts, Key: key, At: at})
	defer s.signal()
	if key {
		au = append(append([][]byte(nil), params...), au...)
	}
	for _, n := range au {
		_, _ = s.w.Write([]byte{0, 0, 0, 1})
		if _, err := s.w.Write(n); err != nil {
			return err
		}
	}
	return nil
}

// sendReconnectRequest writes the onStatus of Enhanced RTMP's reconnect
// request, on the NetConnection (message stream 0), with tcURL when it
// is set.
func sendReconnectRequest(sc *gortmplib.ServerConn, tcURL string) error {
	info := amf0.Object{
		{Key: "level", Value: "status"},
		{Key: "code", Value: "NetConnection.Connect.ReconnectRequest"},
		{Key: "description", Value: "The streaming server is going away: please reconnect."},
	}
	if tcURL != "" {
		info = append(info, amf0.ObjectEntry{Key: "tcUrl", Value: tcURL})
	}
	return sc.Write(&message.CommandAMF0{
		ChunkStreamID: 3,
		Name:          "onStatus",
		CommandID:     0,
		Arguments:     []any{nil, info},
	})
}

// Key returns the stream key of a connection's publish path (/app/key).
func (c ReconnectConn) Key() string {
	p := strings.TrimPrefix(c.Path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
