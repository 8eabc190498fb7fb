package tee

import (
	"context"
	"errors"
	"testing"

	"studio/capture"
)

// BenchmarkPrimaryRead measures the primary's Read (and Release) on an
// unpaced source whose own Read does not allocate: with no branch, with one
// branch that never reads (each frame replaces and releases the last), and
// with one branch read on another goroutine.
func BenchmarkPrimaryRead(b *testing.B) {
	run := func(b *testing.B, p capture.VideoSource) {
		ctx := context.Background()
		// Warm the frame pools.
		for range 16 {
			f, err := p.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			f.Release()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			f, err := p.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			f.Release()
		}
	}
	b.Run("direct", func(b *testing.B) {
		fake := newFake(nil)
		defer fake.Close()
		run(b, fake)
	})
	b.Run("no-branch", func(b *testing.B) {
		tee := Video(newFake(nil))
		defer tee.Primary().Close()
		run(b, tee.Primary())
	})
	b.Run("idle-branch", func(b *testing.B) {
		tee := Video(newFake(nil))
		defer tee.Primary().Close()
		if _, err := tee.Branch(); err != nil {
			b.Fatal(err)
		}
		run(b, tee.Primary())
	})
	b.Run("reading-branch", func(b *testing.B) {
		tee := Video(newFake(nil))
		br, err := tee.Branch()
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				f, err := br.Read(context.Background())
				if err != nil {
					if !errors.Is(err, capture.ErrClosed) {
						b.Error(err)
					}
					return
				}
				f.Release()
			}
		}()
		run(b, tee.Primary())
		tee.Primary().Close()
		<-done
	})
}

// With a branch attached, the primary's Read and Release do not allocate in
// steady state.
func TestPrimaryReadDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	fake := newFake(nil)
	tee := Video(fake)
	p := tee.Primary()
	defer p.Close()
	b := mustBranch(t, tee)
	ctx := context.Background()
	step := func() {
		f, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
		if g, err := b.Read(ctx); err == nil {
			g.Release()
		}
		f, err = p.Read(ctx) // this one the branch skips
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	step()
	if a := testing.AllocsPerRun(1000, step); a > 0.1 {
		t.Errorf("%.2f allocations per step; want 0", a)
	}
}
