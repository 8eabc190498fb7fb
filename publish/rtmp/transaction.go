package rtmp

// Transactions: commands that expect an answer are registered under a
// transaction ID, and the _result or _error carrying that ID is handed to
// the waiting setup step.

import (
	"context"
	"fmt"
	"time"

	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// call is a pending transaction. ch is nil for commands whose answer is
// only logged (releaseStream, FCPublish).
type call struct {
	op string
	ch chan Command
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

// resolve hands a _result or _error to the transaction it answers, on the
// reader goroutine. An _error is also a status event; the refusal of a
// command whose answer nobody waits for is only logged.
func (s *Stream) resolve(cmd Command) {
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
}
