package clock_test

import (
	"testing"
	"time"

	"github.com/tartansim/tartansim/clock"
)

var start = time.Date(2026, 12, 1, 23, 58, 0, 0, time.UTC)

func TestFakeRunsTimersInOrderAtTheirTimes(t *testing.T) {
	c := clock.NewFake(start)
	var got []time.Duration
	at := func() { got = append(got, c.Now().Sub(start)) }
	c.AfterFunc(2*time.Second, at)
	c.AfterFunc(time.Second, func() {
		at()
		c.AfterFunc(500*time.Millisecond, at) // set by a timer, due within the same Advance
	})
	stop := c.AfterFunc(1500*time.Millisecond, at)
	if !stop() || stop() {
		t.Fatal("stop should cancel once, then report it had nothing to cancel")
	}
	c.Advance(3 * time.Second)
	want := []time.Duration{time.Second, 1500 * time.Millisecond, 2 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("ran at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran at %v, want %v", got, want)
		}
	}
	if c.Now() != start.Add(3*time.Second) || c.Pending() != 0 {
		t.Fatalf("now %v with %d pending", c.Now(), c.Pending())
	}
}

func TestFakeAfterFiresOnlyOnceMovedPast(t *testing.T) {
	c := clock.NewFake(start)
	ch := c.After(time.Minute)
	c.Advance(59 * time.Second)
	select {
	case <-ch:
		t.Fatal("fired early")
	default:
	}
	c.Set(start.Add(time.Minute))
	if got := <-ch; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("fired with %v", got)
	}
	c.Set(start) // never backwards
	if !c.Now().Equal(start.Add(time.Minute)) {
		t.Fatalf("moved back to %v", c.Now())
	}
}

func TestFakeNextIsTheEarliestTimer(t *testing.T) {
	c := clock.NewFake(start)
	if _, ok := c.Next(); ok {
		t.Fatal("a timer waits on a new clock")
	}
	c.After(time.Hour)
	c.After(time.Minute)
	if next, ok := c.Next(); !ok || !next.Equal(start.Add(time.Minute)) {
		t.Fatalf("Next = %v, %v", next, ok)
	}
}

func TestFakeWaitingSeesATimerSetLater(t *testing.T) {
	c := clock.NewFake(start)
	ready := c.Waiting(1)
	go c.After(time.Second)
	<-ready
	if c.Pending() != 1 {
		t.Fatalf("%d pending", c.Pending())
	}
}

func TestOrDefaultsToTheWallClock(t *testing.T) {
	if clock.Or(nil) != clock.Real {
		t.Fatal("Or(nil) is not Real")
	}
	f := clock.NewFake(start)
	if clock.Or(f) != f {
		t.Fatal("Or(f) is not f")
	}
}
