package health

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"syscall"
	"time"

	"studio/capture"
	"studio/publish/rtmp/wire"
)

// Thresholds, chosen so that a viewer would notice before the report says
// bad, and a clean stream never leaves good.
const (
	queueWarning = 250 * time.Millisecond // the send queue is building up
	queueBad     = 700 * time.Millisecond // OBS drops frames at about this delay
	loweredBelow = 0.9                    // the link asks for less than this share of the user's bitrate
	dropMemory   = 5                      // drops stay reported for this many samples
	dropQuiet    = WarmUp                 // the queue and drops this soon after going live are the (re)connection's
	driftSamples = 5                      // samples in a row the drift must be out of bounds
	lossMemory   = 15 * time.Second       // a lost connection stays reported this long after it came back
	encodeBad    = 1.0                    // share of the frame interval spent encoding a frame
	encodeWarn   = 0.85
	skipBad      = 0.5 // share of the frames asked for that the camera did not deliver
	skipWarn     = 0.1
	maxDriftPPM  = 5500 // the 0.5% the microphone's resampling corrects, and a margin for the estimate's noise
)

// destMemory is what the diagnosis remembers of one destination.
type destMemory struct {
	hold       holder
	reconnects int
	dropped    uint64
	drops      []uint64 // frames dropped in each of the last samples
	lostAt     time.Duration
	lostErr    error
	everLost   bool
	liveSince  time.Duration // -1 while not live
}

func (m *destMemory) judge(d Destination, at time.Duration) finding {
	if d.Reconnects > m.reconnects {
		m.lostAt, m.lostErr, m.everLost = at, d.Err, true
		m.liveSince = -1
	}
	m.reconnects = d.Reconnects
	switch {
	case d.State != Live:
		m.liveSince = -1
	case m.liveSince < 0:
		m.liveSince = at
	}
	// Video dropped while connecting, reconnecting, or just after (the
	// queue resumes on a keyframe) is the connection's loss, told apart.
	fresh := d.Dropped - min(d.Dropped, m.dropped)
	if m.liveSince < 0 || at-m.liveSince < dropQuiet {
		fresh = 0
	}
	m.drops = append(m.drops, fresh)
	if len(m.drops) > dropMemory {
		m.drops = m.drops[1:]
	}
	m.dropped = d.Dropped

	switch d.State {
	case Reconnecting:
		cause, why := classify(d.Err)
		if cause == Server {
			return finding{Report{Bad, Server, fmt.Sprintf("The server %s: studio is reconnecting. If it keeps happening, %s.", why, serverAdvice(d.Err))}, orderServer}
		}
		return finding{Report{Bad, Network, fmt.Sprintf("The connection %s: studio is reconnecting; check the network (a wired connection is more reliable than Wi-Fi).", why)}, orderNetwork}
	case Failed:
		cause, why := classify(d.Err)
		if cause == Server {
			return finding{Report{Bad, Server, fmt.Sprintf("The server %s: check the URL and the stream key.", why)}, orderServer}
		}
		return finding{Report{Bad, Network, fmt.Sprintf("The connection %s: check the network and the URL.", why)}, orderNetwork}
	case Live:
	default:
		return finding{Report: OK, order: orderNetwork}
	}

	// Just (re)connected, the first keyframe is on its way, and the
	// encoder is not judged yet either: the queue is not the link's yet.
	settled := at-m.liveSince >= dropQuiet
	var dropped uint64
	for _, n := range m.drops {
		dropped += n
	}
	carries := int(math.Round(d.EstimateKbps))
	advice := fmt.Sprintf("use a wired connection or set %d kbps", suggest(d))
	switch {
	case settled && dropped > 0:
		return finding{Report{Bad, Network, fmt.Sprintf("%d video frames were dropped in the last %d s: the link carries ~%d kbps, less than the stream needs; %s.", dropped, len(m.drops), carries, advice)}, orderNetwork}
	case settled && d.Queue >= queueBad:
		return finding{Report{Bad, Network, fmt.Sprintf("Video waits %.1f s to be sent: the link carries ~%d kbps, less than the stream needs; %s.", d.Queue.Seconds(), carries, advice)}, orderNetwork}
	case d.UserKbps > 0 && float64(d.TargetKbps) < loweredBelow*float64(d.UserKbps):
		how := fmt.Sprintf("studio lowered the bitrate to %d kbps", d.TargetKbps)
		if d.LowRendition {
			how += " (a second, lighter encode)"
		}
		return finding{Report{Warning, Network, fmt.Sprintf("The link carries ~%d kbps, less than the %d kbps target: %s; %s.", carries, d.UserKbps, how, advice)}, orderNetwork}
	case settled && d.Queue >= queueWarning:
		return finding{Report{Warning, Network, fmt.Sprintf("Video waits %d ms to be sent: the link is at its limit (~%d kbps); %s.", d.Queue.Milliseconds(), carries, advice)}, orderNetwork}
	case m.everLost && at-m.lostAt < lossMemory:
		ago := max(1, int((at - m.lostAt).Seconds()))
		cause, why := classify(m.lostErr)
		if cause == Server {
			return finding{Report{Warning, Server, fmt.Sprintf("The server %s %d s ago; studio reconnected. If it happens again, %s.", why, ago, serverAdvice(m.lostErr))}, orderServer}
		}
		return finding{Report{Warning, Network, fmt.Sprintf("The connection %s %d s ago; studio reconnected. Check the network if it happens again.", why, ago)}, orderNetwork}
	}
	return finding{Report: OK, order: orderNetwork}
}

// suggest is a video bitrate the destination's link carries with
// headroom: 80% of what it delivers, less the audio, in steps of 100 kbps.
func suggest(d Destination) int {
	kbps := 0.8*d.EstimateKbps - d.AudioKbps
	return max(200, int(kbps/100)*100)
}

// classify tells a server's doing from the network's, and says what
// happened, to follow "The server" or "The connection".
func classify(err error) (Cause, string) {
	if err == nil {
		return Network, "was lost"
	}
	var se *wire.StatusError
	switch {
	case errors.As(err, &se):
		return Server, "answered " + se.Status.Code
	case errors.Is(err, wire.ErrNotAcknowledged):
		return Server, "stopped acknowledging what was sent"
	case errors.Is(err, wire.ErrRejected):
		return Server, "refused the stream"
	case errors.Is(err, wire.ErrProtocol):
		return Server, "sent something that is not RTMP"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return Server, "closed the connection"
	case errors.Is(err, syscall.ECONNREFUSED):
		return Server, "refused the connection (is the address right?)"
	case errors.Is(err, wire.ErrTimeout), errors.Is(err, syscall.ETIMEDOUT):
		return Network, "timed out"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Network, "cannot reach the server"
	}
	return Network, "failed"
}

// serverAdvice is what to check when the server ended a connection with
// err, one that classify puts down to the server.
func serverAdvice(err error) string {
	var se *wire.StatusError
	switch {
	case errors.As(err, &se), errors.Is(err, wire.ErrRejected):
		return "check that no other encoder streams with this key, and the service's status page"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the server is down or the address is wrong: check the URL and the service's status page"
	case errors.Is(err, wire.ErrProtocol):
		return "check that the URL is the service's RTMP ingest"
	}
	return "the server may be restarting, or another encoder took over this key: check the service's status page and that no other encoder streams with it"
}

// encoder judges whether encoding keeps real time, and returns the share
// of the frame interval it takes (0 when unknown).
func (d *Diagnosis) encoder(s Sample) (finding, float64) {
	dt, encoded, busy, _ := d.sums()
	if s.At < WarmUp || s.FPS <= 0 || encoded == 0 || dt <= 0 {
		return finding{Report: OK, order: orderEncoder}, 0
	}
	perFrame := busy / time.Duration(encoded)
	interval := time.Second / time.Duration(s.FPS)
	load := float64(perFrame) / float64(interval)
	advice := "choose a faster preset, a smaller size or a lower frame rate"
	switch {
	case load >= encodeBad:
		return finding{Report{Bad, Encoder, fmt.Sprintf("Encoding takes %d ms per frame, more than the %d ms a frame lasts at %d fps: frames are skipped; %s.", perFrame.Milliseconds(), interval.Milliseconds(), s.FPS, advice)}, orderEncoder}, load
	case load >= encodeWarn:
		return finding{Report{Warning, Encoder, fmt.Sprintf("Encoding takes %d ms per frame, close to the %d ms a frame lasts at %d fps: this machine is near its limit; %s.", perFrame.Milliseconds(), interval.Milliseconds(), s.FPS, advice)}, orderEncoder}, load
	}
	return finding{Report: OK, order: orderEncoder}, load
}

// capture judges the video source. Frames skipped while the encoder is
// near its limit are the encoder's doing, and not counted here.
func (d *Diagnosis) capture(s Sample, load float64) finding {
	name := deviceName(s.Video, "the camera")
	if s.Video.State == capture.SourceLost {
		return finding{Report{Bad, Capture, fmt.Sprintf("%s stopped delivering (%s): viewers see the slate. Check its cable, or close other apps that use it; studio takes it back when it returns.", capitalize(name), errText(s.Video.Err))}, orderCapture}
	}
	dt, _, _, skipped := d.sums()
	if s.At < WarmUp || s.FPS <= 0 || dt <= 0 || load >= encodeWarn {
		return finding{Report: OK, order: orderCapture}
	}
	asked := dt.Seconds() * float64(s.FPS)
	share := float64(skipped) / asked
	got := (asked - float64(skipped)) / dt.Seconds()
	advice := "check its light (cameras slow down in the dark) and its USB port, or ask for a lower frame rate"
	switch {
	case share >= skipBad:
		return finding{Report{Bad, Capture, fmt.Sprintf("%s delivers ~%.0f fps of the %d fps asked; %s.", capitalize(name), got, s.FPS, advice)}, orderCapture}
	case share >= skipWarn:
		return finding{Report{Warning, Capture, fmt.Sprintf("%s delivers ~%.0f fps of the %d fps asked; %s.", capitalize(name), got, s.FPS, advice)}, orderCapture}
	}
	return finding{Report: OK, order: orderCapture}
}

// audio judges the microphone. The drift must stay out of bounds for a
// few samples: a microphone that stops delivering upsets the estimate
// for a moment before it is declared lost.
func (d *Diagnosis) audio(s Sample) finding {
	name := deviceName(s.Audio, "the microphone")
	if s.Audio.State == capture.SourceLost {
		return finding{Report{Bad, Audio, fmt.Sprintf("%s is lost (%s): viewers hear silence. Check that it is plugged in and not taken by another app; studio takes it back when it returns.", capitalize(name), errText(s.Audio.Err))}, orderAudio}
	}
	if math.Abs(s.Audio.DriftPPM) > maxDriftPPM {
		d.drifted++
	} else {
		d.drifted = 0
	}
	if ppm := s.Audio.DriftPPM; d.drifted >= driftSamples {
		way := "fast"
		if ppm < 0 {
			way = "slow"
		}
		return finding{Report{Warning, Audio, fmt.Sprintf("%s's clock runs %.1f%% %s, more than the 0.5%% studio corrects: the sound will drift from the picture; use another microphone or set its rate to 48 kHz in the system.", capitalize(name), math.Abs(ppm)/1e4, way)}, orderAudio}
	}
	return finding{Report: OK, order: orderAudio}
}

func deviceName(st capture.SourceStatus, fallback string) string {
	if st.Device == "" {
		return fallback
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(fallback, "the "), st.Device)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func errText(err error) string {
	if err == nil {
		return "no data"
	}
	return err.Error()
}
