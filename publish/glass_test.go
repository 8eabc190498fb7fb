package publish

import (
	"context"
	"testing"
	"time"

	"studio/encode"
)

func TestGlassEstimate(t *testing.T) {
	zero := time.Unix(100, 0)
	busy := Link{DeliveryKbps: 1000, MinRTT: 20 * time.Millisecond, Unsent: 12500, Unacked: 12500, BytesAcked: 1 << 20}
	for _, tc := range []struct {
		name    string
		sending bool
		writing int   // bytes of the packet being written
		taken   int64 // of which the kernel took this many since
		in      glassInputs
		want    time.Duration
	}{
		{name: "not connected", in: glassInputs{sentKbps: 1000}, want: 0},
		{name: "no rate known: the queue's media time", sending: true,
			in: glassInputs{queue: queueStats{span: 300 * time.Millisecond, bytes: 1000}}, want: 330 * time.Millisecond},
		{name: "busy link", sending: true,
			// 30 ms encoder + 200 ms queue + 200 ms socket − 20 ms acknowledgement in flight + 10 ms one way
			in: glassInputs{queue: queueStats{bytes: 25000}, link: busy, haveLink: true}, want: 420 * time.Millisecond},
		{name: "the rest of a keyframe being written", sending: true, writing: 50000, taken: 25000,
			in: glassInputs{link: busy, haveLink: true}, want: 420 * time.Millisecond},
		{name: "its own frame", sending: true,
			in: glassInputs{link: busy, haveLink: true, frame: 12500}, want: 320 * time.Millisecond},
		{name: "app-limited delivery understates the link", sending: true,
			in: glassInputs{queue: queueStats{bytes: 12500}, sentKbps: 1000,
				link: Link{DeliveryKbps: 500, AppLimited: true}, haveLink: true}, want: 130 * time.Millisecond},
		{name: "idle fast link: the encoder's delay", sending: true,
			in:   glassInputs{sentKbps: 2600, link: Link{DeliveryKbps: 10000, MinRTT: 100 * time.Microsecond}, haveLink: true},
			want: 30*time.Millisecond + 50*time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g glassMeter
			g.init(zero)
			g.offered(encode.NewPacket(encode.Video, time.Second, time.Second, false, nil, nil), zero.Add(time.Second+30*time.Millisecond))
			g.sending.Store(tc.sending)
			if tc.writing > 0 {
				start := tc.in.link
				start.BytesAcked -= uint64(tc.taken)
				g.beginWrite(tc.writing, fixedLink{start})
			}
			got := g.estimate(tc.in)
			if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("estimate %v, want %v", got, tc.want)
			}
		})
	}
}

// Without CaptureZero, the encoder's delay is counted above the least one
// seen; smoothing keeps one late frame from moving it much.
func TestGlassPreQueueWithoutCaptureZero(t *testing.T) {
	var g glassMeter
	g.init(time.Time{})
	at := time.Unix(100, 0)
	for i := range 10 {
		pts := time.Duration(i) * time.Second / 30
		g.offered(encode.NewPacket(encode.Video, pts, pts, false, nil, nil), at.Add(pts+40*time.Millisecond))
	}
	if pre := time.Duration(g.preQueue.Load()); pre != 0 {
		t.Errorf("steady encoder delay counted as %v, want 0 above the least", pre)
	}
	pts := 10 * time.Second / 30
	g.offered(encode.NewPacket(encode.Video, pts, pts, false, nil, nil), at.Add(pts+120*time.Millisecond))
	if pre := time.Duration(g.preQueue.Load()); pre != 10*time.Millisecond {
		t.Errorf("one frame 80 ms late moves the delay to %v, want 10ms", pre)
	}
}

type fixedLink struct{ l Link }

func (f fixedLink) Link() (Link, bool) { return f.l, true }

// linkPublisher is a fakePublisher whose socket holds what link says.
type linkPublisher struct {
	fakePublisher
	link Link
}

func (p *linkPublisher) Link() (Link, bool) { return p.link, true }

// Stats carry each destination's glass-to-server estimate, and the worst.
func TestStatsCarryGlassToServer(t *testing.T) {
	v, a := pacedFakes()
	pub := &linkPublisher{fakePublisher: fakePublisher{wrote: make(chan struct{}, 1)},
		link: Link{DeliveryKbps: 1000, Unsent: 25000}} // 200 ms to drain
	s, err := Start(Config{Video: v, Audio: fakeAudio{a}, Destinations: []Destination{{Name: "slow", Dial: dialTo(pub)}},
		Adaptive: AdaptivePolicy{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop(context.Background()) }()
	waitVideo(t, &pub.fakePublisher, 5, "slow")
	st := s.Stats()
	if len(st.Destinations) != 1 {
		t.Fatalf("%d destinations in stats", len(st.Destinations))
	}
	g := st.Destinations[0].GlassToServer
	// 200 ms for the socket, the rest for the fakes' small frames and
	// whatever waits in the queue (more on a busy machine, never a
	// second 200 ms).
	if g < 200*time.Millisecond || g > 390*time.Millisecond {
		t.Errorf("glass-to-server %v with 200 ms of data in the socket, want 200 to 390 ms", g)
	}
	if st.GlassToServer != g {
		t.Errorf("session's glass-to-server %v, want its only destination's %v", st.GlassToServer, g)
	}
}
