package freelist

import "testing"

func TestListReusesAndAllocatesNothing(t *testing.T) {
	var l List[[64]byte]
	if l.Get() != nil {
		t.Fatal("an empty list returned a value")
	}
	v := new([64]byte)
	l.Put(v)
	if got := l.Get(); got != v {
		t.Fatal("Get did not return the value handed back")
	}
	l.Put(v)
	if n := testing.AllocsPerRun(100, func() { l.Put(l.Get()) }); n != 0 {
		t.Errorf("%v allocations per Get and Put, want 0", n)
	}
}
