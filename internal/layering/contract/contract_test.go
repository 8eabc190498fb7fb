// Package contract checks that the layers still fit now that the wire
// packages no longer import package publish: the wire types satisfy
// publish's interfaces, and publish's re-exported names are the wire
// layer's own.
package contract

import (
	"errors"
	"fmt"
	"testing"

	"studio/publish"
	"studio/publish/flv"
	"studio/publish/rtmp"
	"studio/publish/rtmp/wire"
)

// The publishers satisfy publish's interfaces structurally.
var (
	_ publish.Publisher    = (*rtmp.Stream)(nil)
	_ publish.LinkReporter = (*rtmp.Stream)(nil)
	_ publish.Publisher    = (*flv.Writer)(nil)
)

// Status events and links pass between the layers without conversion.
var (
	_ func(publish.Status) = rtmp.Options{}.OnStatus
	_ *publish.StatusError = (*wire.StatusError)(nil)
	_ publish.Link         = wire.Link{}
	_ publish.Level        = wire.LevelError
)

func TestSentinelsAreTheWireValues(t *testing.T) {
	for _, c := range []struct {
		name       string
		pub, wired error
	}{
		{"ErrBadURL", publish.ErrBadURL, wire.ErrBadURL},
		{"ErrConnect", publish.ErrConnect, wire.ErrConnect},
		{"ErrTLS", publish.ErrTLS, wire.ErrTLS},
		{"ErrTimeout", publish.ErrTimeout, wire.ErrTimeout},
		{"ErrRejected", publish.ErrRejected, wire.ErrRejected},
		{"ErrProtocol", publish.ErrProtocol, wire.ErrProtocol},
		{"ErrClosed", publish.ErrClosed, wire.ErrClosed},
		{"ErrCodecRefused", publish.ErrCodecRefused, wire.ErrCodecRefused},
	} {
		if c.pub != c.wired {
			t.Errorf("publish.%s is not wire.%s", c.name, c.name)
		}
		if err := fmt.Errorf("rtmp: %w", c.wired); !errors.Is(err, c.pub) {
			t.Errorf("errors.Is(wrapped wire.%s, publish.%s) = false", c.name, c.name)
		}
	}
	_, err := rtmp.ParseURL("http://example.com/live/key")
	if !errors.Is(err, publish.ErrBadURL) {
		t.Errorf("rtmp.ParseURL(http://…) = %v, want an error that is publish.ErrBadURL", err)
	}
	var se *publish.StatusError
	if err := error(&wire.StatusError{Op: "publish"}); !errors.As(err, &se) || !errors.Is(err, publish.ErrRejected) {
		t.Errorf("a *wire.StatusError is not a *publish.StatusError wrapping ErrRejected")
	}
}
