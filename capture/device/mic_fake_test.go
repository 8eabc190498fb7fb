package device

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"studio/capture"
	"studio/capture/alsa"
)

// fakePCM is a 44.1 kHz mono device delivering a 10 ms block of a tone
// every 10 ms. After goodReads reads (0: never) it hangs in Read, and
// with hangClose in Close, ignoring every timeout, like a backend
// deadlocked inside its library, until release is closed.
type fakePCM struct {
	burst     int // frames of old audio ready at once on the first read
	goodReads int
	hangClose bool
	release   chan struct{}

	mu    sync.Mutex
	reads int
	n     int       // samples delivered
	start time.Time // when the first paced block began
}

func (p *fakePCM) Rate() int         { return 44100 }
func (p *fakePCM) Channels() int     { return 1 }
func (p *fakePCM) BufferFrames() int { return 1764 }

func (p *fakePCM) Read(buf []int16, timeout time.Duration) (int, error) {
	p.mu.Lock()
	p.reads++
	hang := p.goodReads > 0 && p.reads > p.goodReads
	p.mu.Unlock()
	if hang {
		<-p.release
		return 0, alsa.ErrLost
	}
	if p.reads == 1 && p.burst > 0 {
		clear(buf[:p.burst])
		p.n += p.burst
		return p.burst, nil
	}
	if timeout == 0 {
		return 0, alsa.ErrTimeout // the next block is not due yet
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	// The device's clock: block k is ready at start + (k+1)·10 ms.
	due := p.start.Add(time.Duration(p.n-p.burst+441) * time.Second / 44100)
	tick := time.NewTimer(time.Until(due))
	defer tick.Stop()
	select {
	case <-tick.C:
	case <-p.release:
		return 0, alsa.ErrLost
	}
	for i := range 441 {
		buf[i] = int16(16384 * math.Sin(2*math.Pi*440*float64(p.n+i)/44100))
	}
	p.n += 441
	return 441, nil
}

func (p *fakePCM) Close() error {
	if p.hangClose {
		<-p.release
	}
	return nil
}

// useFake makes OpenMicrophone open p for the rest of the test.
func useFake(t *testing.T, p *fakePCM) {
	old := openPCM
	openPCM = func(alsa.Config) (pcm, error) { return p, nil }
	t.Cleanup(func() { openPCM = old })
}

// TestMicrophoneBackendStuck: a backend stuck inside a read is noticed by
// the reader after 1 s of silence, and one stuck inside close is left
// behind after 1 s, saying so once in the log.
func TestMicrophoneBackendStuck(t *testing.T) {
	var logged bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	dev := &fakePCM{goodReads: 50, hangClose: true, release: make(chan struct{})}
	useFake(t, dev)
	clock := capture.NewClock()
	src, err := OpenMicrophone(clock, "fake", encoderFormat)
	if err != nil {
		t.Fatal(err)
	}
	m := src.(*micSource)
	t.Cleanup(func() { close(dev.release); <-m.exited })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last time.Duration
	for {
		f, err := src.Read(ctx)
		if err != nil {
			after := clock.Now() - time.Duration(m.lastData.Load())
			t.Logf("read failed %v after the last block: %v", after, err)
			if !errors.Is(err, alsa.ErrTimeout) || after < micLostAfter || after > micLostAfter+500*time.Millisecond {
				t.Errorf("read failed %v after the last block with %v; want alsa.ErrTimeout after 1 s", after, err)
			}
			break
		}
		last = f.PTS
		f.Release()
	}
	if last == 0 {
		t.Error("no frame before the device hung")
	}
	if st := m.Status(); st.State != capture.SourceLost || !errors.Is(st.Err, alsa.ErrTimeout) {
		t.Errorf("status %+v", st)
	}

	leaked := leakedBackends.Load()
	start := time.Now()
	_ = src.Close()
	took := time.Since(start)
	if took < micCloseBound || took > micCloseBound+500*time.Millisecond {
		t.Errorf("close took %v, want about %v", took, micCloseBound)
	}
	want := "microphone fake: audio backend did not close within 1s; leaving it"
	if leakedBackends.Load() != leaked+1 || strings.Count(logged.String(), want) != 1 {
		t.Errorf("log %q, want one line with %q", logged.String(), want)
	}
	if _, err := src.Read(ctx); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

// TestMicrophoneSlowReader: a reader that stops for a while finds at
// most about 0.5 s of audio waiting, the newest.
func TestMicrophoneSlowReader(t *testing.T) {
	dev := &fakePCM{release: make(chan struct{})}
	useFake(t, dev)
	clock := capture.NewClock()
	src, err := OpenMicrophone(clock, "fake", encoderFormat)
	if err != nil {
		t.Fatal(err)
	}
	m := src.(*micSource)
	defer func() {
		_ = src.Close()
		close(dev.release)
	}()
	// Wait (on the queue's state, with a deadline) until the backlog is
	// full and has been full for a while: the device runs 1.5 s.
	deadline := time.Now().Add(5 * time.Second)
	for clock.Now() < 1500*time.Millisecond || len(m.frames) < cap(m.frames)-1 {
		if time.Now().After(deadline) {
			t.Fatalf("backlog holds %d of %d frames after %v", len(m.frames), cap(m.frames), clock.Now())
		}
		time.Sleep(10 * time.Millisecond) // polling the queue: nothing signals that it is full
	}
	f, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	behind := clock.Now() - f.PTS
	t.Logf("backlog %d frames; oldest frame %v behind the clock", cap(m.frames), behind)
	if behind > micBacklog+150*time.Millisecond {
		t.Errorf("oldest queued frame is %v old, want about %v at most", behind, micBacklog)
	}
}

func TestMicrophoneOpenFails(t *testing.T) {
	old := openPCM
	t.Cleanup(func() { openPCM = old })
	broken := errors.New("device busy")
	openPCM = func(alsa.Config) (pcm, error) { return nil, broken }
	if _, err := OpenMicrophone(capture.NewClock(), "x", encoderFormat); !errors.Is(err, broken) || errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("open error %v, want the device's", err)
	}
	openPCM = func(alsa.Config) (pcm, error) { return nil, alsa.ErrNoDevice }
	if _, err := OpenMicrophone(capture.NewClock(), "x", encoderFormat); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("open error %v, want capture.ErrNoDevice", err)
	}
}

// TestMicrophoneDropsStartBurst: audio that waited in the device before it
// started (here 40 ms, handed over at once) is dropped, so the timeline
// starts with audio captured after the open, not before it.
func TestMicrophoneDropsStartBurst(t *testing.T) {
	dev := &fakePCM{burst: 1764, release: make(chan struct{})}
	useFake(t, dev)
	clock := capture.NewClock()
	opened := clock.Now()
	src, err := OpenMicrophone(clock, "fake", encoderFormat)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = src.Close()
		close(dev.release)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	t.Logf("opened at %v, first frame at %v", opened, f.PTS)
	if f.PTS < opened {
		t.Errorf("first frame at %v, before the open at %v: the start burst was kept", f.PTS, opened)
	}
}
