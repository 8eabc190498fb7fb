package rtmp

// Status events: the server's onStatus and _error, reported to the log, to
// Options.OnStatus and to the setup step that waits, with the stream key
// redacted.

import (
	"studio/publish/rtmp/wire"
)

// handleStatus handles an onStatus command on the reader goroutine. An
// error-level status after NetStream.Publish.Start ends the stream.
func (s *Stream) handleStatus(cmd Command) error {
	st, ok := cmd.Status()
	if !ok {
		s.log.Warn("rtmp: onStatus without a code")
		return nil
	}
	s.emit(st)
	if st.Code == CodeReconnectRequest {
		s.handleReconnectRequest(cmd)
	}
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
	return nil
}

// inOnStatus reports whether the caller is the reader goroutine running
// OnStatus.
func (s *Stream) inOnStatus() bool {
	g := s.onStatusG.Load()
	return g != 0 && g == goid()
}

func (s *Stream) redactStatus(st wire.Status) wire.Status {
	st.Description = s.url.redact(st.Description)
	return st
}

// emit reports a status event to the log and to OnStatus. It runs on the
// reader goroutine, and records that goroutine while OnStatus runs, so that
// a Close called from OnStatus knows not to wait for it.
func (s *Stream) emit(st wire.Status) {
	st = s.redactStatus(st)
	s.log.Info("rtmp: status", "code", st.Code, "level", string(st.Level), "description", st.Description)
	if s.opts.OnStatus != nil {
		s.onStatusG.Store(goid())
		defer s.onStatusG.Store(0)
		s.opts.OnStatus(st)
	}
}
