// Package freelist keeps released buffers for reuse, so that a steady
// stream of frames or packets allocates nothing once warmed up.
package freelist

import "sync"

// List holds values that were handed back. The zero value is ready to
// use, and it is safe for concurrent use.
type List[T any] struct {
	mu   sync.Mutex
	free []*T // guarded by mu
}

// Get returns a value handed back earlier, or nil when there is none.
func (l *List[T]) Get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.free)
	if n == 0 {
		return nil
	}
	v := l.free[n-1]
	l.free[n-1] = nil
	l.free = l.free[:n-1]
	return v
}

// Put hands v back for a later Get.
func (l *List[T]) Put(v *T) {
	l.mu.Lock()
	l.free = append(l.free, v)
	l.mu.Unlock()
}
