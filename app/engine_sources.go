package app

import (
	"context"
	"sync"

	"studio/capture"
	"studio/capture/tap"
)

// sourceKey is what decides whether open sources fit new settings.
type sourceKey struct {
	camera, mic   string
	width, height int
	fps           int
}

func keyOf(s Settings) sourceKey {
	return sourceKey{s.CameraID, s.MicrophoneID, s.Width, s.Height, s.FPS}
}

// sources are an open camera and microphone with their taps, and the
// goroutines that drain them while no encoder reads them. The Engine's mu
// guards the fields that change.
type sources struct {
	key         sourceKey
	video       capture.VideoSource // a tap.Video feeding preview
	videoStatus capture.Reporter    // the camera's health
	audioStatus capture.Reporter    // the microphone's health
	clock       *capture.Clock      // what their frames are stamped on
	preview     *previewer
	audio       *tap.AudioTap // levels, mute, and the monitor's subscription
	levels      *levels
	stopMonitor func()             // nil when not monitoring
	stopDrain   context.CancelFunc // nil when not draining
	drained     sync.WaitGroup
}

// open opens the sources for s, with taps for the preview and the levels.
func (b *Engine) open(s Settings) (*sources, error) {
	in, err := OpenSources(s, b.deviceChanged)
	if err != nil {
		return nil, err
	}
	src := &sources{key: keyOf(s), preview: newPreviewer(in.Video.Props(), &b.wants), levels: &levels{},
		videoStatus: in.VideoStatus, audioStatus: in.AudioStatus, clock: in.Clock}
	src.video = tap.Video(in.Video, previewInterval, src.preview.tap)
	src.audio = tap.Audio(in.Audio, src.levels.add)
	src.audio.SetMuted(b.muted)
	return src, nil
}

// lend returns the sources as a session's Inputs: leases that the
// session's encoders close without closing the sources.
func (src *sources) lend() Inputs {
	return Inputs{
		Video:       &lease[*capture.VideoFrame, capture.VideoProps]{src: src.video},
		Audio:       &lease[*capture.AudioFrame, capture.AudioProps]{src: src.audio},
		VideoStatus: src.videoStatus, AudioStatus: src.audioStatus, Clock: src.clock,
	}
}

// drain reads and drops frames so that the taps keep the preview going
// while no encoder reads the sources.
func (src *sources) drain() {
	ctx, cancel := context.WithCancel(context.Background())
	src.stopDrain = cancel
	src.drained.Add(2)
	go func() {
		defer src.drained.Done()
		for {
			f, err := src.video.Read(ctx)
			if err != nil {
				return
			}
			f.Release()
		}
	}()
	go func() {
		defer src.drained.Done()
		for {
			f, err := src.audio.Read(ctx)
			if err != nil {
				return
			}
			f.Release()
		}
	}()
}

// stop stops draining, if it was, and waits until nothing reads.
func (src *sources) stop() {
	if src.stopDrain != nil {
		src.stopDrain()
		src.drained.Wait()
		src.stopDrain = nil
	}
}

func (src *sources) close() {
	src.stop()
	if src.stopMonitor != nil {
		src.stopMonitor()
		src.stopMonitor = nil
	}
	_ = src.video.Close()
	src.preview.close()
	_ = src.audio.Close()
}
