package publish

import (
	"context"
	"testing"
	"time"

	"studio/encode"
)

func pkt(kind encode.Kind, ms int, key bool) *encode.Packet {
	d := time.Duration(ms) * time.Millisecond
	return encode.NewPacket(kind, d, d, key, nil, nil)
}

func TestQueueDropsVideoToNextKeyframeNeverAudio(t *testing.T) {
	forced := 0
	q := newQueue(700*time.Millisecond, 1000, func() { forced++ })
	// 1 s of media: video every 33 ms (keyframe at 0), audio every 21 ms.
	for ms := 0; ms <= 1000; ms++ {
		if ms%33 == 0 {
			q.push(pkt(encode.Video, ms, ms == 0))
		}
		if ms%21 == 0 {
			q.push(pkt(encode.Audio, ms, true))
		}
	}
	if forced != 1 {
		t.Errorf("keyframe forced %d times, want 1", forced)
	}
	st := q.stats()
	if st.dropped == 0 {
		t.Fatal("no video dropped past the limit")
	}
	var audio, video int
	for q.stats().len > 0 {
		p, _ := q.pop(context.Background())
		if p.Kind == encode.Video {
			t.Fatalf("video at %v left the queue while dropping", p.PTS)
		}
		audio++
	}
	q.push(pkt(encode.Video, 1010, false)) // still dropping
	q.push(pkt(encode.Video, 1043, true))  // a keyframe resumes video
	q.push(pkt(encode.Video, 1076, false))
	q.close()
	var firstVideo *encode.Packet
	for {
		p, ok := q.pop(context.Background())
		if !ok {
			break
		}
		if p.Kind == encode.Audio {
			audio++
		} else {
			video++
			if firstVideo == nil {
				firstVideo = p
			}
		}
	}
	if audio != 1000/21+1 {
		t.Errorf("%d audio packets left the queue, want all %d", audio, 1000/21+1)
	}
	if firstVideo == nil || !firstVideo.Keyframe || firstVideo.PTS != 1043*time.Millisecond {
		t.Errorf("first video out of the queue %+v, want the keyframe at 1043 ms", firstVideo)
	}
	if video != 2 {
		t.Errorf("%d video packets left the queue, want 2", video)
	}
}

func TestQueueHardCap(t *testing.T) {
	q := newQueue(time.Hour, 10, nil)
	for i := 0; i < 25; i++ {
		q.push(pkt(encode.Audio, i, true))
	}
	if st := q.stats(); st.len != 10 || st.lost != 15 {
		t.Errorf("len %d lost %d, want 10 and 15", st.len, st.lost)
	}
	p, _ := q.pop(context.Background())
	if p.PTS != 15*time.Millisecond {
		t.Errorf("oldest kept %v, want 15ms", p.PTS)
	}
}

func TestQueuePopHonoursContext(t *testing.T) {
	q := newQueue(time.Second, 10, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := q.pop(ctx); ok {
		t.Fatal("pop returned a packet from an empty queue")
	}
}

func TestQueueOfflineKeepsRecentAudioOnly(t *testing.T) {
	forced := 0
	q := newQueue(700*time.Millisecond, 1000, func() { forced++ })
	q.push(pkt(encode.Video, 0, true))
	q.setOffline()
	for ms := 0; ms <= 3000; ms += 21 {
		q.push(pkt(encode.Audio, ms, true))
		if ms%33 == 0 {
			q.push(pkt(encode.Video, ms, ms%990 == 0))
		}
	}
	if forced != 0 {
		t.Errorf("%d keyframes asked for while offline", forced)
	}
	st := q.stats()
	if st.span > 700*time.Millisecond || st.len == 0 {
		t.Errorf("offline queue holds %d packets over %v, want recent audio within 700ms", st.len, st.span)
	}
	q.resync()
	q.push(pkt(encode.Video, 3010, false)) // waits for a keyframe
	q.push(pkt(encode.Video, 3043, true))
	q.close()
	sawVideo := false
	for {
		p, ok := q.pop(context.Background())
		if !ok {
			break
		}
		if p.Kind == encode.Video {
			if !sawVideo && !p.Keyframe {
				t.Errorf("first video after resync at %v is not a keyframe", p.PTS)
			}
			sawVideo = true
		}
	}
	if !sawVideo {
		t.Error("no video after resync")
	}
}
