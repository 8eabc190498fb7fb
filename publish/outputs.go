package publish

import (
	"sync"

	"studio/encode"
)

// output is where the session's packets go: a destination or the
// recording. Each runs on its own goroutine behind its own queue.
type output interface {
	// takes reports whether the output wants p, from track tr; it is
	// called on the mux goroutine, in packet order, for every packet.
	takes(p *encode.Packet, tr track) bool
	// offer hands p to the output, which owns it from then on. It never
	// blocks.
	offer(p *encode.Packet)
	// finish says that no more packets come.
	finish()
	run()
}

// outputSet is the session's outputs. Outputs can be added until it is
// closed; closing finishes every output, and wait returns once all have
// ended. Its methods are safe for concurrent use.
type outputSet struct {
	mu     sync.Mutex
	outs   []output       // guarded by mu; those that receive packets, in the order they were added
	all    []*destination // guarded by mu; every destination ever added, for stats
	rec    *recorder
	closed bool
	wg     sync.WaitGroup
	// scratch is fanOut's copy of outs, so that outputs are offered
	// packets without mu held.
	scratch []output
}

// add starts o, unless the set is closed; it reports whether o started.
func (os *outputSet) add(o output) bool {
	os.mu.Lock()
	defer os.mu.Unlock()
	if os.closed {
		return false
	}
	switch x := o.(type) {
	case *recorder:
		os.rec = x
	case *destination:
		os.all = append(os.all, x)
	}
	os.outs = append(os.outs, o)
	os.wg.Go(o.run)
	return true
}

// remove forgets o: it gets no more packets.
func (os *outputSet) remove(o output) {
	os.mu.Lock()
	defer os.mu.Unlock()
	for i, x := range os.outs {
		if x == o {
			os.outs = append(os.outs[:i:i], os.outs[i+1:]...)
			break
		}
	}
	if os.rec == o {
		os.rec = nil
	}
}

// fanOut hands p, from track tr, to every output that takes it. The mux
// goroutine only.
func (os *outputSet) fanOut(p *encode.Packet, tr track) {
	os.mu.Lock()
	os.scratch = os.scratch[:0]
	for _, o := range os.outs {
		if o.takes(p, tr) {
			os.scratch = append(os.scratch, o)
		}
	}
	os.mu.Unlock()
	switch len(os.scratch) {
	case 0:
		p.Release()
		return
	case 1:
		os.scratch[0].offer(p)
		clear(os.scratch)
		return
	}
	copies := share(p, len(os.scratch))
	for i, o := range os.scratch {
		o.offer(copies[i])
	}
	clear(os.scratch)
}

// close finishes every output; no more can be added.
func (os *outputSet) close() {
	os.mu.Lock()
	defer os.mu.Unlock()
	os.closed = true
	for _, o := range os.outs {
		o.finish()
	}
}

func (os *outputSet) isClosed() bool {
	os.mu.Lock()
	defer os.mu.Unlock()
	return os.closed
}

// wait returns once every output has ended; call it after close.
func (os *outputSet) wait() { os.wg.Wait() }

// destinations returns every destination ever added, in order.
func (os *outputSet) destinations() []*destination {
	os.mu.Lock()
	defer os.mu.Unlock()
	return append([]*destination(nil), os.all...)
}

// recorder returns the recording, nil when there is none.
func (os *outputSet) recorder() *recorder {
	os.mu.Lock()
	defer os.mu.Unlock()
	return os.rec
}
