package tee

import (
	"errors"
	"sync"
	"testing"

	"studio/capture"
)

// Readers, branches opening and closing, and the primary's Close all run at
// once (run with -race): every branch sees increasing Seq, each counts every
// frame offered to it once, and every buffer goes back to the source once.
func TestConcurrentReadersAndCloses(t *testing.T) {
	fake := newFake(nil)
	tee := Video(fake)
	p := tee.Primary()
	ctx := deadline(t)

	var wg sync.WaitGroup
	// Branches that read until the tee closes, each held for a while.
	for w := range 3 {
		wg.Go(func() {
			for round := 0; ; round++ {
				b, err := tee.Branch()
				if err != nil {
					if !errors.Is(err, capture.ErrClosed) {
						t.Errorf("Branch: %v", err)
					}
					return
				}
				var last uint64
				var held *capture.VideoFrame
				for i := 0; i < 50+10*w; i++ {
					f, err := b.Read(ctx)
					if err != nil {
						if !errors.Is(err, capture.ErrClosed) {
							t.Errorf("branch read: %v", err)
						}
						break
					}
					if i > 0 && f.Seq <= last {
						t.Errorf("branch got seq %d after %d", f.Seq, last)
					}
					last = f.Seq
					// Keep every other frame across the next Read.
					held.Release()
					held = nil
					if i%2 == 0 {
						held = f
					} else {
						f.Release()
					}
				}
				held.Release()
				// Close on odd rounds; on even ones leave it to the tee.
				if round%2 == 1 {
					b.Close()
				}
			}
		})
	}
	// A branch that never reads, opened and closed over and over.
	wg.Go(func() {
		for {
			b, err := tee.Branch()
			if err != nil {
				return
			}
			b.Close()
		}
	})

	const n = 3000
	var kept []*capture.VideoFrame
	for i := range n {
		f, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != uint64(i) {
			t.Fatalf("primary frame %d has seq %d", i, f.Seq)
		}
		kept = append(kept, f)
		if len(kept) == 3 {
			for _, k := range kept {
				k.Release()
			}
			kept = kept[:0]
		}
	}
	for _, k := range kept {
		k.Release()
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	fake.checkAllReleased(t)
}

// A branch read concurrently with the primary accounts for every frame
// offered to it: each is delivered or skipped, except the one it may still
// hold unread when it closes.
func TestBranchAccounting(t *testing.T) {
	fake := newFake(nil)
	tee := Video(fake)
	p := tee.Primary()
	b := mustBranch(t, tee)
	ctx := deadline(t)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := b.Read(ctx)
			if err != nil {
				if !errors.Is(err, capture.ErrClosed) {
					t.Errorf("branch read: %v", err)
				}
				return
			}
			f.Release()
		}
	}()
	const n = 2000
	for range n {
		f, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	b.Close()
	<-done
	s, _ := StatsOf(b)
	if got := s.Delivered + s.Skipped; got != n && got != n-1 {
		t.Errorf("delivered %d + skipped %d = %d; want %d, or %d with one held at Close", s.Delivered, s.Skipped, got, n, n-1)
	}
	t.Logf("concurrent branch: %+v of %d", s, n)
	p.Close()
	fake.checkAllReleased(t)
}
