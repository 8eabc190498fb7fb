package rtmp

import "testing"

func TestGoid(t *testing.T) {
	here := goid()
	if here == 0 {
		t.Fatal("goid() = 0: the stack trace header is not readable")
	}
	if again := goid(); again != here {
		t.Fatalf("goid() = %d, then %d on the same goroutine", here, again)
	}
	other := make(chan uint64)
	go func() { other <- goid() }()
	if g := <-other; g == 0 || g == here {
		t.Fatalf("goid() on another goroutine = %d, on this one %d", g, here)
	}
}
