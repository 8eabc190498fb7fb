package publish

import (
	"sync/atomic"

	"studio/encode"
)

// share hands p to n > 1 readers: it returns n packets with p's fields and
// data, each released on its own; p is released when the last one is. The
// readers may change the copies' timestamps but not their data.
func share(p *encode.Packet, n int) []*encode.Packet {
	refs := new(atomic.Int32)
	refs.Store(int32(n))
	release := func() {
		if refs.Add(-1) == 0 {
			p.Release()
		}
	}
	out := make([]*encode.Packet, n)
	for i := range out {
		out[i] = encode.NewPacket(p.Kind, p.PTS, p.DTS, p.Keyframe, p.Data, release)
	}
	return out
}
