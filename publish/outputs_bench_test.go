package publish

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"studio/encode"
)

// sink is an output that releases what it gets on its own goroutine, as a
// destination that keeps up does.
type sink struct{ q *queue }

func (s sink) takes(*encode.Packet, track) bool { return true }
func (s sink) offer(p *encode.Packet)           { s.q.push(p) }
func (s sink) finish()                          { s.q.close() }
func (s sink) run() {
	for {
		p, ok := s.q.pop(context.Background())
		if !ok {
			return
		}
		p.Release()
	}
}

// BenchmarkFanOut measures handing one packet to n outputs that keep up:
// the copies, the queues and the release of the shared packet.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("outputs-%d", n), func(b *testing.B) {
			var os outputSet
			for range n {
				os.add(sink{newQueue(time.Hour, 1<<16, nil)})
			}
			var released atomic.Int64
			data := make([]byte, 10_000)
			b.ReportAllocs()
			ts := time.Duration(0)
			for b.Loop() {
				ts += time.Millisecond
				os.fanOut(encode.NewPacket(encode.Video, ts, ts, true, data, func() { released.Add(1) }), trackMain)
			}
			os.close()
			os.wait()
			if released.Load() != int64(b.N) {
				b.Fatalf("%d of %d packets released", released.Load(), b.N)
			}
		})
	}
}
