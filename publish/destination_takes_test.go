package publish

import (
	"log/slog"
	"testing"
	"time"

	"studio/encode"
)

// A move to the low rendition waits for its keyframe; a keyframe for an
// instant the destination already sent from the main video (the low
// encoder lags behind) is not taken: another is asked for, so that no two
// frames share a timestamp.
func TestMoveNeverRepeatsAnInstant(t *testing.T) {
	main, _ := newFakes()
	s := &Session{log: slog.New(slog.DiscardHandler)}
	s.rate = &bitrate{s: s, enc: main}
	d := &destination{s: s, name: "slow"}
	d.want.Store(uint32(trackMain))
	d.on.Store(uint32(trackMain))
	frame := func(ms int, key bool) *encode.Packet {
		return encode.NewPacket(encode.Video, time.Duration(ms)*time.Millisecond, time.Duration(ms)*time.Millisecond, key, nil, nil)
	}
	if !d.takes(frame(0, true), trackMain) || !d.takes(frame(33, false), trackMain) {
		t.Fatal("the main video is not taken")
	}
	d.want.Store(uint32(trackLow)) // the link asks for less
	if d.takes(frame(67, false), trackMain) {
		t.Error("main video taken while a move is pending")
	}
	before := main.forced
	// The low encoder's keyframe for 33 ms, an instant already sent.
	if d.takes(frame(33, true), trackLow) {
		t.Error("a keyframe for an instant already sent was taken")
	}
	if main.forced != before+1 {
		t.Errorf("%d keyframes asked for, want one more", main.forced-before)
	}
	if track(d.on.Load()) != trackMain {
		t.Error("the destination moved on a keyframe it did not take")
	}
	if !d.takes(frame(100, true), trackLow) || track(d.on.Load()) != trackLow {
		t.Error("the next keyframe of the low rendition does not move it")
	}
	if d.takes(frame(133, false), trackMain) || !d.takes(frame(133, false), trackLow) {
		t.Error("after the move, the low rendition's frames go out and the main's do not")
	}
	if n := d.passedOver.Load(); n != 1 {
		t.Errorf("%d frames passed over, want 1 (the main frame at 67 ms)", n)
	}
}
