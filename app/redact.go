package app

import (
	"cmp"
	"io"
	"slices"
	"strings"
)

// Mask is what a stream key shows as.
const Mask = "****"

// Redactor hides stream keys: Redact replaces every form of every key it
// was made with by Mask. It is the one place where studio scrubs text
// before it reaches stderr, a log, a stats file or the window. The zero
// value hides nothing; a Redactor is immutable and safe for concurrent
// use.
type Redactor struct {
	secrets []string
}

// NewRedactor hides the stream keys of dests.
func NewRedactor(dests ...Destination) Redactor {
	var secrets []string
	for _, d := range dests {
		secrets = append(secrets, d.Secrets()...)
	}
	return newRedactor(secrets)
}

// newRedactor replaces the longest forms first, so that no part of a
// longer form survives the replacement of a shorter one.
func newRedactor(secrets []string) Redactor {
	secrets = slices.Compact(slices.SortedFunc(slices.Values(secrets), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	}))
	return Redactor{secrets: secrets}
}

// WithKey returns a Redactor that also hides key (as typed in a key
// field, whether or not it makes a valid URL), in all its forms.
func (r Redactor) WithKey(key string) Redactor {
	return newRedactor(append(slices.Clone(r.secrets), KeySecrets(key)...))
}

// Redact returns msg with every form of the keys replaced by Mask.
func (r Redactor) Redact(msg string) string {
	for _, s := range r.secrets {
		msg = strings.ReplaceAll(msg, s, Mask)
	}
	return msg
}

// Writer returns a writer that redacts what it writes to w. Each Write
// should hold whole lines (as log handlers write), so that a key is never
// split between two writes.
func (r Redactor) Writer(w io.Writer) io.Writer { return redactWriter{w, r} }

type redactWriter struct {
	w io.Writer
	r Redactor
}

func (rw redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
