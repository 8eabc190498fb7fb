// Package handshake implements the client side of the plain RTMP handshake
// (version 3, no digest): C0+C1 out, S0 S1 S2 in, C2 out.
package handshake

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode"

	"studio/publish/rtmp/wire"
)

const (
	// Version is the RTMP version byte sent in C0 and expected in S0.
	Version = 3
	// Size is the length of C1, C2, S1 and S2.
	Size = 1536
)

// Config tunes Client. The zero value is ready to use.
type Config struct {
	// Time is the 4-byte epoch written into C1 (milliseconds, any origin).
	Time uint32
	// Rand fills the random part of C1; nil means crypto/rand.
	Rand io.Reader
	// Warn, if set, receives recoverable oddities (for example an S2 that
	// does not echo C1). Many servers do not echo C1 exactly, so these are
	// never errors.
	Warn func(msg string)
}

// Client performs the handshake as a client: it writes C0 and C1 in one
// write, reads S0 and S1, writes C2 (an exact copy of S1), then reads S2.
//
// Any S0 other than version 3 is an error that wraps wire.ErrProtocol and
// says that the server is not an RTMP server; if r can show what else the
// server sent (as a *bufio.Reader can), the error quotes the start of it.
// Client does not set deadlines: the caller bounds it (for example with
// net.Conn deadlines).
func Client(r io.Reader, w io.Writer, cfg Config) error {
	var c01 [1 + Size]byte
	c01[0] = Version
	c1 := c01[1:]
	binary.BigEndian.PutUint32(c1[0:4], cfg.Time)
	// c1[4:8] stays zero: the simple handshake, no digest.
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, c1[8:]); err != nil {
		return fmt.Errorf("handshake: random bytes: %w", err)
	}
	if _, err := w.Write(c01[:]); err != nil {
		return fmt.Errorf("handshake: sending C0+C1: %w", err)
	}

	var s0 [1]byte
	if _, err := io.ReadFull(r, s0[:]); err != nil {
		return fmt.Errorf("handshake: reading S0: %w", eofIsUnexpected(err))
	}
	if s0[0] != Version {
		return notRTMP(s0[0], r)
	}
	s1 := make([]byte, Size)
	if _, err := io.ReadFull(r, s1); err != nil {
		return fmt.Errorf("handshake: reading S1: %w", eofIsUnexpected(err))
	}
	if _, err := w.Write(s1); err != nil {
		return fmt.Errorf("handshake: sending C2: %w", err)
	}
	s2 := s1 // S1 has been sent; reuse its buffer
	if _, err := io.ReadFull(r, s2); err != nil {
		return fmt.Errorf("handshake: reading S2: %w", eofIsUnexpected(err))
	}
	if !bytes.Equal(s2[8:], c1[8:]) && cfg.Warn != nil {
		cfg.Warn("handshake: S2 does not echo C1's random bytes (ignored, as FFmpeg and OBS do)")
	}
	return nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("server closed the connection: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// peeker is satisfied by *bufio.Reader.
type peeker interface {
	Buffered() int
	Peek(n int) ([]byte, error)
}

// notRTMP builds the error for a server whose first byte is not version 3.
func notRTMP(b byte, r io.Reader) error {
	seen := []byte{b}
	if p, ok := r.(peeker); ok {
		n := min(p.Buffered(), 40)
		if more, err := p.Peek(n); err == nil {
			seen = append(seen, more...)
		}
	}
	hint := ""
	switch {
	case b == 0x15 || b == 0x16:
		hint = " (it looks like a TLS server: try rtmps://)"
	case b == 'H' || b == '<':
		hint = " (it looks like an HTTP server)"
	case b == 6 || b == 8:
		hint = " (it wants encrypted RTMPE, which is not supported)"
	}
	return fmt.Errorf("%w: the server is not an RTMP server: it answered %s instead of version 3%s",
		wire.ErrProtocol, quote(seen), hint)
}

// quote shows the first line of what the server sent, as text when it is
// printable and as hex otherwise.
func quote(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	printable := true
	for _, r := range string(b) {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			printable = false
			break
		}
	}
	if printable {
		return fmt.Sprintf("%q", string(b))
	}
	var sb strings.Builder
	sb.WriteString("bytes")
	for i, c := range b {
		if i == 8 {
			sb.WriteString(" …")
			break
		}
		fmt.Fprintf(&sb, " %02x", c)
	}
	return sb.String()
}
