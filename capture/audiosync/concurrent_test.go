package audiosync

import (
	"sync"
	"testing"

	"studio/capture"
)

// Next, DriftPPM and Stats may be read from another goroutine while the
// reader pushes and releases frames on yet another (run with -race).
func TestConcurrentReaders(t *testing.T) {
	out := capture.AudioProps{SampleRate: 48000, Channels: 2}
	a := New(out, 1024)
	d := &device{rate: 48000, ch: 2, start: 1, signal: tone(440, 10000, 10000)}
	frames := make(chan *capture.AudioFrame, 16)
	var wg sync.WaitGroup
	wg.Go(func() { // the encoder: releases frames
		for f := range frames {
			f.Release()
		}
	})
	done := make(chan struct{})
	wg.Go(func() { // the status view
		for {
			select {
			case <-done:
				return
			default:
				_, _, _ = a.Next(), a.DriftPPM(), a.Stats()
			}
		}
	})
	for i := 0; i < 300; i++ {
		smp, arr := d.read(960, 0)
		for _, f := range a.Push(smp, 48000, 2, arr) {
			frames <- f
		}
		if i == 150 {
			a.Reset()
		}
	}
	close(done)
	close(frames)
	wg.Wait()
	if st := a.Stats(); st.Frames < 250 || st.Relocks != 2 {
		t.Errorf("stats %+v: want about 280 frames and two locks", st)
	}
}
