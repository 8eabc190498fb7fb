package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"studio/capture"
	"studio/encode"
)

// State is where a session is in its life.
type State int32

const (
	StateIdle State = iota
	StateConnecting
	StateLive
	StateReconnecting
	StateStopping
	StateStopped
	StateError
)

var stateNames = [...]string{"idle", "connecting", "live", "reconnecting", "stopping", "stopped", "error"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

// DialFunc opens a connection to the destination and starts publishing.
// It reports every server status event through onStatus and returns once
// the server accepted the stream.
type DialFunc func(ctx context.Context, onStatus func(Status)) (Publisher, error)

// Config describes one Go Live.
type Config struct {
	// Video and Audio are the encoders. The session owns them from Start
	// on and closes them when it ends.
	Video encode.VideoEncoder
	Audio encode.AudioEncoder
	// Dial connects to the live destination; nil streams nowhere (for a
	// recording on its own).
	Dial DialFunc
	// Record, when set, receives every packet, whatever happens to the
	// connection. The session owns it from Start on and closes it.
	Record Publisher
	// Duration, when positive, ends the session cleanly once this much
	// media has been captured.
	Duration time.Duration
	// QueueLimit is the media time the send queue may hold before video
	// is dropped up to the next keyframe. Default 700 ms.
	QueueLimit time.Duration
	// Reconnect says how a lost connection is retried. A failure to
	// connect at the start is never retried: it ends the session, so that
	// a wrong URL or key is reported at once.
	Reconnect ReconnectPolicy
	// Adaptive configures adaptive bitrate, which is on by default.
	Adaptive AdaptivePolicy
	// OnEvent, when set, is called on every state change, status event
	// and warning. It is called from the session's goroutines, one call at
	// a time, and must not block.
	OnEvent func(Event)
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// VideoSource and AudioSource, when set, say how the capture devices
	// behind the encoders are; Stats carries what they say.
	VideoSource, AudioSource capture.Reporter
}

// Event is something that happened to a session.
type Event struct {
	Time  time.Time
	State State
	// Status is set when the server sent a status event.
	Status *Status
	// Err is set when something failed: with StateError it ended the
	// session; otherwise it is a warning (for example, the recording
	// stopped because the disk is full, while the stream goes on).
	Err error
	// Attempt is set, with StateReconnecting and Err, when a reconnect
	// attempt failed: 1 for the first since the connection was lost.
	// RetryIn is then the wait before the next attempt.
	Attempt int
	RetryIn time.Duration
}

// Stats is a snapshot of a session's health. Rates are over the last
// second, of what was sent to the server; while the session only records,
// of what was recorded.
type Stats struct {
	Time          time.Time
	State         State
	Uptime        time.Duration // since the stream went live; while only recording, since the session started
	VideoKbps     float64
	AudioKbps     float64
	FPS           float64
	FramesSent    uint64
	FramesDropped uint64
	Queue         time.Duration // media time waiting to be sent
	// Congestion is the queue as a share of the queue limit, from 0 (clear)
	// to 1 (dropping video).
	Congestion float64
	// TargetKbps is the video bitrate the encoder aims at now; adaptive
	// bitrate moves it between its floor and UserKbps.
	TargetKbps int
	UserKbps   int
	// EstimateKbps is the throughput the link delivers: the transport's
	// delivery rate where it reports one, else what was sent over the
	// last second (audio and video).
	EstimateKbps float64
	// DeliveryKbps is the transport's own measure of it, 0 where unknown or
	// where the last sample was taken while sending less than the link
	// could carry.
	DeliveryKbps float64
	// RTT is the connection's smoothed round-trip time, and LinkDelay how
	// much of it queues along the path add; both zero where unknown.
	RTT        time.Duration
	LinkDelay  time.Duration
	Reconnects int
	BytesSent  uint64
	Recording  bool // a local recording is being written
	// VideoSource and AudioSource are the capture devices' health (zero
	// when the Config gave no reporter).
	VideoSource, AudioSource capture.SourceStatus
}

// Session runs capture → encode → publish for one Go Live. Its methods are
// safe for concurrent use. A session ends by itself when Duration is
// reached or something fails, or when Stop is called; either way the
// connection is closed cleanly where possible and the recording is
// finished.
type Session struct {
	cfg Config
	log *slog.Logger

	capture       context.Context // ends when capture must stop
	stopCapture   context.CancelFunc
	network       context.Context // ends when the network must give up
	abortNetwork  context.CancelFunc
	in            chan *encode.Packet
	q             *queue
	header        chan encode.StreamInfo // receives the stream header once
	done          chan struct{}
	encodersDone  sync.WaitGroup
	encodersEnded chan struct{} // closed when both encode loops have returned
	lastVideo     atomic.Int64  // PTS of the last video packet read, in ns
	endAt         atomic.Int64  // once Stop is called: PTS+1 (ns) at which both tracks end
	loops         sync.WaitGroup
	muxDone       chan struct{}
	sendDone      chan struct{}
	stopCtx       context.Context // ends when Stop is called
	requestStop   context.CancelFunc
	eventMu       sync.Mutex
	errMu         sync.Mutex
	err           error // guarded by errMu; the first error that ended the session
	state         atomic.Int32
	liveSince     atomic.Int64 // unix nanos, 0 before live
	started       time.Time    // when Start was called
	targetKbps    atomic.Int64
	sent          mediaRate // what went to the server
	recorded      mediaRate // what went to the recording
	recording     atomic.Bool
	stopRequested atomic.Bool
	reconnects    atomic.Int64
	retryNow      chan struct{} // skips the wait before the next reconnect
	recCmd        chan recRequest
	userKbps      atomic.Int64
	link          atomic.Pointer[linkSource] // the live connection, when it reports its link
	feeding       atomic.Bool                // the mux feeds the send queue: a stream is on
	connectReq    chan *streamRun            // Connect hands a new stream to sendLoop
	streamMu      sync.Mutex                 // guards cur
	cur           *streamRun                 // the stream running or starting, nil when only recording
	rateMu        sync.Mutex                 // guards rc
	rc            *rateController            // nil when adaptive bitrate is off
}

// DefaultQueueLimit is the media time the send queue holds before it drops
// video, as OBS does.
const DefaultQueueLimit = 700 * time.Millisecond

// Start validates cfg and starts the session. It returns at once; follow
// the session through OnEvent, State, Stats and Done.
func Start(cfg Config) (*Session, error) {
	if cfg.Video == nil || cfg.Audio == nil {
		return nil, errors.New("publish: a session needs a video and an audio encoder")
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = DefaultQueueLimit
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Reconnect = cfg.Reconnect.withDefaults()
	s := &Session{
		retryNow:      make(chan struct{}, 1),
		recCmd:        make(chan recRequest),
		connectReq:    make(chan *streamRun),
		cfg:           cfg,
		log:           cfg.Logger,
		in:            make(chan *encode.Packet, 64),
		header:        make(chan encode.StreamInfo, 1),
		done:          make(chan struct{}),
		muxDone:       make(chan struct{}),
		encodersEnded: make(chan struct{}),
		sendDone:      make(chan struct{}),
		started:       time.Now(),
	}
	s.stopCtx, s.requestStop = context.WithCancel(context.Background())
	s.capture, s.stopCapture = context.WithCancel(context.Background())
	s.network, s.abortNetwork = context.WithCancel(context.Background())
	s.q = newQueue(cfg.QueueLimit, 4096, func() {
		s.log.Info("send queue over limit: dropping video up to the next keyframe", "limit", cfg.QueueLimit)
		_ = cfg.Video.ForceKeyframe()
	})
	s.recording.Store(cfg.Record != nil)
	s.sent.init()
	s.recorded.init()
	if cfg.Dial != nil {
		s.cur = s.newStreamRun(cfg.Dial, false)
		s.feeding.Store(true)
	}

	s.encodersDone.Add(2)
	s.loops.Add(4)
	go s.encodeLoop(cfg.Video.ReadPacket, "video")
	go s.encodeLoop(cfg.Audio.ReadPacket, "audio")
	go s.muxLoop()
	go s.sendLoop()
	go s.statsLoop()
	go func() {
		s.encodersDone.Wait()
		close(s.encodersEnded)
		close(s.in)
		s.loops.Done()
	}()
	go func() {
		s.loops.Wait()
		_ = cfg.Video.Close()
		_ = cfg.Audio.Close()
		s.q.discard()
		s.stopCapture()
		s.abortNetwork()
		s.requestStop()
		state := StateStopped
		if s.Err() != nil {
			state = StateError
		}
		s.setState(state, nil)
		close(s.done)
	}()
	return s, nil
}

// Stop ends the session cleanly: capture stops, what was captured is sent
// and recorded, the stream is unpublished and the connection closed. If ctx
// ends first, the connection is dropped without waiting. Stop returns the
// error that ended the session, or nil after a clean stop.
func (s *Session) Stop(ctx context.Context) error {
	if s.stopRequested.CompareAndSwap(false, true) {
		if st := s.State(); st != StateStopped && st != StateError {
			s.setState(StateStopping, nil)
		}
	}
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
	t := time.NewTimer(endDrain)
	defer t.Stop()
	select {
	case <-s.encodersEnded:
	case <-t.C:
	case <-ctx.Done():
	}
	s.stopCapture()
}

// Done is closed when the session has ended and released everything.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns the error that ended the session, or nil.
func (s *Session) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// State returns the current state.
func (s *Session) State() State { return State(s.state.Load()) }

// SetBitrate changes the user's video bitrate target while live. Adaptive
// bitrate never goes above it.
func (s *Session) SetBitrate(kbps int) error {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if err := s.cfg.Video.SetBitrate(kbps); err != nil {
		return fmt.Errorf("set bitrate: %w", err)
	}
	s.targetKbps.Store(int64(kbps))
	s.userKbps.Store(int64(kbps))
	if s.rc != nil {
		s.rc.setUser(kbps)
	}
	return nil
}

// ReconnectNow skips the wait before the next reconnect attempt. It does
// nothing while connected.
func (s *Session) ReconnectNow() {
	select {
	case s.retryNow <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the session's health.
func (s *Session) Stats() Stats {
	now := time.Now()
	qs := s.q.stats()
	st := Stats{
		Time:          now,
		State:         s.State(),
		FramesSent:    s.sent.frames.Load(),
		FramesDropped: qs.dropped,
		Queue:         qs.span,

		TargetKbps: int(s.targetKbps.Load()),
		UserKbps:   int(s.userKbps.Load()),
		Reconnects: int(s.reconnects.Load()),
		BytesSent:  s.sent.bytes(),
		Recording:  s.recording.Load(),
	}
	if since := s.liveSince.Load(); since != 0 && (st.State == StateLive || st.State == StateReconnecting) {
		st.Uptime = now.Sub(time.Unix(0, since))
	}
	st.VideoKbps, st.AudioKbps, st.FPS = s.sent.rates(now)
	st.EstimateKbps = st.VideoKbps + st.AudioKbps
	if st.Recording && !s.feeding.Load() {
		st.VideoKbps, st.AudioKbps, st.FPS = s.recorded.rates(now)
	}
	if src := s.link.Load(); src != nil {
		if l, ok := src.r.Link(); ok {
			st.RTT, st.LinkDelay = l.RTT, l.Queued()
			if l.DeliveryKbps > 0 && !l.AppLimited {
				st.DeliveryKbps, st.EstimateKbps = l.DeliveryKbps, l.DeliveryKbps
			}
		}
	}
	st.Congestion = min(1, float64(qs.span+st.LinkDelay)/float64(s.cfg.QueueLimit))
	if r := s.cfg.VideoSource; r != nil {
		st.VideoSource = r.Status()
	}
	if r := s.cfg.AudioSource; r != nil {
		st.AudioSource = r.Status()
	}
	return st
}

// encodeLoop moves packets from one encoder into the mux until capture
// stops, the duration is reached, or the encoder fails.
func (s *Session) encodeLoop(read func(context.Context) (*encode.Packet, error), kind string) {
	defer s.encodersDone.Done()
	for {
		p, err := read(s.capture)
		if err != nil {
			if s.capture.Err() == nil {
				s.fail(fmt.Errorf("%s encoder: %w", kind, err))
			}
			return
		}
		if s.cfg.Duration > 0 && p.PTS >= s.cfg.Duration {
			p.Release()
			return
		}
		if end := s.endAt.Load(); end != 0 && int64(p.PTS) >= end {
			p.Release()
			return
		}
		if p.Kind == encode.Video {
			s.lastVideo.Store(int64(p.PTS))
		}
		s.in <- p
	}
}

// muxLoop builds the stream header, writes the recording and feeds the
// send queue. Audio that arrives before the first video frame waits for
// the header, so that neither track loses its start.
func (s *Session) muxLoop() {
	defer s.loops.Done()
	defer close(s.muxDone)
	defer s.q.close()
	var (
		pending []*encode.Packet
		info    encode.StreamInfo
		haveHdr bool
		start   time.Duration // DTS of the first video packet
		rec     = recording{pub: s.cfg.Record}
	)
	defer func() {
		for _, a := range pending {
			a.Release()
		}
		s.stopRecording(&rec)
	}()
	for {
		var p *encode.Packet
		select {
		case req := <-s.recCmd:
			req.done <- s.switchRecording(&rec, req.pub, info, haveHdr)
			continue
		case pk, ok := <-s.in:
			if !ok {
				return
			}
			p = pk
		}
		if !haveHdr {
			if p.Kind != encode.Video {
				pending = append(pending, p)
				continue
			}
			info = encode.StreamInfo{Video: s.cfg.Video.Config(), Audio: s.cfg.Audio.Config()}
			haveHdr = true
			s.initBitrate(info.Video.BitrateKbps)
			s.header <- info
			if rec.pub != nil {
				if err := rec.pub.WriteHeader(info); err != nil {
					s.recordFailed(&rec, err)
				}
			}
			// The keyframe first, then the audio that waited for it
			// (what is older than it is dropped).
			start = p.DTS
			s.muxFrom(&rec, p, start)
			for _, a := range pending {
				s.muxFrom(&rec, a, start)
			}
			pending = nil
			continue
		}
		s.muxFrom(&rec, p, start)
	}
}

// muxFrom muxes p unless it is audio from before start, the first video
// frame: the stream begins with its keyframe, and no packet goes out with
// a timestamp lower than one already sent.
func (s *Session) muxFrom(rec *recording, p *encode.Packet, start time.Duration) {
	if p.Kind == encode.Audio && p.DTS < start {
		p.Release()
		return
	}
	s.mux(rec, p)
}

// recording is the mux goroutine's local recording.
type recording struct {
	pub Publisher // nil when not recording
	// awaitKey is set for a recording started mid-stream: it begins with
	// the next video keyframe.
	awaitKey bool
}

// recRequest asks the mux goroutine to start (pub set) or stop (pub nil)
// the recording.
type recRequest struct {
	pub  Publisher
	done chan error
}

// ErrRecording is returned by StartRecording while a recording runs.
var ErrRecording = errors.New("already recording")

// StartRecording starts writing the stream to rec while the session runs,
// from the next keyframe on (within one keyframe interval). The session
// owns rec from then on and closes it when the recording stops.
func (s *Session) StartRecording(rec Publisher) error {
	return s.askMux(rec)
}

// StopRecording finishes the local recording; the stream goes on.
func (s *Session) StopRecording() error { return s.askMux(nil) }

func (s *Session) askMux(pub Publisher) error {
	req := recRequest{pub: pub, done: make(chan error, 1)}
	select {
	case s.recCmd <- req:
		return <-req.done
	case <-s.muxDone:
		if pub != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = pub.Close(ctx)
			cancel()
		}
		return ErrClosed
	}
}

func (s *Session) switchRecording(rec *recording, pub Publisher, info encode.StreamInfo, haveHdr bool) error {
	if pub == nil {
		s.stopRecording(rec)
		return nil
	}
	if rec.pub != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = pub.Close(ctx)
		cancel()
		return ErrRecording
	}
	if haveHdr {
		if err := pub.WriteHeader(info); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = pub.Close(ctx)
			cancel()
			return fmt.Errorf("starting the recording: %w", err)
		}
		// Waiting for the next keyframe (one keyframe interval at most)
		// costs the live stream nothing; forcing one would.
		rec.awaitKey = true
	}
	rec.pub = pub
	s.recording.Store(true)
	return nil
}

// stopRecording finishes the recording, if there is one.
func (s *Session) stopRecording(rec *recording) {
	if rec.pub == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := rec.pub.Close(ctx); err != nil {
		s.warn(fmt.Errorf("finishing the recording: %w", err))
	}
	cancel()
	rec.pub, rec.awaitKey = nil, false
	s.recording.Store(false)
}

func (s *Session) mux(rec *recording, p *encode.Packet) {
	if rec.pub != nil && rec.awaitKey && p.Kind == encode.Video && p.Keyframe {
		rec.awaitKey = false
	}
	if rec.pub != nil && !rec.awaitKey {
		if err := rec.pub.WritePacket(p); err != nil {
			s.recordFailed(rec, err)
		} else {
			s.recorded.count(p.Kind, len(p.Data))
		}
	}
	if !s.feeding.Load() {
		p.Release()
		return
	}
	s.q.push(p)
}

// recordFailed stops the recording after a write error; what it already
// holds stays readable, and the stream goes on.
func (s *Session) recordFailed(rec *recording, err error) {
	s.warn(fmt.Errorf("recording stopped: %w", err))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = rec.pub.Close(ctx)
	cancel()
	rec.pub, rec.awaitKey = nil, false
	s.recording.Store(false)
}

// streamRun is one stream to one destination: from Start (cfg.Dial) or
// from Connect, until it fails, Disconnect ends it or the session ends.
type streamRun struct {
	dial   DialFunc
	ctx    context.Context // ends when the stream must give up
	cancel context.CancelFunc
	// fromConnect is set for a stream that Connect started on a session
	// that was recording: it joins on a keyframe, and its failure ends
	// only the stream.
	fromConnect bool
	userEnded   atomic.Bool   // Disconnect ended it
	done        chan struct{} // closed once the stream has ended

	// A stream from Connect starts its timestamps at zero: base is the
	// session time of its first packet, a keyframe. sendLoop only.
	base     time.Duration
	haveBase bool
}

func (s *Session) newStreamRun(dial DialFunc, fromConnect bool) *streamRun {
	ctx, cancel := context.WithCancel(s.network)
	return &streamRun{dial: dial, ctx: ctx, cancel: cancel, fromConnect: fromConnect, done: make(chan struct{})}
}

// ErrStreaming is returned by Connect while the session streams already.
var ErrStreaming = errors.New("already streaming")

// ErrNotStreaming is returned by Disconnect when the session does not
// stream.
var ErrNotStreaming = errors.New("not streaming")

// ErrStreamEnded wraps, in a warning Event, why a stream that Connect
// started has ended by itself. The session goes on recording.
var ErrStreamEnded = errors.New("the stream ended; the recording goes on")

// Connect starts streaming to the destination dial reaches, while the
// session goes on recording without a gap. The stream starts on a keyframe,
// asked for at once, and then behaves as one from Start (states,
// reconnects, adaptive bitrate), except that its failure ends only the
// stream: an Event then carries ErrStreamEnded and the session records on.
// Connect returns at once; it returns ErrStreaming while a stream runs and
// ErrClosed once the session is stopping.
func (s *Session) Connect(dial DialFunc) error {
	if dial == nil {
		return errors.New("publish: Connect needs a DialFunc")
	}
	s.streamMu.Lock()
	if s.cur != nil {
		s.streamMu.Unlock()
		return ErrStreaming
	}
	if s.stopRequested.Load() || s.muxFinished() {
		s.streamMu.Unlock()
		return ErrClosed
	}
	st := s.newStreamRun(dial, true)
	s.cur = st
	s.streamMu.Unlock()
	// Until the connection is up, keep recent audio only.
	s.q.startFresh()
	s.feeding.Store(true)
	select {
	case s.connectReq <- st:
		return nil
	case <-s.sendDone:
		s.endStream(st)
		return ErrClosed
	}
}

// Disconnect ends the running stream cleanly (the server is told the
// stream ends; media still queued is dropped) and waits for it, at most
// until ctx ends. The session goes on, recording if it records; Connect
// can start a new stream. It returns ErrNotStreaming when there is no
// stream.
func (s *Session) Disconnect(ctx context.Context) error {
	s.streamMu.Lock()
	st := s.cur
	s.streamMu.Unlock()
	if st == nil {
		return ErrNotStreaming
	}
	st.userEnded.Store(true)
	st.cancel()
	select {
	case <-st.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// endStream forgets st: the queue is emptied and stays off until the next
// stream, and adaptive bitrate gives the user's bitrate back.
func (s *Session) endStream(st *streamRun) {
	s.streamMu.Lock()
	if s.cur == st {
		s.cur = nil
		s.feeding.Store(false)
		s.q.setOffline()
		s.q.discard()
	}
	s.streamMu.Unlock()
	st.cancel()
	s.stopAdaptive()
	close(st.done)
}

// sendLoop runs the streams: the one from Start, if any, then those that
// Connect starts, one at a time, until the session ends.
func (s *Session) sendLoop() {
	defer s.loops.Done()
	defer close(s.sendDone)
	var hdr streamHeader
	s.streamMu.Lock()
	st := s.cur
	s.streamMu.Unlock()
	if st == nil {
		s.recordingOnly(nil)
	}
	for {
		if st == nil {
			select {
			case st = <-s.connectReq:
			case <-s.muxDone:
				return
			case <-s.stopCtx.Done():
				return
			case <-s.network.Done():
				return
			}
		}
		err := s.runStream(st, &hdr)
		s.endStream(st)
		ending := s.stopRequested.Load() || s.network.Err() != nil || s.muxFinished()
		switch {
		case err == nil || st.userEnded.Load():
			if !ending {
				s.recordingOnly(nil)
			}
		case !st.fromConnect:
			s.fail(err)
			return
		case ending:
			s.warn(fmt.Errorf("%w: %w", ErrStreamEnded, err))
		default:
			s.log.Warn("stream ended", "err", err)
			s.recordingOnly(fmt.Errorf("%w: %w", ErrStreamEnded, err))
		}
		if ending {
			return
		}
		st = nil
	}
}

// recordingOnly shows that the session records without streaming; its
// uptime is the session's again.
func (s *Session) recordingOnly(err error) {
	if s.stopRequested.Load() {
		return
	}
	s.liveSince.Store(s.started.UnixNano())
	s.setState(StateLive, err)
}

// streamHeader is the stream header, kept by sendLoop for every stream.
type streamHeader struct {
	info encode.StreamInfo
	ok   bool
}

// runStream connects st, sends the header and then every queued packet;
// when the connection is lost it reconnects, sends the header again and
// resumes on a keyframe. It returns nil when the stream ended cleanly or was
// aborted, and the error that ended it otherwise.
func (s *Session) runStream(st *streamRun, hdr *streamHeader) error {
	var (
		lastErr    error
		dialTook   time.Duration
		retries    = newBackoff(s.cfg.Reconnect)
		everLive   bool
		connectErr error // why the last attempt failed, while reconnecting
		failed     int   // reconnect attempts that failed since the loss
	)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			ok, giveUp := s.waitRetry(st.ctx, retries, lastErr, failed)
			if !ok {
				if giveUp != nil {
					return giveUp
				}
				if connectErr != nil && s.Err() == nil && !s.stopRequested.Load() && s.muxFinished() {
					s.warn(fmt.Errorf("the stream ended while reconnecting: %w", connectErr))
				}
				return nil
			}
		}
		begun := time.Now()
		pub, err := s.dial(st, attempt, dialTook)
		if err != nil {
			if s.stopRequested.Load() || st.ctx.Err() != nil {
				return nil
			}
			if !everLive || !retryable(err) {
				return err
			}
			lastErr, connectErr = err, err
			failed++
			s.log.Warn("reconnect failed", "attempt", failed, "err", err)
			continue
		}
		dialTook, connectErr, failed = time.Since(begun), nil, 0
		if !hdr.ok {
			if hdr.info, hdr.ok = s.waitHeader(st.ctx); !hdr.ok {
				s.closePublisher(pub)
				return nil
			}
		}
		s.startAdaptive()
		if attempt > 0 || st.fromConnect {
			// Resume on a keyframe: nothing queued before it can decode.
			s.q.resync()
			_ = s.cfg.Video.ForceKeyframe()
		}
		err = pub.WriteHeader(hdr.info)
		if err == nil {
			if !everLive && (st.fromConnect || s.liveSince.Load() == 0) {
				s.liveSince.Store(time.Now().UnixNano())
			}
			everLive = true
			if !s.stopRequested.Load() {
				s.setState(StateLive, nil)
			}
			connected := time.Now()
			err = s.stream(st, pub)
			if time.Since(connected) >= s.cfg.Reconnect.StableAfter {
				retries.reset()
			}
		} else {
			err = fmt.Errorf("sending stream header: %w", err)
		}
		s.closePublisher(pub)
		if err == nil || s.stopRequested.Load() || st.ctx.Err() != nil {
			return nil
		}
		if s.cfg.Reconnect.Disabled || !retryable(err) {
			return err
		}
		if s.muxFinished() && s.q.stats().len == 0 {
			return nil // lost after the last packet: nothing left to send
		}
		s.q.setOffline()
		s.reconnects.Add(1)
		lastErr = err
		s.setState(StateReconnecting, err)
	}
}

// dial makes one connection attempt. Reconnect attempts get a short
// deadline, so that a link that comes back is noticed promptly.
func (s *Session) dial(st *streamRun, attempt int, lastTook time.Duration) (Publisher, error) {
	if attempt == 0 {
		s.setState(StateConnecting, nil)
	}
	ctx, cancel := context.WithCancel(st.ctx)
	if attempt > 0 {
		ctx, cancel = context.WithTimeout(st.ctx, max(s.cfg.Reconnect.DialTimeout, 2*lastTook))
	}
	defer cancel()
	// Stop abandons a connection attempt at once.
	stopDial := context.AfterFunc(s.stopCtx, cancel)
	defer stopDial()
	pub, err := st.dial(ctx, s.onStatus)
	if err != nil && ctx.Err() == context.DeadlineExceeded && !errors.Is(err, ErrTimeout) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return pub, err
}

// waitRetry waits before a reconnect attempt; failed is the number of
// attempts that failed since the connection was lost. It returns false when
// the stream must not retry: it is stopping, capture has ended, or the
// server keeps refusing the stream (then with the error that ends the
// stream).
func (s *Session) waitRetry(ctx context.Context, b *backoff, lastErr error, failed int) (bool, error) {
	d, ok := b.delay(lastErr)
	if !ok {
		return false, fmt.Errorf("giving up after %d refusals in a row: %w", b.refusals-1, lastErr)
	}
	s.log.Info("reconnecting", "in", d, "after", lastErr)
	if failed > 0 && !s.stopRequested.Load() {
		s.emit(Event{Time: time.Now(), State: StateReconnecting, Err: lastErr, Attempt: failed, RetryIn: d})
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.retryNow:
	case <-s.stopCtx.Done():
		return false, nil
	case <-ctx.Done():
		return false, nil
	case <-s.muxDone:
		return false, nil
	}
	return true, nil
}

func (s *Session) muxFinished() bool {
	select {
	case <-s.muxDone:
		return true
	default:
		return false
	}
}

// stream sends queued packets until the queue ends (nil), the connection
// is lost (its error) or st ends (errAborted).
func (s *Session) stream(st *streamRun, pub Publisher) error {
	var watcher sync.WaitGroup
	defer watcher.Wait()
	streamCtx := st.ctx
	ctx, cancel := context.WithCancel(streamCtx)
	defer cancel()
	if r, ok := pub.(LinkReporter); ok {
		s.link.Store(&linkSource{r})
		defer s.link.Store(nil)
	}
	conn, watched := pub.(interface {
		Done() <-chan struct{}
		Err() error
	})
	if watched {
		// Notice a dead connection even while the queue is empty.
		watcher.Add(1)
		go func() {
			defer watcher.Done()
			select {
			case <-conn.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	for {
		p, ok := s.q.pop(ctx)
		if !ok {
			switch {
			case streamCtx.Err() != nil:
				return errAborted
			case ctx.Err() != nil && watched:
				if err := conn.Err(); err != nil {
					return fmt.Errorf("connection lost: %w", err)
				}
				return errors.New("connection lost")
			}
			return nil
		}
		if st.fromConnect && !s.rebase(st, p) {
			p.Release()
			continue
		}
		err := pub.WritePacket(p)
		n, kind := len(p.Data), p.Kind
		p.Release()
		if err != nil {
			return fmt.Errorf("sending to server: %w", err)
		}
		s.sent.count(kind, n)
	}
}

// rebase moves p to the timeline of a stream from Connect, which starts at
// zero with its first keyframe. It returns false for a packet to skip: one
// from before that keyframe. The packet's only reader left is the stream.
func (s *Session) rebase(st *streamRun, p *encode.Packet) bool {
	if !st.haveBase {
		if p.Kind != encode.Video || !p.Keyframe {
			return false
		}
		st.base, st.haveBase = p.DTS, true
	}
	if p.DTS < st.base {
		return false
	}
	p.PTS -= st.base
	p.DTS -= st.base
	return true
}

var errAborted = errors.New("publish: network aborted")

// linkSource wraps a LinkReporter for an atomic pointer.
type linkSource struct{ r LinkReporter }

// initBitrate records the user's target when the first frame shows it.
func (s *Session) initBitrate(kbps int) {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if s.userKbps.Load() != 0 {
		return
	}
	s.userKbps.Store(int64(kbps))
	s.targetKbps.Store(int64(kbps))
}

// startAdaptive turns adaptive bitrate on for a stream, unless the
// configuration turns it off.
func (s *Session) startAdaptive() {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if s.rc == nil && !s.cfg.Adaptive.Disabled && s.userKbps.Load() > 0 {
		s.rc = newRateController(s.cfg.Adaptive, int(s.userKbps.Load()))
	}
}

// stopAdaptive turns adaptive bitrate off when a stream ends, and gives the
// encoder the user's bitrate back for the recording that goes on.
func (s *Session) stopAdaptive() {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if s.rc == nil {
		return
	}
	s.rc = nil
	user := s.userKbps.Load()
	if s.targetKbps.Load() != user {
		if err := s.cfg.Video.SetBitrate(int(user)); err != nil {
			s.log.Warn("restoring the bitrate", "err", err)
			return
		}
		s.targetKbps.Store(user)
	}
}

// adapt runs adaptive bitrate once: it moves the encoder's target from
// what the queue and the link show.
func (s *Session) adapt(now time.Time) {
	if s.State() != StateLive {
		return
	}
	st := s.Stats()
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if s.rc == nil {
		return
	}
	// Delay queued along the path counts like delay in our queue: it shows
	// congestion before our queue grows.
	kbps, changed := s.rc.update(now, st.Queue+st.LinkDelay, st.DeliveryKbps, st.VideoKbps+st.AudioKbps, st.AudioKbps)
	if !changed {
		return
	}
	if err := s.cfg.Video.SetBitrate(kbps); err != nil {
		s.log.Warn("adaptive bitrate", "err", err)
		return
	}
	s.log.Info("adaptive bitrate", "kbps", kbps, "queue", st.Queue, "link_delay", st.LinkDelay, "estimate_kbps", st.EstimateKbps)
	s.targetKbps.Store(int64(kbps))
}

// waitHeader returns the stream header once the mux has it, or false when
// capture ended before the first video frame or the network gave up.
func (s *Session) waitHeader(ctx context.Context) (encode.StreamInfo, bool) {
	select {
	case info := <-s.header:
		return info, true
	case <-s.muxDone:
		select {
		case info := <-s.header: // sent just before the mux finished
			return info, true
		default:
			return encode.StreamInfo{}, false
		}
	case <-ctx.Done():
		return encode.StreamInfo{}, false
	}
}

func (s *Session) closePublisher(pub Publisher) {
	ctx, cancel := context.WithTimeout(s.network, 5*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil && s.Err() == nil {
		s.log.Warn("closing the connection", "err", err)
	}
}

// statsLoop samples the byte counters so that Stats can report rates over
// the last second.
func (s *Session) statsLoop() {
	defer s.loops.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.sent.tick(now)
			s.recorded.tick(now)
			s.adapt(now)
		case <-s.sendDone:
			return
		}
	}
}

func (s *Session) onStatus(st Status) {
	s.log.Info("server status", "code", st.Code, "level", st.Level, "description", st.Description)
	s.emit(Event{Time: time.Now(), State: s.State(), Status: &st})
}

// fail records the first error that ends the session and stops it.
func (s *Session) fail(err error) {
	s.errMu.Lock()
	first := s.err == nil
	if first {
		s.err = err
	}
	s.errMu.Unlock()
	if !first {
		return
	}
	s.setState(StateError, err)
	s.stopCapture()
	s.abortNetwork()
}

func (s *Session) warn(err error) {
	s.log.Warn(err.Error())
	s.emit(Event{Time: time.Now(), State: s.State(), Err: err})
}

func (s *Session) setState(st State, err error) {
	if old := State(s.state.Swap(int32(st))); old == st && err == nil {
		return
	}
	s.emit(Event{Time: time.Now(), State: st, Err: err})
}

func (s *Session) emit(ev Event) {
	if s.cfg.OnEvent == nil {
		return
	}
	s.eventMu.Lock()
	defer s.eventMu.Unlock()
	s.cfg.OnEvent(ev)
}
