package publish

import (
	"sync"
	"time"

	"studio/publish/health"
)

// encoderWork is implemented by video encoders that say how long they
// spend per frame.
type encoderWork interface {
	Work() (frames uint64, busy time.Duration)
}

// diagnosis runs the session's health.Diagnosis once a second on the stats
// goroutine, and keeps its last reports for Stats.
type diagnosis struct {
	d     *health.Diagnosis
	start time.Time

	mu    sync.Mutex
	last  health.Report
	dests map[string]health.Report
}

func newDiagnosis(start time.Time) *diagnosis {
	return &diagnosis{d: health.New(), start: start, last: health.OK}
}

// observe diagnoses one snapshot of the session.
func (g *diagnosis) observe(s *Session, st Stats) {
	smp := health.Sample{At: st.Time.Sub(g.start), Video: st.VideoSource, Audio: st.AudioSource}
	if w, ok := s.cfg.Video.(encoderWork); ok {
		smp.Encoded, smp.EncodeBusy = w.Work()
	}
	if info, ok := s.hdr.known(); ok {
		smp.FPS = info.Video.FPS
	}
	for _, d := range st.Destinations {
		smp.Destinations = append(smp.Destinations, health.Destination{
			Name: d.Name, State: linkState(d.State), Err: d.Err,
			UserKbps: st.UserKbps, TargetKbps: d.TargetKbps,
			EstimateKbps: d.EstimateKbps, AudioKbps: d.AudioKbps,
			Queue: d.Queue, Dropped: d.FramesDropped, Reconnects: d.Reconnects,
			LowRendition: d.LowRendition,
		})
	}
	r, per := g.d.Observe(smp)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = r
	g.dests = make(map[string]health.Report, len(per))
	for i, d := range st.Destinations {
		g.dests[d.Name] = per[i]
	}
}

// fill puts the last reports into st.
func (g *diagnosis) fill(st *Stats) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st.Health = g.last
	for i := range st.Destinations {
		if r, ok := g.dests[st.Destinations[i].Name]; ok {
			st.Destinations[i].Health = r
		} else {
			st.Destinations[i].Health = health.OK
		}
	}
}

func linkState(s State) health.LinkState {
	switch s {
	case StateConnecting, StateIdle:
		return health.Connecting
	case StateLive:
		return health.Live
	case StateReconnecting:
		return health.Reconnecting
	case StateError:
		return health.Failed
	}
	return health.Ended
}
