package screen

import (
	"sync"
	"time"

	"studio/capture"
)

// status is the Reporter state, safe for concurrent use.
type status struct {
	mu sync.Mutex
	s  capture.SourceStatus // guarded by mu
}

func (st *status) init(device string, now time.Duration) {
	st.mu.Lock()
	st.s = capture.SourceStatus{State: capture.SourceOK, Device: device, Since: now}
	st.mu.Unlock()
}

func (st *status) get() capture.SourceStatus {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

func (st *status) rename(device string) {
	st.mu.Lock()
	st.s.Device = device
	st.mu.Unlock()
}

func (st *status) skip(n uint64) {
	st.mu.Lock()
	st.s.Skipped += n
	st.mu.Unlock()
}

// lose records that the screen stopped delivering because of err; the
// first cause is kept.
func (st *status) lose(err error, now time.Duration) {
	st.mu.Lock()
	if st.s.State != capture.SourceLost {
		st.s.State, st.s.Err, st.s.Since = capture.SourceLost, err, now
	}
	st.mu.Unlock()
}
