package publish

import (
	"context"

	"studio/encode"
)

// header is the stream header, known once the first video packet is out of
// the encoder. It is set once and then read by every output.
type header struct {
	ready chan struct{}
	info  encode.StreamInfo // valid once ready is closed
}

func newHeader() *header { return &header{ready: make(chan struct{})} }

// set publishes info; it must be called at most once.
func (h *header) set(info encode.StreamInfo) {
	h.info = info
	close(h.ready)
}

// wait returns the header once it is known, or false when ctx or gone ends
// first (gone: the stream will never have one).
func (h *header) wait(ctx context.Context, gone <-chan struct{}) (encode.StreamInfo, bool) {
	select {
	case <-h.ready:
		return h.info, true
	case <-gone:
		select {
		case <-h.ready:
			return h.info, true
		default:
			return encode.StreamInfo{}, false
		}
	case <-ctx.Done():
		return encode.StreamInfo{}, false
	}
}

// known reports whether the header is set, and returns it.
func (h *header) known() (encode.StreamInfo, bool) {
	select {
	case <-h.ready:
		return h.info, true
	default:
		return encode.StreamInfo{}, false
	}
}
