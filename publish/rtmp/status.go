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
