package publish

import (
	"context"
	"errors"
	"sync"
	"time"

	"studio/encode"
)

// fakeEncoder produces packets of one kind at a fixed spacing, as fast as
// they are read (or one per tick when gate is set).
type fakeEncoder struct {
	kind       encode.Kind
	spacing    time.Duration
	keyint     int
	gate       chan struct{} // when non-nil, each packet waits for a receive
	paced      bool          // when set, each packet waits until its PTS has come
	offset     time.Duration // added to every PTS (a source that started earlier)
	delay      time.Duration // with paced, how long after its due time a packet comes
	start      time.Time
	failAt     int // when > 0, ReadPacket fails at this packet
	mu         sync.Mutex
	n          int
	closed     int
	forced     int
	usedForced int
	bitrate    int
}

func (f *fakeEncoder) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if f.paced {
		// Stand in for a real-time source: packet n is due at n × spacing.
		f.mu.Lock()
		if f.start.IsZero() {
			f.start = time.Now()
		}
		due := f.start.Add(time.Duration(f.n)*f.spacing + f.delay)
		f.mu.Unlock()
		t := time.NewTimer(time.Until(due))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed > 0 {
		return nil, encode.ErrClosed
	}
	if f.failAt > 0 && f.n == f.failAt {
		return nil, errors.New("boom")
	}
	pts := time.Duration(f.n) * f.spacing
	if f.kind == encode.Video {
		pts = time.Duration(f.n) * time.Second / 30
	}
	pts += f.offset
	key := f.kind == encode.Audio || (f.keyint > 0 && f.n%f.keyint == 0) || f.forced > f.usedForced
	f.usedForced = f.forced
	f.n++
	return encode.NewPacket(f.kind, pts, pts, key, make([]byte, 100), nil), nil
}

func (f *fakeEncoder) Config() encode.VideoConfig {
	return encode.VideoConfig{Width: 64, Height: 64, FPS: 30, SPS: []byte{0x67}, PPS: []byte{0x68}, BitrateKbps: 1000}
}
func (f *fakeEncoder) audioConfig() encode.AudioConfig {
	return encode.AudioConfig{SampleRate: 48000, Channels: 2, ASC: []byte{0x11, 0x90}, BitrateKbps: 128}
}
func (f *fakeEncoder) SetBitrate(kbps int) error {
	f.mu.Lock()
	f.bitrate = kbps
	f.mu.Unlock()
	return nil
}
func (f *fakeEncoder) ForceKeyframe() error { f.mu.Lock(); f.forced++; f.mu.Unlock(); return nil }
func (f *fakeEncoder) Close() error         { f.mu.Lock(); f.closed++; f.mu.Unlock(); return nil }

type fakeAudio struct{ *fakeEncoder }

func (a fakeAudio) Config() encode.AudioConfig { return a.audioConfig() }

func newFakes() (*fakeEncoder, *fakeEncoder) {
	v := &fakeEncoder{kind: encode.Video, spacing: time.Second / 30, keyint: 30}
	a := &fakeEncoder{kind: encode.Audio, spacing: 1024 * time.Second / 48000}
	return v, a
}

// fakePublisher records what it receives.
type fakePublisher struct {
	mu        sync.Mutex
	headers   int
	packets   []encode.Packet
	sizes     []int // len(Data) of each packet
	closed    int
	failAfter int // when > 0, WritePacket fails after this many packets
	wrote     chan struct{}
	onClose   func() // when set, called (without mu) on each Close
	refused   int    // WritePacket calls that failed for failAfter
}

func (p *fakePublisher) WriteHeader(encode.StreamInfo) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed > 0 {
		return ErrClosed
	}
	p.headers++
	return nil
}

func (p *fakePublisher) WritePacket(pk *encode.Packet) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.headers == 0 {
		return errors.New("packet before header")
	}
	if p.failAfter > 0 && len(p.packets) >= p.failAfter {
		p.refused++
		if p.wrote != nil {
			select {
			case p.wrote <- struct{}{}:
			default:
			}
		}
		return errors.New("disk full")
	}
	c := *pk
	c.Data = nil
	p.packets = append(p.packets, c)
	p.sizes = append(p.sizes, len(pk.Data))
	if p.wrote != nil {
		select {
		case p.wrote <- struct{}{}:
		default:
		}
	}
	return nil
}

func (p *fakePublisher) Close(context.Context) error {
	p.mu.Lock()
	p.closed++
	p.mu.Unlock()
	if p.onClose != nil {
		p.onClose()
	}
	return nil
}

func (p *fakePublisher) count(kind encode.Kind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pk := range p.packets {
		if pk.Kind == kind {
			n++
		}
	}
	return n
}
