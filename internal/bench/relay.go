package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"studio/publish/rtmp/chunk"
)

// handshakeLen is how many bytes a client sends before its first chunk:
// C0 (1), C1 (1536) and C2 (1536).
const handshakeLen = 1 + 1536 + 1536

// segment is one read from the publisher's socket: the bytes and when they
// arrived.
type segment struct {
	b []byte
	t time.Time
}

// media is one audio or video message as the server received it.
type media struct {
	Video     bool      // type 9; otherwise audio (type 8)
	Config    bool      // an AVC or AAC sequence header rather than a frame
	Timestamp uint32    // RTMP timestamp, ms
	Size      int       // payload bytes
	Arrival   time.Time // when the last byte of the message arrived
}

// tap parses the publisher→server byte stream passively. Bytes go in through
// feed (from the relay, without blocking it for more than a channel send);
// run parses them in its own goroutine. A tap is used by one relay
// connection and then read through messages after run returns.
type tap struct {
	in    chan segment
	out   []media
	save  bool // keep a copy of every byte fed, in saved
	saved []byte
	err   error // the parse error that stopped run, if any (not io.EOF)

	// reader state, used only by run's goroutine
	cur     segment
	skip    int   // handshake bytes still to drop
	offset  int64 // chunk-stream bytes handed to the chunk reader
	history []mark
}

// mark says that chunk-stream bytes from offset on arrived at t.
type mark struct {
	offset int64
	t      time.Time
}

func newTap() *tap {
	return &tap{in: make(chan segment, 4096), skip: handshakeLen}
}

// feed hands a copy of b, which arrived at t, to the parser.
func (tp *tap) feed(b []byte, t time.Time) {
	if tp.save {
		tp.saved = append(tp.saved, b...)
	}
	tp.in <- segment{b: append([]byte(nil), b...), t: t}
}

// close tells the parser that the stream has ended.
func (tp *tap) close() { close(tp.in) }

// Read implements io.Reader for the chunk reader: it drops the handshake
// and records when each byte handed out arrived.
func (tp *tap) Read(p []byte) (int, error) {
	for len(tp.cur.b) == 0 || tp.skip > 0 {
		if len(tp.cur.b) == 0 {
			s, ok := <-tp.in
			if !ok {
				return 0, io.EOF
			}
			tp.cur = s
		}
		if tp.skip > 0 {
			n := min(tp.skip, len(tp.cur.b))
			tp.skip -= n
			tp.cur.b = tp.cur.b[n:]
		}
	}
	n := copy(p, tp.cur.b)
	tp.history = append(tp.history, mark{tp.offset, tp.cur.t})
	tp.offset += int64(n)
	tp.cur.b = tp.cur.b[n:]
	return n, nil
}

// arrival returns when the chunk-stream byte at offset arrived, and forgets
// what is older.
func (tp *tap) arrival(offset int64) time.Time {
	i := 0
	for i+1 < len(tp.history) && tp.history[i+1].offset <= offset {
		i++
	}
	t := tp.history[i].t
	tp.history = tp.history[i:]
	return t
}

// run parses until the input ends; it records every audio and video message.
func (tp *tap) run() {
	cr := chunk.NewReader(tp)
	for {
		m, err := cr.ReadMessage()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				tp.err = err
			}
			// Drain so that the relay never blocks on a stopped parser.
			for range tp.in {
			}
			return
		}
		if m.Type != chunk.TypeAudio && m.Type != chunk.TypeVideo {
			continue
		}
		md := media{
			Video:     m.Type == chunk.TypeVideo,
			Timestamp: m.Timestamp,
			Size:      len(m.Payload),
			Arrival:   tp.arrival(int64(cr.BytesRead()) - 1),
		}
		// FLV tag bodies: AVC (codec 7) or AAC (sound format 10), whose
		// second byte is 0 for a sequence header.
		if len(m.Payload) >= 2 {
			if md.Video {
				md.Config = m.Payload[0]&0x0f == 7 && m.Payload[1] == 0
			} else {
				md.Config = m.Payload[0]>>4 == 10 && m.Payload[1] == 0
			}
		}
		tp.out = append(tp.out, md)
	}
}

// relay accepts one publisher on 127.0.0.1 and forwards its connection to
// upstream byte for byte, in both directions, with TCP_NODELAY on both
// sockets. Bytes from the publisher are written upstream before they are
// handed to the tap, so the measurement adds at most one channel send to
// their path.
type relay struct {
	ln       net.Listener
	upstream string
	tap      *tap
	start    time.Time // when the publisher connected
	wg       sync.WaitGroup
	parsed   chan struct{}
	errMu    sync.Mutex
	err      error
}

// newRelay listens on a free port of 127.0.0.1 for one publisher bound for
// upstream.
func newRelay(upstream string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	r := &relay{ln: ln, upstream: upstream, tap: newTap(), parsed: make(chan struct{})}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is where the publisher must connect.
func (r *relay) Addr() string { return r.ln.Addr().String() }

func (r *relay) fail(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
}

func (r *relay) serve() {
	defer r.wg.Done()
	go func() { r.tap.run(); close(r.parsed) }()
	c, err := r.ln.Accept()
	r.ln.Close()
	if err != nil {
		r.tap.close()
		r.fail(fmt.Errorf("relay: accept: %w", err))
		return
	}
	r.start = time.Now()
	up, err := net.Dial("tcp", r.upstream)
	if err != nil {
		c.Close()
		r.tap.close()
		r.fail(fmt.Errorf("relay: dial %s: %w", r.upstream, err))
		return
	}
	for _, conn := range []net.Conn{c, up} {
		_ = conn.(*net.TCPConn).SetNoDelay(true)
	}
	down := make(chan struct{})
	go func() {
		// Server to publisher: nothing to measure.
		_, _ = io.Copy(c, up)
		_ = c.(*net.TCPConn).CloseWrite()
		close(down)
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			now := time.Now()
			if _, werr := up.Write(buf[:n]); werr != nil {
				r.fail(fmt.Errorf("relay: to server: %w", werr))
				break
			}
			r.tap.feed(buf[:n], now)
		}
		if err != nil {
			// A publisher that exits with server bytes still unread in
			// its socket resets the connection instead of closing it
			// (ffmpeg does, on a loaded machine): that is its end too.
			if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				r.fail(fmt.Errorf("relay: from publisher: %w", err))
			}
			break
		}
	}
	r.tap.close()
	_ = up.(*net.TCPConn).CloseWrite()
	select {
	case <-down:
	case <-time.After(5 * time.Second):
	}
	up.Close()
	c.Close()
	<-down
}

// wait waits for the publisher's connection to end and returns the media
// messages it sent. It must be called once, after the publisher exited.
func (r *relay) wait(timeout time.Duration) ([]media, error) {
	r.ln.Close() // unblocks Accept if the publisher never connected
	done := make(chan struct{})
	go func() { r.wg.Wait(); <-r.parsed; close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		return nil, fmt.Errorf("relay: connection still open %v after the publisher exited", timeout)
	}
	r.errMu.Lock()
	err := r.err
	r.errMu.Unlock()
	if err == nil && r.tap.err != nil {
		err = fmt.Errorf("relay: parsing the publisher's chunks: %w", r.tap.err)
	}
	return r.tap.out, err
}
