package rtmp

// Connection setup: TCP, TLS, the RTMP handshake, then connect,
// releaseStream, FCPublish, createStream and publish, each step bounded.

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"studio/encode"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/handshake"
	"studio/publish/rtmp/wire"
)

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
	stop := afterFunc(ctx, func() { nc.Close() })
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
	err = s.sendCommand(csidCommand, 0, "connect", connectCall, s.connectObject())
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
	s.serverCodecs, s.serverDeclares = serverFourCCs(res)
	s.serverVersion = serverVersion(res)
	if err := s.checkCodec(s.opts.VideoCodec); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if s.opts.VideoCodec != encode.H264 && !s.serverDeclares {
		// nginx-rtmp, for one, takes the stream and drops its video.
		s.log.Warn("rtmp: the server does not say that it takes Enhanced RTMP video; if viewers get no picture, use H.264",
			"codec", codecName(s.opts.VideoCodec))
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
		// ctx ended just now and its AfterFunc closed the connection.
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
