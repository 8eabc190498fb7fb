package publish

import (
	"time"

	"studio/encode"
)

// takes reports whether p goes to this destination: audio, and the video
// of the track it streams. It moves to the track it wants at that track's
// next keyframe, so that what it sends always decodes, and no two of its
// frames share a timestamp.
func (d *destination) takes(p *encode.Packet, tr track) bool {
	if end := d.endAt.Load(); end != 0 && int64(p.DTS) >= end {
		d.ending.Do(d.q.close)
		return false
	}
	if tr == trackAudio {
		return true
	}
	on, want := track(d.on.Load()), track(d.want.Load())
	if want == on {
		return tr == on && d.tookAt(p.DTS)
	}
	// A move is pending: a keyframe of want was asked for. Until it comes,
	// no video is taken, so that the two renditions' frames of the same
	// instant never both go out (a gap of a frame or two instead). A
	// rendition that lags behind may deliver that keyframe for an instant
	// already sent from the other: then another is asked for.
	if tr == want && p.Keyframe {
		if d.tookVideo && p.DTS <= d.lastVideo {
			d.forceKeyframe()
			return false
		}
		d.on.Store(uint32(want))
		d.s.log.Info("destination changes rendition", "destination", d.name, "to", want)
		return d.tookAt(p.DTS)
	}
	if tr == on {
		d.passedOver.Add(1)
	}
	return false
}

// tookAt notes a video packet taken at dts, and reports true.
func (d *destination) tookAt(dts time.Duration) bool {
	d.lastVideo, d.tookVideo = dts, true
	return true
}

// forceKeyframe asks the encoder of the track the destination streams, or
// is about to, for a keyframe.
func (d *destination) forceKeyframe() {
	d.s.rate.forceKeyframe(track(d.want.Load()))
}
