package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"studio/encode"
)

// Session runs capture → encode → outputs for one Go Live: it owns the
// encoders, puts their packets in one DTS order and hands every packet to
// each output (the destinations and the recording), which run on their own
// goroutines and never wait on one another. Its methods are safe for
// concurrent use. A session ends by itself when Duration is reached or
// something fails, or when Stop is called; either way the connections are
// closed cleanly where possible and the recording is finished.
type Session struct {
	cfg  Config
	log  *slog.Logger
	book *book     // every state, and the error that ended the session
	rate *bitrate  // the encoder's bitrate
	hdr  *header   // the stream header, once known
	outs outputSet // the destinations and the recording

	capture      context.Context // ends when capture must stop
	stopCapture  context.CancelFunc
	network      context.Context // ends when the outputs must give up
	abortNetwork context.CancelFunc
	stopCtx      context.Context // ends when Stop is called
	requestStop  context.CancelFunc

	in            chan muxIn
	rend          renditions    // the low video rendition, when one runs
	encodersEnded chan struct{} // closed when both encode loops have returned
	muxDone       chan struct{} // closed when no more packets go to outputs
	done          chan struct{}
	diag          *diagnosis
	lastVideo     atomic.Int64 // PTS of the last video packet read, in ns
	endAt         atomic.Int64 // once Stop is called: PTS+1 (ns) at which both tracks end
	loops         sync.WaitGroup
}

// Start validates cfg and starts the session. It returns at once; follow
// the session through OnEvent, State, Stats and Done.
func Start(cfg Config) (*Session, error) {
	if cfg.Video == nil || cfg.Audio == nil {
		return nil, errors.New("publish: a session needs a video and an audio encoder")
	}
	dests := cfg.Destinations
	if cfg.Dial != nil {
		dests = append([]Destination{{Name: "stream", Dial: cfg.Dial}}, dests...)
	}
	if len(dests) > MaxDestinations {
		return nil, fmt.Errorf("publish: %d destinations, at most %d", len(dests), MaxDestinations)
	}
	for _, d := range dests {
		if d.Dial == nil && d.Redial == nil {
			return nil, fmt.Errorf("publish: destination %q has no DialFunc", d.Name)
		}
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = DefaultQueueLimit
	}
	if cfg.RecordQueueLimit <= 0 {
		cfg.RecordQueueLimit = DefaultRecordQueueLimit
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	cfg.Reconnect = cfg.Reconnect.withDefaults()
	s := &Session{
		cfg:           cfg,
		log:           cfg.Logger,
		book:          newBook(cfg.OnEvent, cfg.Clock),
		hdr:           newHeader(),
		in:            make(chan muxIn, 64),
		encodersEnded: make(chan struct{}),
		muxDone:       make(chan struct{}),
		done:          make(chan struct{}),
	}
	s.rate = newBitrate(s)
	s.diag = newDiagnosis(cfg.Clock.Now())
	s.stopCtx, s.requestStop = context.WithCancel(context.Background())
	s.capture, s.stopCapture = context.WithCancel(context.Background())
	s.network, s.abortNetwork = context.WithCancel(context.Background())
	for _, d := range dests {
		s.outs.add(s.newDestination(d, false))
	}
	s.book.refresh(nil)
	if cfg.Record != nil {
		s.outs.add(s.newRecorder(cfg.Record, false))
	}

	var encoders sync.WaitGroup
	encoders.Add(2)
	s.loops.Add(3)
	go func() {
		defer encoders.Done()
		s.encodeLoop(s.capture, cfg.Video.ReadPacket, trackMain)
	}()
	go func() {
		defer encoders.Done()
		s.encodeLoop(s.capture, cfg.Audio.ReadPacket, trackAudio)
	}()
	go s.muxLoop()
	go s.statsLoop()
	go func() {
		encoders.Wait()
		close(s.encodersEnded)
		s.rend.closeAll()
		close(s.in)
		s.loops.Done()
	}()
	go s.finishing()
	return s, nil
}

// finishing releases everything once every loop and output has ended.
func (s *Session) finishing() {
	s.loops.Wait()
	s.outs.wait()
	_ = s.cfg.Video.Close()
	_ = s.cfg.Audio.Close()
	s.stopCapture()
	s.abortNetwork()
	s.requestStop()
	s.book.end()
	close(s.done)
}

// Stop ends the session cleanly: capture stops, what was captured is sent
// and recorded, the streams are unpublished and the connections closed. If
// ctx ends first, the connections are dropped without waiting and the
// recording is cut short where it waits on the disk. Stop returns the error
// that ended the session, or nil after a clean stop.
func (s *Session) Stop(ctx context.Context) error {
	s.book.stop()
	s.requestStop()
	s.finishCapture(ctx)
	select {
	case <-s.done:
	case <-ctx.Done():
		s.abortNetwork()
		<-s.done
	}
	return s.Err()
}

// endDrain bounds how long Stop lets the encoders run on so that both
// tracks end at the same media time.
const endDrain = 500 * time.Millisecond

// finishCapture ends capture so that audio and video end together: both
// encoders go on until their packets reach the last video frame read (audio
// runs behind by its capture and encoder delay), at most endDrain or until
// ctx ends.
func (s *Session) finishCapture(ctx context.Context) {
	s.endAt.CompareAndSwap(0, s.lastVideo.Load()+1)
	t := s.cfg.Clock.NewTimer(endDrain)
	defer t.Stop()
	select {
	case <-s.encodersEnded:
	case <-t.C():
	case <-ctx.Done():
	}
	s.stopCapture()
}

// Done is closed when the session has ended and released everything.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns the error that ended the session, or nil.
func (s *Session) Err() error { return s.book.Err() }

// State returns the current state.
func (s *Session) State() State { return s.book.State() }

// SetBitrate changes the user's video bitrate target while live. Adaptive
// bitrate never goes above it.
func (s *Session) SetBitrate(kbps int) error { return s.rate.setUser(kbps) }

// ReconnectNow skips the wait before the next reconnect attempt of every
// destination that waits for one.
func (s *Session) ReconnectNow() {
	for _, d := range s.outs.destinations() {
		d.reconnectNow()
	}
}

// ReconnectDestination skips the wait before the next reconnect attempt of
// the destination named name. It returns ErrNotStreaming when no such
// destination streams.
func (s *Session) ReconnectDestination(name string) error {
	for _, d := range s.outs.destinations() {
		if d.name == name && d.entryState().active() {
			d.reconnectNow()
			return nil
		}
	}
	return ErrNotStreaming
}

// fail records the first error that ends the session and stops it.
func (s *Session) fail(err error) {
	if !s.book.fail(err) {
		return
	}
	s.stopCapture()
	s.abortNetwork()
}

// encodeLoop moves packets from one encoder into the mux until ctx ends,
// the duration is reached, or the encoder fails (which fails the session,
// except on the low rendition's track, which only ends).
func (s *Session) encodeLoop(ctx context.Context, read func(context.Context) (*encode.Packet, error), tr track) {
	for {
		p, err := read(ctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case tr == trackLow:
				s.log.Warn("the low rendition's encoder failed", "err", err)
			default:
				s.fail(fmt.Errorf("%v encoder: %w", tr, err))
			}
			return
		}
		if s.cfg.Duration > 0 && p.PTS >= s.cfg.Duration {
			// The session ends by itself: from here on it drains, and
			// says so rather than live with nothing flowing.
			s.book.drain()
			p.Release()
			return
		}
		if end := s.endAt.Load(); end != 0 && int64(p.PTS) >= end {
			p.Release()
			return
		}
		if tr == trackMain {
			s.lastVideo.Store(int64(p.PTS))
		}
		s.in <- muxIn{p, tr}
	}
}

// muxFinished reports whether the mux has handed out its last packet.
func (s *Session) muxFinished() bool {
	select {
	case <-s.muxDone:
		return true
	default:
		return false
	}
}

// statsLoop samples the byte counters so that Stats can report rates over
// the last second, and runs adaptive bitrate.
func (s *Session) statsLoop() {
	defer s.loops.Done()
	const every = 250 * time.Millisecond
	t := s.cfg.Clock.NewTimer(every)
	defer func() { t.Stop() }()
	for tick := 1; ; tick++ {
		select {
		case now := <-t.C():
			t = s.cfg.Clock.NewTimer(every)
			if tick%int(time.Second/every) == 0 {
				s.diag.observe(s, s.snapshot())
			}
			dests := s.outs.destinations()
			for _, d := range dests {
				d.sent.tick(now)
			}
			if r := s.outs.recorder(); r != nil {
				r.rate.tick(now)
			}
			s.rate.update(now, dests)
		case <-s.muxDone:
			return
		}
	}
}
