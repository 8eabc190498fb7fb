package publish

import (
	"context"
	"log/slog"
	"time"

	"studio/capture"
	"studio/encode"
)

// DialFunc opens a connection to the destination and starts publishing.
// It reports every server status event through onStatus and returns once
// the server accepted the stream.
type DialFunc func(ctx context.Context, onStatus func(Status)) (Publisher, error)

// RedialFunc is a DialFunc that can also honour a server's reconnect
// request (Enhanced RTMP NetConnection.Connect.ReconnectRequest). It
// connects to tcURL: "" for the destination's own URL, otherwise a tcUrl
// (scheme://host[:port]/app) that replaces the URL's scheme, host and
// application and keeps its stream key. It reports every status event
// through onStatus, and the server's request to reconnect through
// onRequest, with the tcUrl the request names ("" for the same one);
// onRequest runs on the connection's own goroutine and returns at once.
// A connection made by a RedialFunc declares to the server that it
// honours the request (capsEx).
type RedialFunc func(ctx context.Context, tcURL string, onStatus func(Status), onRequest func(tcURL string)) (Publisher, error)

// Destination is one place a session streams to.
type Destination struct {
	// Name tells the destination apart in events and stats. It must not
	// hold secrets: use the URL with its stream key redacted.
	Name string
	Dial DialFunc
	// Redial, when set, is used rather than Dial, and the destination
	// honours the server's reconnect request: while the old connection
	// streams on, it connects again (to the tcUrl the request names, or
	// to the same URL), asks the encoder for a keyframe and switches to
	// the new connection on it, then closes the old one. The new
	// connection carries on the destination's timeline (as after a
	// reconnect), so that viewers see no gap and no timestamp twice. If
	// the new connection fails, the old one goes on, with a warning
	// (DestinationStats.ReconnectRequestsFailed). Later reconnects go
	// where the last switch went. The server's request is not an Event
	// of its own: each switch is told by one Event whose Status has Code
	// CodeReconnectRequest and a Description that says where it switched
	// to ("server asked to reconnect; switched to rtmp://host/app/****
	// on a keyframe"), each failure by a warning Event.
	Redial RedialFunc
	// StartKbps, when positive, is the video bitrate to start at on this
	// destination: what its link is known to carry, for example from a
	// link test just before. The stream's first keyframe is then made at
	// it (when every destination of Start gives one), and adaptive
	// bitrate goes on from there rather than from the user's target. 0:
	// start at the user's target and learn the link from the first
	// packets.
	StartKbps int
}

// MaxDestinations is how many destinations a session streams to at once.
const MaxDestinations = 4

// Config describes one Go Live.
type Config struct {
	// Video and Audio are the encoders. The session owns them from Start
	// on and closes them when it ends.
	Video encode.VideoEncoder
	Audio encode.AudioEncoder
	// Dial connects to the live destination; nil streams nowhere (for a
	// recording on its own). It is the same as a first Destinations entry
	// named "stream".
	Dial DialFunc
	// Destinations are streamed to at once, each on its own connection,
	// queue, reconnects and stats (at most MaxDestinations with Dial).
	Destinations []Destination
	// Record, when set, receives every packet, whatever happens to the
	// connections, on a goroutine of its own: a slow or failing disk never
	// holds up a stream. The session owns it from Start on and closes it.
	Record Publisher
	// Duration, when positive, ends the session cleanly once this much
	// media has been captured.
	Duration time.Duration
	// QueueLimit is the media time a destination's send queue may hold
	// before video is dropped up to the next keyframe. Default 700 ms.
	QueueLimit time.Duration
	// RecordQueueLimit is the media time the recording may fall behind
	// before its video is dropped up to the next keyframe. Default 3 s.
	RecordQueueLimit time.Duration
	// Reconnect says how a lost connection is retried. A failure to
	// connect at the start is never retried: it ends the destination, and
	// the session when no other destination streams, so that a wrong URL
	// or key is reported at once.
	Reconnect ReconnectPolicy
	// Adaptive configures adaptive bitrate, which is on by default.
	Adaptive AdaptivePolicy
	// Rendition, when set, opens a second video encoder at kbps on the
	// same capture, with the same size, frame rate and settings as Video
	// (so the same sequence headers). A destination whose link carries
	// well under what the others take then streams from it, at the rate
	// its own link carries, while the others keep the full bitrate. It is
	// opened when a destination first needs it and closed when none does.
	Rendition func(kbps int) (encode.VideoEncoder, error)
	// OnEvent, when set, is called on every state change, status event
	// and warning. It is called one call at a time, in the order things
	// happened, and must not block. It may read the session (State, Stats)
	// and call its methods that do not wait (AddDestination, SetBitrate,
	// ReconnectNow …), but not Stop, Disconnect or StopRecording. It is
	// called on the goroutine that made the change: one of the session's,
	// or the caller of Stop, Connect, AddDestination and the like, so a
	// caller that holds a lock OnEvent takes must not call those.
	OnEvent func(Event)
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Clock is the session's time (see Clock); nil is the system clock.
	Clock Clock
	// CaptureZero, when set, is the time on Clock at which packets' PTS
	// is zero (capture.Clock.Start for the system clock), so that the
	// glass-to-server estimate includes the encoder's whole delay. When
	// zero it is taken from the packets, which leaves out the least delay
	// the encoder ever had.
	CaptureZero time.Time
	// VideoSource and AudioSource, when set, say how the capture devices
	// behind the encoders are; Stats carries what they say.
	VideoSource, AudioSource capture.Reporter
}

// DefaultQueueLimit is the media time the send queue holds before it drops
// video, as OBS does.
const DefaultQueueLimit = 700 * time.Millisecond

// DefaultRecordQueueLimit is the media time a recording may fall behind
// before it drops video.
const DefaultRecordQueueLimit = 3 * time.Second

// Event is something that happened to a session or to one destination.
type Event struct {
	Time time.Time
	// State is the session's state after the event.
	State State
	// Destination names the destination the event is about; empty for the
	// session as a whole and for the recording. DestinationState is that
	// destination's state after the event.
	Destination      string
	DestinationState State
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
