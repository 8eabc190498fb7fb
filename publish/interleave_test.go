package publish

import (
	"testing"
	"time"

	"studio/encode"
)

func mkpkt(kind encode.Kind, ms int) *encode.Packet {
	ts := time.Duration(ms) * time.Millisecond
	return encode.NewPacket(kind, ts, ts, kind == encode.Audio || ms == 0, nil, nil)
}

// Audio that comes in bursts behind the video still goes out in one DTS
// order, with nothing moved.
func TestInterleaverOrdersAcrossTracks(t *testing.T) {
	var il interleaver
	var out []*encode.Packet
	emit := func(p *encode.Packet, _ track) { out = append(out, p) }
	v, a := 0, 0
	for range 20 {
		// Three video frames, then the audio for the same time, as a
		// capture with a 60 ms audio buffer delivers them.
		for range 3 {
			il.push(mkpkt(encode.Video, v), trackMain, emit)
			v += 33
		}
		for a+21 <= v {
			il.push(mkpkt(encode.Audio, a), trackAudio, emit)
			a += 21
		}
	}
	il.flush(emit)
	if len(out) != 60+a/21 {
		t.Fatalf("%d packets out, want %d", len(out), 60+a/21)
	}
	for i := 1; i < len(out); i++ {
		if out[i].DTS < out[i-1].DTS {
			t.Fatalf("packet %d (%v at %v) before packet %d (%v at %v)", i, out[i].Kind, out[i].DTS, i-1, out[i-1].Kind, out[i-1].DTS)
		}
	}
	if il.moved != 0 {
		t.Errorf("%d packets moved, want 0", il.moved)
	}
	if out[0].Kind != encode.Video {
		t.Errorf("first packet is %v, want the video keyframe", out[0].Kind)
	}
}

// A track on its own waits at most the window for the other.
func TestInterleaverBoundsTheWait(t *testing.T) {
	var il interleaver
	var out []*encode.Packet
	emit := func(p *encode.Packet, _ track) { out = append(out, p) }
	ms := 0
	for ; ms <= int(interleaveWindow/time.Millisecond); ms += 33 {
		il.push(mkpkt(encode.Video, ms), trackMain, emit)
	}
	if len(out) != 0 {
		t.Fatalf("%d packets out within the window, want 0", len(out))
	}
	il.push(mkpkt(encode.Video, ms), trackMain, emit)
	if len(out) != 1 || out[0].DTS != 0 {
		t.Fatalf("past the window: %d packets out, want the first", len(out))
	}
	// Audio from before what was sent is moved up, never sent back in time.
	il.flush(emit)
	il.push(mkpkt(encode.Audio, 10), trackAudio, emit)
	il.flush(emit)
	il.push(mkpkt(encode.Audio, 31), trackAudio, emit)
	il.flush(emit)
	// Moved packets never share a DTS with the one before: two of one
	// track at one DTS are invalid in FLV.
	for i := 1; i < len(out); i++ {
		if out[i].DTS <= out[i-1].DTS {
			t.Fatalf("packet %d at %v after one at %v", i, out[i].DTS, out[i-1].DTS)
		}
	}
	if il.moved != 2 {
		t.Errorf("%d packets moved, want 2", il.moved)
	}
}

func BenchmarkInterleaver(b *testing.B) {
	var il interleaver
	emit := func(*encode.Packet, track) {}
	v := encode.NewPacket(encode.Video, 0, 0, true, nil, nil)
	a := encode.NewPacket(encode.Audio, 0, 0, true, nil, nil)
	ts := time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		ts += 10 * time.Millisecond
		v.DTS, a.DTS = ts, ts+time.Millisecond
		il.push(v, trackMain, emit)
		il.push(a, trackAudio, emit)
	}
}
