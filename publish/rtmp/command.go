package rtmp

import (
	"fmt"

	"studio/publish/amf0"
	"studio/publish/rtmp/wire"
)

// Command is an AMF0 command message (type 20): a name, a transaction ID,
// a command object (usually amf0.Null or an amf0.Object) and arguments.
type Command struct {
	Name   string
	TxnID  float64
	Object any
	Args   []any
}

// AppendCommand appends the AMF0 encoding of a command to dst.
func AppendCommand(dst []byte, name string, txn float64, object any, args ...any) ([]byte, error) {
	var err error
	if dst, err = amf0.AppendValue(dst, name); err != nil {
		return dst, err
	}
	if dst, err = amf0.AppendValue(dst, txn); err != nil {
		return dst, err
	}
	if object == nil {
		object = amf0.Null{}
	}
	if dst, err = amf0.AppendValue(dst, object); err != nil {
		return dst, err
	}
	for _, a := range args {
		if dst, err = amf0.AppendValue(dst, a); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// ParseCommand decodes a command message body. The name must be a string;
// the transaction ID, command object and arguments may be missing (FFmpeg's
// server sends a bare "onFCPublish"). Errors wrap wire.ErrProtocol.
func ParseCommand(b []byte) (Command, error) {
	var c Command
	v, n, err := amf0.DecodeValue(b)
	if err != nil {
		return c, fmt.Errorf("%w: command name: %w", wire.ErrProtocol, err)
	}
	name, ok := v.(string)
	if !ok {
		return c, fmt.Errorf("%w: command name is a %T, not a string", wire.ErrProtocol, v)
	}
	c.Name = name
	b = b[n:]
	if len(b) == 0 {
		return c, nil
	}
	if v, n, err = amf0.DecodeValue(b); err != nil {
		return c, fmt.Errorf("%w: %s: transaction ID: %w", wire.ErrProtocol, name, err)
	}
	txn, ok := v.(float64)
	if !ok {
		return c, fmt.Errorf("%w: %s: transaction ID is a %T, not a number", wire.ErrProtocol, name, v)
	}
	c.TxnID = txn
	b = b[n:]
	if len(b) == 0 {
		return c, nil
	}
	if c.Object, n, err = amf0.DecodeValue(b); err != nil {
		return c, fmt.Errorf("%w: %s: command object: %w", wire.ErrProtocol, name, err)
	}
	b = b[n:]
	if len(b) > 0 {
		if c.Args, err = amf0.Unmarshal(b); err != nil {
			return c, fmt.Errorf("%w: %s: arguments: %w", wire.ErrProtocol, name, err)
		}
	}
	return c, nil
}

// properties returns v's properties if it is an AMF0 object or ECMA array.
func properties(v any) (amf0.Object, bool) {
	switch o := v.(type) {
	case amf0.Object:
		return o, true
	case amf0.ECMAArray:
		return amf0.Object(o), true
	}
	return nil, false
}

// Status extracts the status event of an onStatus or _error command: the
// first object among the arguments, then the command object, that has a
// "code". ok is false when there is none.
func (c Command) Status() (st wire.Status, ok bool) {
	cands := append([]any{}, c.Args...)
	cands = append(cands, c.Object)
	for _, v := range cands {
		o, isObj := properties(v)
		if !isObj {
			continue
		}
		code, has := o.String("code")
		if !has {
			continue
		}
		st.Code = code
		level, _ := o.String("level")
		st.Level = wire.Level(level)
		st.Description, _ = o.String("description")
		return st, true
	}
	return st, false
}

// StreamID returns the first numeric argument: the result of createStream.
func (c Command) StreamID() (uint32, bool) {
	for _, v := range c.Args {
		if f, ok := v.(float64); ok && f >= 0 && f < 1<<32 && f == float64(uint32(f)) {
			return uint32(f), true
		}
	}
	return 0, false
}
