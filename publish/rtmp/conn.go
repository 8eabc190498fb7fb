package rtmp

// The Stream: its state, Publish, and how it fails (fail, Err, Done).

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"studio/encode"
	"studio/publish/rtmp/chunk"
	"studio/publish/rtmp/wire"
)

// Chunk stream IDs, as FFmpeg uses them.
const (
	csidControl = 2 // protocol control and user control messages
	csidCommand = 3 // NetConnection commands
	csidAudio   = 4
	csidVideo   = 6
	csidStream  = 8 // NetStream commands and data (publish, @setDataFrame)
)

// maxIncomingMessage caps what the server may send us in one message: a
// publisher only receives small control and command messages.
const maxIncomingMessage = 1 << 20

// Stream is a published RTMP stream: one NetConnection with one NetStream.
// It satisfies publish.Publisher (WriteHeader, WritePacket, Close) and
// wire.LinkReporter.
//
// Goroutines: Publish starts one reader goroutine, owned by the Stream,
// that handles everything the server sends (acknowledgements, pings, chunk
// size changes, status events) until the connection closes; Close waits for
// it. WriteHeader, WritePacket and Close may be called from any goroutine;
// writes are serialized. Err, Done and Stats are safe at any time.
type Stream struct {
	url  URL
	opts Options
	log  *slog.Logger
	nc   net.Conn
	tcp  *net.TCPConn  // the connection under nc (and TLS); nil if not TCP
	cr   *chunk.Reader // owned by the reader goroutine once it starts

	// wsem is the write lock (a one-slot semaphore, so that Close can give
	// up waiting for it). It guards everything down to the blank line.
	wsem       chan struct{}
	cw         *chunk.Writer
	armedAt    time.Time // when the write deadline was last pushed forward
	overSince  time.Time // when unacknowledged bytes last went over the limit (zero: under it)
	overEpoch  uint64    // the ackCount overSince belongs to
	scratch    []byte    // command and control bodies
	media      [16]byte  // FLV audio/video tag headers
	headerSent bool
	codec      encode.VideoCodec // of the stream, from WriteHeader

	streamID uint32 // set during setup, then read-only
	// The video FourCCs that the server's connect answer declares, if it
	// declares any; set during setup, then read-only.
	serverCodecs   []string
	serverDeclares bool
	serverVersion  string // the fmsVer of the connect answer
	nextTxn        float64
	readerStarted  bool

	mu         sync.Mutex
	pending    map[float64]*call // transactions awaiting _result/_error
	statusWait chan wire.Status  // set while waiting for NetStream.Publish.Start
	err        error             // first fatal error; guarded by mu
	published  bool              // NetStream.Publish.Start seen (set by the reader goroutine)

	done       chan struct{} // closed by fail
	readerDone chan struct{} // closed when the reader goroutine exits
	closing    atomic.Bool
	onStatusG  atomic.Uint64 // the goroutine running OnStatus (see goid); 0: none
	closeOnce  sync.Once
	closeErr   error

	// Reader goroutine state.
	ackWindow uint32 // from the server's Window Acknowledgement Size
	lastAckAt uint64 // BytesRead when we last sent an Acknowledgement

	sentWindow atomic.Uint32 // the Window Acknowledgement Size we last announced

	// The server's acknowledgements, written by the reader goroutine.
	// ackCount counts those that moved the sequence number; ackAtSent is
	// BytesWritten and ackAtNano the time (UnixNano) when the last of
	// them arrived.
	acked     atomic.Uint32 // last Acknowledgement sequence number received
	ackCount  atomic.Uint64
	ackAtSent atomic.Uint64
	ackAtNano atomic.Int64
}

// Publish connects to rawURL, performs the handshake, connect,
// releaseStream, FCPublish, createStream and publish(key, "live"), and
// returns once the server has answered NetStream.Publish.Start.
//
// Errors wrap wire.ErrBadURL, ErrConnect, ErrTLS, ErrTimeout (naming the
// step that timed out), ErrProtocol, or ErrRejected through a
// *wire.StatusError whose Status is the server's code and description.
// Cancelling ctx aborts the setup; ctx does not bound the returned Stream.
func Publish(ctx context.Context, rawURL string, opts Options) (*Stream, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return PublishURL(ctx, u, opts)
}

// PublishURL is Publish to a parsed URL, for example one that
// URL.WithTCURL moved where a server's reconnect request points.
func PublishURL(ctx context.Context, u URL, opts Options) (*Stream, error) {
	if u.Scheme == "" {
		return nil, badURL("no URL")
	}
	opts = opts.withDefaults()
	s := &Stream{
		url:        u,
		opts:       opts,
		log:        opts.Logger.With("url", u.Redacted()),
		wsem:       make(chan struct{}, 1),
		pending:    make(map[float64]*call),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		nextTxn:    1,
	}
	if err := s.connect(ctx); err != nil {
		if s.nc != nil {
			s.fail(err)
			s.nc.Close()
		}
		if s.readerStarted {
			<-s.readerDone
		}
		return nil, err
	}
	return s, nil
}

// fail records err as the reason the connection is dead (the first one
// wins), closes the socket and Done.
func (s *Stream) fail(err error) {
	s.mu.Lock()
	first := s.err == nil
	if first {
		s.err = err
	}
	s.mu.Unlock()
	if first {
		close(s.done)
		if s.nc != nil {
			s.nc.Close()
		}
	}
}

// Err returns nil while the connection is usable, then why it is not: the
// first error (a read or write failure, a fatal status) or wire.ErrClosed
// after Close.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Done is closed when the connection dies or is closed; Err then says why.
func (s *Stream) Done() <-chan struct{} { return s.done }

// afterFunc is context.AfterFunc, except that stop also waits for f when f
// has already started, so that f's goroutine never outlives the caller.
// stop may be called more than once.
func afterFunc(ctx context.Context, f func()) (stop func() bool) {
	done := make(chan struct{})
	stopf := context.AfterFunc(ctx, func() {
		defer close(done)
		f()
	})
	return func() bool {
		if stopf() {
			close(done) // f will never run
			return true
		}
		<-done
		return false
	}
}
