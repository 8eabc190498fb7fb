package health

import (
	"time"
)

// Settle is how many samples in a row a better state must show before a
// report improves.
const Settle = 3

// WarmUp is how long after the start the encoder and the camera are left
// unjudged: an encoder's first frames and a camera's start are slow.
const WarmUp = 3 * time.Second

// window is how many samples the rates of the encoder and the camera are
// taken over.
const window = 3

// Diagnosis turns Samples into Reports. It is not safe for concurrent use.
type Diagnosis struct {
	started bool
	prev    Sample
	recent  []delta // the last window samples' changes, oldest first
	session holder
	dests   map[string]*destMemory
	drifted int // samples in a row with the microphone's drift out of bounds
}

// delta is what changed between two samples.
type delta struct {
	dt      time.Duration
	encoded uint64
	busy    time.Duration
	skipped uint64
}

// New returns a Diagnosis that has seen nothing yet.
func New() *Diagnosis {
	return &Diagnosis{session: holder{cur: OK}, dests: map[string]*destMemory{}}
}

// Observe reads the next sample and returns the session's report and one
// per destination, in the order of s.Destinations.
func (d *Diagnosis) Observe(s Sample) (Report, []Report) {
	if d.started {
		d.recent = append(d.recent, delta{
			dt:      s.At - d.prev.At,
			encoded: s.Encoded - min(s.Encoded, d.prev.Encoded),
			busy:    s.EncodeBusy - min(s.EncodeBusy, d.prev.EncodeBusy),
			skipped: s.Video.Skipped - min(s.Video.Skipped, d.prev.Video.Skipped),
		})
		if len(d.recent) > window {
			d.recent = d.recent[1:]
		}
	}
	d.started, d.prev = true, s

	var findings []finding
	perDest := make([]Report, len(s.Destinations))
	for i, dst := range s.Destinations {
		m := d.dests[dst.Name]
		if m == nil {
			m = &destMemory{hold: holder{cur: OK}, reconnects: dst.Reconnects, dropped: dst.Dropped, liveSince: -1}
			d.dests[dst.Name] = m
		}
		f := m.judge(dst, s.At)
		perDest[i] = m.hold.next(f.Report)
		if len(s.Destinations) > 1 && f.Status != Good {
			f.Message = dst.Name + ": " + f.Message
		}
		findings = append(findings, f)
	}
	enc, load := d.encoder(s)
	findings = append(findings, enc, d.capture(s, load), d.audio(s))
	return d.session.next(worst(findings)), perDest
}

// finding is one check's verdict, with its place among causes of the same
// status: the lower, the likelier the cause of the others.
type finding struct {
	Report
	order int
}

// Causes of the same status are reported in this order, the likelier
// root cause first: a server that drops the connection makes the queue
// drop video, and an encoder that cannot keep up delivers frames late,
// which fills the send queue as a slow link would; neither is the other
// way round.
const (
	orderServer = iota
	orderEncoder
	orderCapture
	orderNetwork
	orderAudio
)

func worst(fs []finding) Report {
	best := finding{Report: OK, order: 99}
	for _, f := range fs {
		if f.Report.worse(best.Report) || f.Status == best.Status && f.Status != Good && f.order < best.order {
			best = f
		}
	}
	return best.Report
}

// holder keeps a report from improving before the better state settles.
type holder struct {
	cur    Report
	better int
}

func (h *holder) next(r Report) Report {
	if r.Status.rank() < h.cur.Status.rank() {
		if h.better++; h.better < Settle {
			return h.cur
		}
	}
	h.cur, h.better = r, 0
	return r
}

// sums adds up the recent deltas.
func (d *Diagnosis) sums() (dt time.Duration, encoded uint64, busy time.Duration, skipped uint64) {
	for _, x := range d.recent {
		dt += x.dt
		encoded += x.encoded
		busy += x.busy
		skipped += x.skipped
	}
	return
}
