package main

import (
	"context"
	"sync"
	"time"

	"studio/app"
	"studio/publish"
	"studio/ui"
)

// timedBackend notes when the session starts and when Stop is called, so
// that the test knows how much media the window sent, and likewise for the
// recording.
type timedBackend struct {
	*app.Engine
	mu                sync.Mutex
	started, stops    time.Time
	recStart, recStop time.Time
	sessions          int
	recorded          chan string // the path, once a recording has started or stopped
	streamStart       time.Time   // StartStream was called
	streamStop        time.Time   // StopStream was called
	// Frame slots the source reported skipped (a machine short of CPU)
	// when the session started and when Stop was called, and likewise
	// when StartStream and StopStream were called.
	skipStart, skipStop             uint64
	streamSkipStart, streamSkipStop uint64
	streamed                        chan error // StopStream's result
}

func (b *timedBackend) calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions
}

func (b *timedBackend) recordSpan() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.recStop.Sub(b.recStart)
}

func (b *timedBackend) GoLive(s ui.Settings, onEvent func(publish.Event)) (ui.Live, error) {
	live, err := b.Engine.GoLive(s, onEvent)
	b.mu.Lock()
	b.started = time.Now()
	b.sessions++
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	skipped := live.Stats().VideoSource.Skipped
	b.mu.Lock()
	b.skipStart = skipped
	b.mu.Unlock()
	return timedLive{live, b}, nil
}

// skipped is how many frame slots the source skipped from GoLive to Stop.
func (b *timedBackend) skipped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.skipStop - b.skipStart
}

// streamSkipped is how many frame slots the source skipped from
// StartStream to StopStream.
func (b *timedBackend) streamSkipped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streamSkipStop - b.streamSkipStart
}

func (b *timedBackend) span() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stops.Sub(b.started)
}

type timedLive struct {
	ui.Live
	b *timedBackend
}

func (l timedLive) StartRecording(path string) error {
	err := l.Live.StartRecording(path)
	l.b.mu.Lock()
	l.b.recStart = time.Now()
	l.b.mu.Unlock()
	if err == nil && l.b.recorded != nil {
		l.b.recorded <- path
	}
	return err
}

func (l timedLive) StopRecording() error {
	l.b.mu.Lock()
	l.b.recStop = time.Now()
	l.b.mu.Unlock()
	err := l.Live.StopRecording()
	if l.b.recorded != nil {
		l.b.recorded <- ""
	}
	return err
}

func (l timedLive) Stop(ctx context.Context) error {
	l.b.mu.Lock()
	first := l.b.stops.IsZero()
	if first {
		l.b.stops = time.Now()
	}
	l.b.mu.Unlock()
	if first {
		skipped := l.Live.Stats().VideoSource.Skipped
		l.b.mu.Lock()
		l.b.skipStop = skipped
		l.b.mu.Unlock()
	}
	return l.Live.Stop(ctx)
}

func (l timedLive) StartStream(url string) error {
	skipped := l.Live.Stats().VideoSource.Skipped
	l.b.mu.Lock()
	l.b.streamStart = time.Now()
	l.b.streamSkipStart = skipped
	l.b.mu.Unlock()
	return l.Live.StartStream(url)
}

func (l timedLive) StopStream(ctx context.Context) error {
	skipped := l.Live.Stats().VideoSource.Skipped
	l.b.mu.Lock()
	l.b.streamStop = time.Now()
	l.b.streamSkipStop = skipped
	l.b.mu.Unlock()
	err := l.Live.StopStream(ctx)
	if l.b.streamed != nil {
		l.b.streamed <- err
	}
	return err
}

func (b *timedBackend) streamSpan() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streamStop.Sub(b.streamStart)
}
