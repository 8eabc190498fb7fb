package rtmp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"studio/publish/amf0"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/handshake"
	"studio/publish/rtmp/wire"
)

// Chunk stream IDs, as FFmpeg uses them.
const (
	csidControl = 2 // protocol control and user control messages
	csidCommand = 3 // NetConnection commands
	csidAudio   = 4
	csidVideo   = 6
	csidStream  = 8 // NetStream commands and data (publish, @setDataFrame)
)

// maxIncomingMessage caps what the server may send us in one message: a
// publisher only receives small control and command messages.
const maxIncomingMessage = 1 << 20

// Stream is a published RTMP stream: one NetConnection with one NetStream.
// It satisfies publish.Publisher (WriteHeader, WritePacket, Close) and
// wire.LinkReporter.
//
// Goroutines: Publish starts one reader goroutine, owned by the Stream,
// that handles everything the server sends (acknowledgements, pings, chunk
// size changes, status events) until the connection closes; Close waits for
// it. WriteHeader, WritePacket and Close may be called from any goroutine;
// writes are serialized. Err, Done and Stats are safe at any time.
type Stream struct {
	url  URL
	opts Options
	log  *slog.Logger
	nc   net.Conn
	tcp  *net.TCPConn  // the connection under nc (and TLS); nil if not TCP
	cr   *chunk.Reader // owned by the reader goroutine once it starts

	// wsem is the write lock (a one-slot semaphore, so that Close can give
	// up waiting for it). It guards everything down to the blank line.
	wsem       chan struct{}
	cw         *chunk.Writer
	armedAt    time.Time // when the write deadline was last pushed forward
	overSince  time.Time // when unacknowledged bytes last went over the limit (zero: under it)
	overEpoch  uint64    // the ackCount overSince belongs to
	scratch    []byte    // command and control bodies
	media      [16]byte  // FLV audio/video tag headers
	headerSent bool

	streamID      uint32 // set during setup, then read-only
	nextTxn       float64
	readerStarted bool

	mu         sync.Mutex
	pending    map[float64]*call // transactions awaiting _result/_error
	statusWait chan wire.Status  // set while waiting for NetStream.Publish.Start
	err        error             // first fatal error; guarded by mu
	published  bool              // NetStream.Publish.Start seen (set by the reader goroutine)

	done       chan struct{} // closed by fail
	readerDone chan struct{} // closed when the reader goroutine exits
	closing    atomic.Bool
	inCallback atomic.Bool
	closeOnce  sync.Once
	closeErr   error

	// Reader goroutine state.
	ackWindow uint32 // from the server's Window Acknowledgement Size
	lastAckAt uint64 // BytesRead when we last sent an Acknowledgement

	sentWindow atomic.Uint32 // the Window Acknowledgement Size we last announced

	// The server's acknowledgements, written by the reader goroutine.
	// ackCount counts those that moved the sequence number; ackAtSent is
	// BytesWritten and ackAtNano the time (UnixNano) when the last of
	// them arrived.
	acked     atomic.Uint32 // last Acknowledgement sequence number received
	ackCount  atomic.Uint64
	ackAtSent atomic.Uint64
	ackAtNano atomic.Int64
}

// call is a pending transaction. ch is nil for commands whose answer is
// only logged (releaseStream, FCPublish).
type call struct {
	op string
	ch chan Command
}

// Publish connects to rawURL, performs the handshake, connect,
// releaseStream, FCPublish, createStream and publish(key, "live"), and
// returns once the server has answered NetStream.Publish.Start.
//
// Errors wrap wire.ErrBadURL, ErrConnect, ErrTLS, ErrTimeout (naming the
// step that timed out), ErrProtocol, or ErrRejected through a
// *wire.StatusError whose Status is the server's code and description.
// Cancelling ctx aborts the setup; ctx does not bound the returned Stream.
func Publish(ctx context.Context, rawURL string, opts Options) (*Stream, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	s := &Stream{
		url:        u,
		opts:       opts,
		log:        opts.Logger.With("url", u.Redacted()),
		wsem:       make(chan struct{}, 1),
		pending:    make(map[float64]*call),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		nextTxn:    1,
	}
	if err := s.connect(ctx); err != nil {
		if s.nc != nil {
			s.fail(err)
			s.nc.Close()
		}
		if s.readerStarted {
			<-s.readerDone
		}
		return nil, err
	}
	return s, nil
}

// connect runs every setup step.
func (s *Stream) connect(ctx context.Context) error {
	timeout := s.opts.Timeout
	addr := s.url.Addr()

	// TCP.
	dctx, cancel := context.WithTimeout(ctx, timeout)
	nc, err := s.opts.Dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctxError(ctx, "connecting to "+addr)
		}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return fmt.Errorf("%w: connecting to %s: no answer within %s", wire.ErrTimeout, addr, timeout)
		}
		return fmt.Errorf("%w: connecting to %s: %w", wire.ErrConnect, addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		s.tcp = tc
		if err := tuneSocket(tc, s.opts.DeadLinkTimeout, s.opts.UnsentLimit); err != nil {
			s.opts.Logger.Warn("socket options", "err", err)
		}
	}
	s.nc = nc

	// From here on, cancelling ctx closes the connection, which unblocks
	// whatever step is running.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	stepErr := func(step string, err error) error {
		if ctx.Err() != nil {
			return ctxError(ctx, step)
		}
		return s.stepError(step, err)
	}

	// TLS.
	if s.url.Scheme == "rtmps" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.opts.TLSConfig != nil {
			cfg = s.opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = s.url.Host
		}
		tc := tls.Client(nc, cfg)
		_ = nc.SetDeadline(time.Now().Add(timeout))
		if err := tc.Handshake(); err != nil {
			if ctx.Err() != nil {
				return ctxError(ctx, "TLS handshake")
			}
			return s.tlsError(err)
		}
		s.nc = tc
	}

	// RTMP handshake.
	br := bufio.NewReaderSize(s.nc, 16<<10)
	_ = s.nc.SetDeadline(time.Now().Add(timeout))
	err = handshake.Client(br, s.nc, handshake.Config{
		Warn: func(msg string) { s.log.Warn(msg) },
	})
	if err != nil {
		return stepErr("RTMP handshake", err)
	}
	_ = s.nc.SetDeadline(time.Time{}) // the reader goroutine waits as long as needed

	s.cw = chunk.NewWriter(s.nc)
	s.cr = chunk.NewReader(br)
	s.cr.MaxMessageLength = maxIncomingMessage

	// Status events during the setup: an error-level onStatus (as some
	// servers send instead of _error) fails the step that is waiting.
	statusCh := make(chan wire.Status, 8)
	s.mu.Lock()
	s.statusWait = statusCh
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.statusWait = nil
		s.mu.Unlock()
	}()

	// Set Chunk Size, then connect. The reader goroutine starts after the
	// first write so that setup and reader never race on s.cr.
	if err := s.writeControl(chunk.TypeSetChunkSize, appendUint32(nil, s.opts.ChunkSize)); err != nil {
		return stepErr("connect", err)
	}
	if err := s.cw.SetChunkSize(s.opts.ChunkSize); err != nil {
		return stepErr("connect", err)
	}
	connectCall := s.expect("connect", true)
	err = s.sendCommand(csidCommand, 0, "connect", connectCall, amf0.Object{
		{Key: "app", Value: s.url.App},
		{Key: "type", Value: "nonprivate"},
		{Key: "flashVer", Value: s.opts.FlashVer},
		{Key: "tcUrl", Value: s.url.TCURL()},
	})
	if err != nil {
		return stepErr("connect", err)
	}
	s.readerStarted = true
	go s.readLoop()

	res, err := s.await(ctx, "connect", connectCall, statusCh)
	if err != nil {
		return err
	}
	if err := s.checkResult("connect", res); err != nil {
		return err
	}

	// Ask the server to acknowledge what it receives: that is how a dead
	// link is noticed while the socket still accepts bytes (see
	// Options.AckTimeout).
	if err := s.announceWindow(s.opts.AckWindow); err != nil {
		return stepErr("connect", err)
	}

	// releaseStream and FCPublish: answers only logged. createStream.
	key := s.url.StreamKey()
	if err := s.sendCommand(csidCommand, 0, "releaseStream", s.expect("releaseStream", false), nil, key); err != nil {
		return stepErr("releaseStream", err)
	}
	if err := s.sendCommand(csidCommand, 0, "FCPublish", s.expect("FCPublish", false), nil, key); err != nil {
		return stepErr("FCPublish", err)
	}
	createCall := s.expect("createStream", true)
	if err := s.sendCommand(csidCommand, 0, "createStream", createCall, nil); err != nil {
		return stepErr("createStream", err)
	}
	if res, err = s.await(ctx, "createStream", createCall, statusCh); err != nil {
		return err
	}
	if err := s.checkResult("createStream", res); err != nil {
		return err
	}
	id, ok := res.StreamID()
	if !ok {
		return fmt.Errorf("%w: createStream: the answer has no stream ID", wire.ErrProtocol)
	}
	s.streamID = id

	// publish.
	publishCall := s.expect("publish", true)
	if err := s.sendCommand(csidStream, id, "publish", publishCall, nil, key, "live"); err != nil {
		return stepErr("publish", err)
	}
	if err := s.awaitPublish(ctx, publishCall, statusCh); err != nil {
		return err
	}
	if !stop() {
		// ctx ended just now and its AfterFunc is closing the connection.
		return ctxError(ctx, "publish")
	}
	return nil
}

// awaitPublish waits for NetStream.Publish.Start.
func (s *Stream) awaitPublish(ctx context.Context, c *call, statusCh chan wire.Status) error {
	t := time.NewTimer(s.opts.Timeout)
	defer t.Stop()
	for {
		select {
		case st := <-statusCh:
			switch {
			case st.Level == wire.LevelError:
				return &wire.StatusError{Op: "publish", Status: st}
			case st.Code == "NetStream.Publish.Start":
				s.log.Info("rtmp: publishing", "stream", s.streamID)
				return nil
			}
		case res := <-c.ch:
			if err := s.checkResult("publish", res); err != nil {
				return err
			}
		case <-s.done:
			// The server may confirm and end the stream in one burst; the
			// confirmation still counts, and Done and Err report the end.
			s.mu.Lock()
			published := s.published
			s.mu.Unlock()
			if published {
				s.log.Info("rtmp: publishing", "stream", s.streamID)
				return nil
			}
			return s.stepError("publish", s.Err())
		case <-t.C:
			return fmt.Errorf("%w: publish: the server did not confirm the publish within %s", wire.ErrTimeout, s.opts.Timeout)
		case <-ctx.Done():
			return ctxError(ctx, "publish")
		}
	}
}

// expect registers a transaction and returns it; wait says whether the
// caller waits for the answer.
func (s *Stream) expect(op string, wait bool) *call {
	c := &call{op: op}
	if wait {
		c.ch = make(chan Command, 1)
	}
	return c
}

// sendCommand registers c (if not nil) under a new transaction ID and sends
// the command on csid and message stream sid.
func (s *Stream) sendCommand(csid, sid uint32, name string, c *call, object any, args ...any) error {
	s.lockWrite()
	defer s.unlockWrite()
	txn := 0.0
	if c != nil {
		txn = s.nextTxn
		s.nextTxn++
		s.mu.Lock()
		s.pending[txn] = c
		s.mu.Unlock()
	}
	body, err := AppendCommand(s.scratch[:0], name, txn, object, args...)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	s.scratch = body
	return s.writeLocked(chunk.Header{CSID: csid, Type: chunk.TypeCommandAMF0, StreamID: sid}, body)
}

// await waits for the answer to c. An error-level status event on
// statusCh meanwhile fails the step.
func (s *Stream) await(ctx context.Context, step string, c *call, statusCh <-chan wire.Status) (Command, error) {
	t := time.NewTimer(s.opts.Timeout)
	defer t.Stop()
	for {
		select {
		case res := <-c.ch:
			return res, nil
		case st := <-statusCh:
			if st.Level == wire.LevelError {
				return Command{}, &wire.StatusError{Op: step, Status: st}
			}
		case <-s.done:
			return Command{}, s.stepError(step, s.Err())
		case <-t.C:
			return Command{}, fmt.Errorf("%w: %s: the server did not answer within %s", wire.ErrTimeout, step, s.opts.Timeout)
		case <-ctx.Done():
			return Command{}, ctxError(ctx, step)
		}
	}
}

// announceWindow sends a Window Acknowledgement Size of w, unless w is
// the window announced last.
func (s *Stream) announceWindow(w uint32) error {
	s.lockWrite()
	defer s.unlockWrite()
	if s.sentWindow.Load() == w {
		return nil
	}
	s.sentWindow.Store(w)
	return s.writeLocked(chunk.Header{CSID: csidControl, Type: chunk.TypeWindowAckSize}, appendUint32(s.scratch[:0], w))
}

// checkResult turns an _error answer into a *wire.StatusError.
func (s *Stream) checkResult(op string, res Command) error {
	if res.Name != "_error" {
		return nil
	}
	st, ok := res.Status()
	if !ok {
		st = wire.Status{Code: "_error", Level: wire.LevelError}
	}
	st.Description = s.url.redact(st.Description)
	return &wire.StatusError{Op: op, Status: st}
}

// stepError describes why a setup step failed.
func (s *Stream) stepError(step string, err error) error {
	var se *wire.StatusError
	switch {
	case err == nil:
		return fmt.Errorf("%s: connection closed", step)
	case errors.As(err, &se):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%w: %s: the server did not answer within %s", wire.ErrTimeout, step, s.opts.Timeout)
	case closedByPeer(err) && step == "RTMP handshake":
		hint := "is it an RTMP server?"
		if s.url.Scheme == "rtmp" {
			hint = "if the port expects RTMPS, use rtmps://"
		}
		return fmt.Errorf("%w: RTMP handshake: the server closed the connection (%s): %w", wire.ErrProtocol, hint, err)
	case closedByPeer(err) && step == "publish":
		// nginx-rtmp drops the connection when its on_publish hook refuses.
		return fmt.Errorf("%w: publish: the server closed the connection instead of starting the stream; is the stream key right, and not already in use? (%w)",
			wire.ErrRejected, io.ErrUnexpectedEOF)
	case closedByPeer(err):
		return fmt.Errorf("%w: %s: the server closed the connection (%w)", wire.ErrProtocol, step, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// closedByPeer reports whether err means that the server closed or reset
// the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// tlsError classifies a failed TLS handshake.
func (s *Stream) tlsError(err error) error {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &he):
		names := "no names"
		if c := he.Certificate; c != nil {
			var l []string
			l = append(l, c.DNSNames...)
			for _, ip := range c.IPAddresses {
				l = append(l, ip.String())
			}
			if len(l) == 0 && c.Subject.CommonName != "" {
				l = append(l, c.Subject.CommonName)
			}
			if len(l) > 0 {
				names = strings.Join(l, ", ")
			}
		}
		return fmt.Errorf("%w: the certificate of %s is for another name (it lists %s): %w (check the host name in the URL)",
			wire.ErrTLS, s.url.Host, names, err)
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &cie):
		return fmt.Errorf("%w: the certificate of %s is not trusted: %w (if the server uses a private or self-signed certificate, set SSL_CERT_FILE to a file containing it)",
			wire.ErrTLS, s.url.Host, err)
	case errors.As(err, &rhe):
		return fmt.Errorf("%w: TLS handshake with %s: the server does not speak TLS (is this an rtmp:// port rather than rtmps://?): %w",
			wire.ErrProtocol, s.url.Addr(), err)
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%w: TLS handshake with %s: no answer within %s (is this an rtmp:// port rather than rtmps://?)",
			wire.ErrTimeout, s.url.Addr(), s.opts.Timeout)
	}
	return fmt.Errorf("%w: TLS handshake with %s: %w", wire.ErrConnect, s.url.Addr(), err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func ctxError(ctx context.Context, step string) error {
	err := context.Cause(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s: %w", wire.ErrTimeout, step, err)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// fail records err as the reason the connection is dead (the first one
// wins), closes the socket and Done.
func (s *Stream) fail(err error) {
	s.mu.Lock()
	first := s.err == nil
	if first {
		s.err = err
	}
	s.mu.Unlock()
	if first {
		close(s.done)
		if s.nc != nil {
			s.nc.Close()
		}
	}
}

// Err returns nil while the connection is usable, then why it is not: the
// first error (a read or write failure, a fatal status) or wire.ErrClosed
// after Close.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Done is closed when the connection dies or is closed; Err then says why.
func (s *Stream) Done() <-chan struct{} { return s.done }

// readLoop is the reader goroutine: it handles every incoming message until
// the connection fails.
func (s *Stream) readLoop() {
	defer close(s.readerDone)
	for {
		m, err := s.cr.ReadMessage()
		if err != nil {
			s.fail(s.readError(err))
			return
		}
		if err := s.handle(m); err != nil {
			s.fail(err)
			return
		}
		if s.ackWindow > 0 {
			if n := s.cr.BytesRead(); n-s.lastAckAt >= uint64(s.ackWindow) {
				s.lastAckAt = n
				if err := s.writeControl(chunk.TypeAck, appendUint32(nil, uint32(n))); err != nil {
					s.fail(err)
					return
				}
			}
		}
	}
}

func (s *Stream) readError(err error) error {
	switch {
	case s.closing.Load():
		return wire.ErrClosed
	case closedByPeer(err):
		return fmt.Errorf("the server closed the connection: %w", io.ErrUnexpectedEOF)
	case errors.Is(err, wire.ErrProtocol):
		return fmt.Errorf("reading from the server: %w", err)
	}
	if s.Err() != nil {
		return s.Err()
	}
	return fmt.Errorf("reading from the server: %w", err)
}

// handle processes one incoming message on the reader goroutine.
func (s *Stream) handle(m chunk.Message) error {
	switch m.Type {
	case chunk.TypeSetChunkSize:
		s.log.Debug("rtmp: server chunk size", "size", s.cr.ChunkSize())
	case chunk.TypeAbort:
		s.log.Debug("rtmp: server aborted a message")
	case chunk.TypeAck:
		seq, err := parseUint32("Acknowledgement", m.Payload)
		if err != nil {
			return err
		}
		if old := s.acked.Swap(seq); old != seq || s.ackCount.Load() == 0 {
			s.ackAtSent.Store(s.cw.BytesWritten())
			s.ackAtNano.Store(time.Now().UnixNano())
			s.ackCount.Add(1)
		}
	case chunk.TypeWindowAckSize:
		w, err := parseUint32("Window Acknowledgement Size", m.Payload)
		if err != nil {
			return err
		}
		s.ackWindow = w
	case chunk.TypeSetPeerBandwidth:
		w, _, err := parsePeerBandwidth(m.Payload)
		if err != nil {
			return err
		}
		return s.announceWindow(w)
	case chunk.TypeUserControl:
		ev, data, err := parseUserControl(m.Payload)
		if err != nil {
			return err
		}
		switch ev {
		case EventPingRequest:
			return s.writeControl(chunk.TypeUserControl, appendUserControl(nil, EventPingResponse, data))
		case EventStreamBegin, EventStreamEOF, EventStreamDry, EventStreamIsRecorded:
			s.log.Debug("rtmp: user control event", "event", ev)
		}
	case chunk.TypeCommandAMF0, chunk.TypeCommandAMF3:
		body := m.Payload
		if m.Type == chunk.TypeCommandAMF3 && len(body) > 0 {
			body = body[1:] // AMF3 command messages start with a 0 format byte, then AMF0
		}
		cmd, err := ParseCommand(body)
		if err != nil {
			s.log.Warn("rtmp: ignoring an undecodable command", "err", err)
			return nil
		}
		return s.handleCommand(cmd)
	default:
		s.log.Debug("rtmp: ignoring message", "type", m.Type, "bytes", len(m.Payload))
	}
	return nil
}

// handleCommand dispatches a command from the server.
func (s *Stream) handleCommand(cmd Command) error {
	switch cmd.Name {
	case "_result", "_error":
		s.mu.Lock()
		c := s.pending[cmd.TxnID]
		delete(s.pending, cmd.TxnID)
		s.mu.Unlock()
		if cmd.Name == "_error" {
			st, ok := cmd.Status()
			if !ok {
				st = wire.Status{Code: "_error", Level: wire.LevelError}
			}
			s.emit(st)
			if c != nil && c.ch == nil {
				s.log.Warn("rtmp: server refused "+c.op+" (ignored)", "status", s.url.redact(st.String()))
			}
		}
		if c != nil && c.ch != nil {
			c.ch <- cmd
		}
	case "onStatus":
		st, ok := cmd.Status()
		if !ok {
			s.log.Warn("rtmp: onStatus without a code")
			return nil
		}
		s.emit(st)
		s.mu.Lock()
		wait, published := s.statusWait, s.published
		if st.Code == "NetStream.Publish.Start" {
			s.published = true
		}
		s.mu.Unlock()
		if wait != nil {
			select {
			case wait <- s.redactStatus(st):
			default:
			}
		}
		if published && st.Level == wire.LevelError && !s.closing.Load() {
			return &wire.StatusError{Op: "publish", Status: s.redactStatus(st)}
		}
	case "onBWDone", "onFCPublish", "onFCUnpublish", "_checkbw", "|RtmpSampleAccess", "onMetaData", "close":
		s.log.Debug("rtmp: ignoring command", "name", cmd.Name)
	default:
		s.log.Debug("rtmp: ignoring unknown command", "name", cmd.Name)
	}
	return nil
}

func (s *Stream) redactStatus(st wire.Status) wire.Status {
	st.Description = s.url.redact(st.Description)
	return st
}

// emit reports a status event to the log and to OnStatus.
func (s *Stream) emit(st wire.Status) {
	st = s.redactStatus(st)
	s.log.Info("rtmp: status", "code", st.Code, "level", string(st.Level), "description", st.Description)
	if s.opts.OnStatus != nil {
		s.inCallback.Store(true)
		defer s.inCallback.Store(false)
		s.opts.OnStatus(st)
	}
}
