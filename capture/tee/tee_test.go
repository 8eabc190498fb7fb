package tee

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"studio/capture"
	"studio/capture/synth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustBranch(t *testing.T, tee *VideoTee) capture.VideoSource {
	t.Helper()
	b, err := tee.Branch()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A branch read as fast as the primary gets every frame, in order, with the
// same image, PTS and Seq.
func TestFastBranchGetsEveryFrame(t *testing.T) {
	src, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: 64, Height: 36, FPS: 30}, synth.Unpaced())
	if err != nil {
		t.Fatal(err)
	}
	tee := Video(src)
	p := tee.Primary()
	defer p.Close()
	b := mustBranch(t, tee)
	if b.Props() != src.Props() || p.Props() != src.Props() {
		t.Errorf("props %v, %v; source has %v", p.Props(), b.Props(), src.Props())
	}
	ctx := deadline(t)

	type seen struct {
		f   *capture.VideoFrame
		err error
	}
	got := make(chan seen)
	next := make(chan struct{})
	go func() {
		defer close(got)
		for range next {
			f, err := b.Read(ctx)
			got <- seen{f, err}
		}
	}()
	defer close(next)

	const n = 60
	for i := range n {
		f, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		next <- struct{}{}
		g := <-got
		if g.err != nil {
			t.Fatalf("branch read %d: %v", i, g.err)
		}
		if g.f == f {
			t.Fatal("branch and primary got the same *VideoFrame: each reader needs its own")
		}
		if g.f.Image != f.Image || g.f.PTS != f.PTS || g.f.Seq != f.Seq || f.Seq != uint64(i) {
			t.Fatalf("frame %d: primary (seq %d, pts %v), branch (seq %d, pts %v), same image %v",
				i, f.Seq, f.PTS, g.f.Seq, g.f.PTS, g.f.Image == f.Image)
		}
		g.f.Release()
		f.Release()
	}
	if s, ok := StatsOf(b); !ok || s != (Stats{Delivered: n}) {
		t.Errorf("stats %+v, %v; want %d delivered, none skipped", s, ok, n)
	}
}

// A branch that never reads does not hold up the primary: the primary takes
// every frame the source paces out, the branch skips all but the newest, and
// the source gets every buffer back.
func TestIdleBranchDoesNotSlowPrimary(t *testing.T) {
	gate := make(chan struct{})
	fake := newFake(gate)
	fake.status = &capture.SourceStatus{Device: "fake cam", Skipped: 5}
	tee := Video(reportingFake{fake})
	p := tee.Primary()
	b := mustBranch(t, tee)
	ctx := deadline(t)

	const n = 100
	read := make(chan error, 1)
	for i := range n {
		go func() {
			f, err := p.Read(ctx)
			if err == nil {
				if f.Seq != uint64(i) {
					t.Errorf("primary frame %d has seq %d", i, f.Seq)
				}
				f.Release()
			}
			read <- err
		}()
		tick(t, gate)
		if err := <-read; err != nil {
			t.Fatal(err)
		}
		// The branch holds the newest frame; nothing else is kept.
		if o := fake.outstanding.Load(); o != 1 {
			t.Fatalf("after frame %d, %d buffers out; want the branch's 1", i, o)
		}
	}
	if s, _ := StatsOf(b); s != (Stats{Skipped: n - 1}) {
		t.Errorf("stats %+v; want %d skipped", s, n-1)
	}
	r, ok := b.(capture.Reporter)
	if !ok {
		t.Fatal("branch of a Reporter is no Reporter")
	}
	if st := r.Status(); st.Skipped != 5+n-1 || st.Device != "fake cam" {
		t.Errorf("branch status %+v; want the source's with %d skipped", st, 5+n-1)
	}
	if pr, ok := p.(capture.Reporter); !ok || pr.Status().Skipped != 5 {
		t.Errorf("primary must report the source's status")
	}
	// The held frame is the newest.
	f, err := b.Read(ctx)
	if err != nil || f.Seq != n-1 {
		t.Fatalf("branch read %v, %v; want seq %d", f, err, n-1)
	}
	f.Release()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	fake.checkAllReleased(t)
	if fake.produced.Load() != n {
		t.Errorf("source made %d frames, want %d", fake.produced.Load(), n)
	}
}

// A source's frame goes back to it only once every reader has released it.
func TestReleaseWhenAllReadersDone(t *testing.T) {
	fake := newFake(nil)
	tee := Video(fake)
	p := tee.Primary()
	b1, b2 := mustBranch(t, tee), mustBranch(t, tee)
	ctx := deadline(t)

	f, err := p.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g1, err1 := b1.Read(ctx)
	g2, err2 := b2.Read(ctx)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i, fr := range []*capture.VideoFrame{g2, f, g1} {
		if fake.released.Load() != 0 {
			t.Fatalf("source frame released after %d of 3 readers", i)
		}
		fr.Release()
		fr.Release() // a second Release does nothing
	}
	if fake.released.Load() != 1 {
		t.Fatalf("source frame released %d times after all 3 readers; want 1", fake.released.Load())
	}
	p.Close()
	fake.checkAllReleased(t)
}

// Closing one branch mid-stream releases what it holds, ends its Read, and
// leaves the primary and the other branch running. With no branch left the
// primary hands out the source's own frames.
func TestCloseBranchMidStream(t *testing.T) {
	fake := newFake(nil)
	tee := Video(fake)
	p := tee.Primary()
	b1, b2 := mustBranch(t, tee), mustBranch(t, tee)
	if _, ok := b1.(capture.Reporter); ok {
		t.Error("branch of a source that does not report claims to be a Reporter")
	}
	if _, ok := p.(capture.Reporter); ok {
		t.Error("primary of a source that does not report claims to be a Reporter")
	}
	ctx := deadline(t)
	readBoth := func(i int) {
		t.Helper()
		f, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g, err := b2.Read(ctx)
		if err != nil || g.Seq != f.Seq {
			t.Fatalf("frame %d: branch got %v, %v", i, g, err)
		}
		f.Release()
		g.Release()
	}
	for i := range 5 {
		readBoth(i)
	}
	// b1 holds frame 4 unread.
	if o := fake.outstanding.Load(); o != 1 {
		t.Fatalf("%d buffers out; want b1's 1", o)
	}
	if err := b1.Close(); err != nil {
		t.Fatal(err)
	}
	if o := fake.outstanding.Load(); o != 0 {
		t.Fatalf("%d buffers out after b1's Close; want 0", o)
	}
	if _, err := b1.Read(ctx); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("read on closed branch: %v", err)
	}
	b1.Close() // again: nothing
	for i := 5; i < 10; i++ {
		readBoth(i)
	}
	if s, _ := StatsOf(b1); s != (Stats{Skipped: 4}) {
		t.Errorf("b1 stats %+v", s)
	}
	if s, _ := StatsOf(b2); s != (Stats{Delivered: 10}) {
		t.Errorf("b2 stats %+v", s)
	}
	b2.Close()
	f, err := p.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f != fake.last.Load() {
		t.Error("with no branch open, the primary must return the source's frame itself")
	}
	f.Release()
	p.Close()
	fake.checkAllReleased(t)
}

// Closing the primary ends a branch's blocked Read with ErrClosed, closes the
// source, and refuses new branches.
func TestClosePrimaryUnblocksBranch(t *testing.T) {
	fake := newFake(make(chan struct{}))
	tee := Video(fake)
	p := tee.Primary()
	b := mustBranch(t, tee)
	ctx := deadline(t)
	done := make(chan error)
	go func() {
		_, err := b.Read(ctx)
		done <- err
	}()
	pdone := make(chan error)
	go func() {
		_, err := p.Read(ctx)
		pdone <- err
	}()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan error{"branch": done, "primary": pdone} {
		select {
		case err := <-ch:
			if !errors.Is(err, capture.ErrClosed) {
				t.Errorf("%s read after close: %v; want ErrClosed", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s read still blocked 5 s after the primary's Close", name)
		}
	}
	if !fake.isClosed() {
		t.Error("source not closed")
	}
	if _, err := tee.Branch(); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Branch after close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	fake.checkAllReleased(t)
}

// A branch's Read returns ctx.Err() when ctx ends.
func TestBranchReadContext(t *testing.T) {
	fake := newFake(nil)
	tee := Video(fake)
	defer tee.Primary().Close()
	b := mustBranch(t, tee)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := b.Read(ctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read: %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("branch read still blocked 5 s after its ctx ended")
	}
}
