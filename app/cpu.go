package app

import (
	"sync"
	"syscall"
	"time"
)

// CPUMeter measures the process's CPU use (user + system, all threads)
// between two samples, in percent of one core. The zero value is ready;
// it is safe for concurrent use.
type CPUMeter struct {
	mu   sync.Mutex
	at   time.Time     // guarded by mu
	used time.Duration // guarded by mu
}

// Sample returns the CPU use since the previous sample (0 the first time).
func (m *CPUMeter) Sample() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var pct float64
	if !m.at.IsZero() {
		if wall := now.Sub(m.at); wall > 0 {
			pct = 100 * float64(used-m.used) / float64(wall)
		}
	}
	m.at, m.used = now, used
	return pct
}
