package publish

// Fakes of a RedialFunc and of a connection that refuses every packet.

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"studio/encode"
)

// redialer hands out publishers in order, as a RedialFunc, and keeps each
// call's tcURL and onRequest.
type redialer struct {
	mu       sync.Mutex
	pubs     []*fakePublisher
	errs     []error
	gates    []chan struct{} // when gates[i] is set, call i waits for it to close
	tcURLs   []string
	requests []func(string)
	called   chan struct{}
}

func newRedialer(pubs ...*fakePublisher) *redialer {
	for _, p := range pubs {
		if p != nil {
			p.wrote = make(chan struct{}, 1)
		}
	}
	return &redialer{pubs: pubs, called: make(chan struct{}, 8)}
}

func (r *redialer) redial(ctx context.Context, tcURL string, _ func(Status), onRequest func(string)) (Publisher, error) {
	r.mu.Lock()
	i := len(r.tcURLs)
	r.tcURLs = append(r.tcURLs, tcURL)
	r.requests = append(r.requests, onRequest)
	var gate chan struct{}
	if i < len(r.gates) {
		gate = r.gates[i]
	}
	r.mu.Unlock()
	r.called <- struct{}{}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if i < len(r.errs) && r.errs[i] != nil {
		return nil, r.errs[i]
	}
	if i < len(r.pubs) && r.pubs[i] != nil {
		return r.pubs[i], nil
	}
	return nil, errors.New("no more publishers")
}

// request makes connection i's server ask to reconnect to tcURL.
func (r *redialer) request(t *testing.T, i int, tcURL string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if i >= len(r.requests) {
		t.Fatalf("no connection %d", i)
	}
	r.requests[i](tcURL)
}

// waitCalled waits for the next call to start.
func (r *redialer) waitCalled(t *testing.T) {
	t.Helper()
	select {
	case <-r.called:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection made within 5 s")
	}
}

func (r *redialer) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.tcURLs...)
}

// refusingPub takes the header and refuses every packet.
type refusingPub struct {
	mu     sync.Mutex
	closed int
}

func (p *refusingPub) WriteHeader(encode.StreamInfo) error { return nil }
func (p *refusingPub) WritePacket(*encode.Packet) error    { return errors.New("connection reset") }
func (p *refusingPub) Close(context.Context) error {
	p.mu.Lock()
	p.closed++
	p.mu.Unlock()
	return nil
}
