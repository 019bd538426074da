// Package clock is tartansim's one notion of time: what it reads as now, and
// how it waits. Everything that stamps a webhook, schedules an EOD batch or a
// sync, or waits for a consumer to settle takes a Clock, so that a test can
// pass a *Fake and move time by hand: a week of schedule passes in
// microseconds, and no spec depends on how busy the machine is.
//
//	c := clock.NewFake(time.Date(2026, 12, 1, 23, 58, 0, 0, wire.IST))
//	fired := c.After(time.Minute)
//	c.Advance(time.Minute) // fired now holds 23:59 IST
package clock

import (
	"slices"
	"sync"
	"time"
)

// Clock reads the time and waits on it.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// After returns a channel that receives the time once, d from now.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f once, d from now, on a goroutine of the clock's
	// choosing; stop cancels the call and reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Real is the wall clock.
var Real Clock = real{}

type real struct{}

func (real) Now() time.Time                         { return time.Now() }
func (real) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (real) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Or returns c, or Real when c is nil: the default of every Clock option.
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// Fake is a Clock that moves only when Advance or Set is called. It is safe
// for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     int
	timers  []*timer
	changed chan struct{} // closed and replaced when a timer is added
}

type timer struct {
	at  time.Time
	seq int
	f   func()
}

// NewFake returns a clock that reads start until it is moved.
func NewFake(start time.Time) *Fake { return &Fake{now: start, changed: make(chan struct{})} }

// Now returns the clock's time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges for f to run when the clock passes d from now; d <= 0
// runs at the next Advance, even Advance(0).
func (c *Fake) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &timer{at: c.now.Add(max(0, d)), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	close(c.changed)
	c.changed = make(chan struct{})
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.timers, t)
		if i < 0 {
			return false
		}
		c.timers = slices.Delete(c.timers, i, i+1)
		return true
	}
}

// After returns a channel that receives the clock's time once it has been
// moved d past now.
func (c *Fake) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.AfterFunc(d, func() { ch <- c.Now() })
	return ch
}

// Advance moves the clock forward by d, running every timer that falls due
// on the way, in time order, each with the clock set to its time and on the
// caller's goroutine: when Advance returns, what they started has been
// started. Timers set by those functions run too when they fall due within
// d. A negative d counts as 0.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(max(0, d))
	for {
		next := -1
		for i, t := range c.timers {
			if !t.at.After(end) && (next < 0 || t.at.Before(c.timers[next].at) || (t.at.Equal(c.timers[next].at) && t.seq < c.timers[next].seq)) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		t := c.timers[next]
		c.timers = slices.Delete(c.timers, next, next+1)
		c.now = t.at
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Set moves the clock to t (never backwards: an earlier t is now), running
// the timers due on the way as Advance does.
func (c *Fake) Set(t time.Time) { c.Advance(t.Sub(c.Now())) }

// Pending returns how many timers wait to run.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns when the earliest timer falls due, and false when none
// waits: a test can wait until what it tests has planned what it expects.
func (c *Fake) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	next := c.timers[0].at
	for _, t := range c.timers[1:] {
		if t.at.Before(next) {
			next = t.at
		}
	}
	return next, true
}

// Waiting returns a channel closed once at least n timers wait: a test
// moves the clock only when what it tests has started waiting on it, so
// the spec does not depend on how busy the machine is.
//
//	<-c.Waiting(1)
//	c.Advance(time.Second)
func (c *Fake) Waiting(n int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c.mu.Lock()
			have, changed := len(c.timers), c.changed
			c.mu.Unlock()
			if have >= n {
				return
			}
			<-changed
		}
	}()
	return done
}
