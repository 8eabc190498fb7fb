package publish

import (
	"context"
	"testing"
	"time"

	"studio/encode"
)

// lowEncoder is a paced fake video encoder whose packets are 7 bytes, so
// that a publisher can tell them from the main encoder's.
type lowEncoder struct{ *fakeEncoder }

func (l lowEncoder) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	p, err := l.fakeEncoder.ReadPacket(ctx)
	if err != nil {
		return nil, err
	}
	p.Data = p.Data[:7]
	return p, nil
}

// lastVideoSize is the size of the last video packet p got.
func lastVideoSize(p *fakePublisher) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.packets) - 1; i >= 0; i-- {
		if p.packets[i].Kind == encode.Video {
			return p.sizes[i], true
		}
	}
	return 0, false
}

// A destination whose link asks for far less than the others moves to a
// low rendition at a keyframe, the others keep the main video at the full
// rate, and it moves back, and the rendition stops, once its link recovers.
func TestSlowDestinationMovesToTheLowRendition(t *testing.T) {
	v, a := pacedFakes()
	slow := &fakePublisher{wrote: make(chan struct{}, 1)}
	fast := &fakePublisher{}
	low := make(chan *fakeEncoder, 1)
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a},
		Destinations: []Destination{{Name: "slow", Dial: dialTo(slow)}, {Name: "fast", Dial: dialTo(fast)}},
		Rendition: func(kbps int) (encode.VideoEncoder, error) {
			// On the same capture: its frames carry the main video's times.
			v.mu.Lock()
			at := time.Duration(v.n) * time.Second / 30
			v.mu.Unlock()
			e := &fakeEncoder{kind: encode.Video, spacing: time.Second / 30, keyint: 30, paced: true, bitrate: kbps, offset: at}
			low <- e
			return lowEncoder{e}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for !ok() {
			select {
			case <-slow.wrote:
			case <-deadline:
				t.Fatalf("no %s within 10 s", what)
			}
		}
	}
	dests := s.outs.destinations()
	waitFor("controllers", func() bool {
		s.rate.mu.Lock()
		defer s.rate.mu.Unlock()
		return len(s.rate.ctrls) == 2
	})
	setTarget := func(d *destination, kbps int) {
		s.rate.mu.Lock()
		s.rate.ctrls[d].target = kbps
		s.rate.applyLocked()
		s.rate.mu.Unlock()
	}
	setTarget(dests[0], 300)
	var enc *fakeEncoder
	select {
	case enc = <-low:
	case <-time.After(5 * time.Second):
		t.Fatal("no low rendition opened")
	}
	if enc.bitrate != 300 {
		t.Errorf("low rendition opened at %d kbps, want 300", enc.bitrate)
	}
	waitFor("low rendition packets at the slow destination", func() bool {
		n, ok := lastVideoSize(slow)
		return ok && n == 7
	})
	if n, _ := lastVideoSize(fast); n != 100 {
		t.Errorf("fast destination's last video packet has %d bytes, want the main encoder's 100", n)
	}
	if v.bitrate != 0 && v.bitrate != 1000 {
		t.Errorf("main encoder moved to %d kbps, want it at the user's 1000", v.bitrate)
	}
	if st := s.Stats(); !st.Destinations[0].LowRendition || st.Destinations[1].LowRendition {
		t.Errorf("LowRendition: slow %v, fast %v; want true, false", st.Destinations[0].LowRendition, st.Destinations[1].LowRendition)
	}
	setTarget(dests[0], 1000)
	waitFor("main video back at the slow destination", func() bool {
		n, ok := lastVideoSize(slow)
		return ok && n == 100
	})
	// One more pass stops the rendition once nothing streams it.
	waitFor("the low rendition stopped", func() bool {
		s.rate.mu.Lock()
		s.rate.applyLocked()
		stopped := s.rate.low == nil
		s.rate.mu.Unlock()
		return stopped
	})
	enc.mu.Lock()
	closed := enc.closed
	enc.mu.Unlock()
	if closed == 0 {
		t.Error("the low rendition's encoder was not closed")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOrder(t, "slow", slow)
	checkOrder(t, "fast", fast)
}

// otherSPS is a low rendition whose sequence headers differ from the main
// video's.
type otherSPS struct{ lowEncoder }

func (o otherSPS) Config() encode.VideoConfig {
	c := o.lowEncoder.Config()
	c.SPS = []byte{0x67, 0x42}
	return c
}

// A rendition that cannot stand in for the main video (other sequence
// headers) is never streamed; the destination stays on the main video.
func TestRenditionWithOtherHeadersIsNotUsed(t *testing.T) {
	v, a := pacedFakes()
	slow := &fakePublisher{wrote: make(chan struct{}, 1)}
	opened := make(chan struct{}, 4)
	s, err := Start(Config{
		Video: v, Audio: fakeAudio{a},
		Destinations: []Destination{{Name: "slow", Dial: dialTo(slow)}, {Name: "fast", Dial: dialTo(&fakePublisher{})}},
		Rendition: func(kbps int) (encode.VideoEncoder, error) {
			opened <- struct{}{}
			return otherSPS{lowEncoder{&fakeEncoder{kind: encode.Video, spacing: time.Second / 30, keyint: 30, paced: true}}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		s.rate.mu.Lock()
		n := len(s.rate.ctrls)
		s.rate.mu.Unlock()
		if n == 2 {
			break
		}
		select {
		case <-slow.wrote:
		case <-deadline:
			t.Fatal("destinations did not connect")
		}
	}
	slowDest := s.outs.destinations()[0]
	s.rate.mu.Lock()
	s.rate.ctrls[slowDest].target = 300
	s.rate.applyLocked()
	s.rate.mu.Unlock()
	<-opened
	for !s.rend.unusable.Load() {
		select {
		case <-slow.wrote:
		case <-deadline:
			t.Fatal("the rendition's headers were never checked")
		}
	}
	// The next pass gives up on it.
	s.rate.mu.Lock()
	s.rate.applyLocked()
	want := track(slowDest.want.Load())
	s.rate.mu.Unlock()
	if want != trackMain {
		t.Errorf("the slow destination wants %v, want the main video", want)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	for i, n := range slow.sizes {
		if slow.packets[i].Kind == encode.Video && n != 100 {
			t.Fatalf("video packet %d of %d bytes: the unusable rendition was streamed", i, n)
		}
	}
}
