package app

import (
	"fmt"
	"time"

	"studio/publish"
	"studio/publish/health"
)

// HealthLine is the line that tells a change of health from prev to cur,
// or "" when neither the status nor the cause changed. Lines are not
// redacted: pass them through a Redactor.
func HealthLine(prev, cur health.Report) string {
	if prev.Status == cur.Status && prev.Cause == cur.Cause {
		return ""
	}
	if cur.Status == health.Good {
		return "health: good again"
	}
	return fmt.Sprintf("health: %s (%s): %s", cur.Status, cur.Cause, cur.Message)
}

// FollowHealth reads s's health once a second until done closes, and
// calls say with a line (see HealthLine) each time it changes. It returns
// when done closes.
func FollowHealth(s interface{ Stats() publish.Stats }, done <-chan struct{}, say func(string)) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prev := health.OK
	for {
		select {
		case <-t.C:
			cur := s.Stats().Health
			if cur.Status == "" {
				continue // not diagnosed yet
			}
			if l := HealthLine(prev, cur); l != "" {
				say(l)
			}
			prev = cur
		case <-done:
			return
		}
	}
}
