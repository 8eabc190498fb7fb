package publish

import "fmt"

// State is where a session, or one of its destinations, is in its life.
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

// active reports whether a destination in state s still streams or tries
// to.
func (s State) active() bool {
	return s == StateConnecting || s == StateLive || s == StateReconnecting
}

// severity orders the states of active destinations from best to worst, so
// that a session shows the worst of them.
func (s State) severity() int {
	switch s {
	case StateLive:
		return 1
	case StateConnecting:
		return 2
	case StateReconnecting:
		return 3
	}
	return 0
}
