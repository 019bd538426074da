// Package conncount counts the TCP connections an http.Server sees: how
// many it accepted, how many are open now and the most open at once. Tests
// use it to hold a sender to its connection cap.
package conncount

import (
	"net"
	"net/http"
	"sync/atomic"
)

// Counter holds the counts of one server. It is safe for concurrent use.
type Counter struct {
	accepted, open, peak atomic.Int64
}

// Track makes srv, not yet serving, count its connections into a new
// Counter. A ConnState hook srv had still runs, first, so it sees the
// counts as they were before the change it is told of.
func Track(srv *http.Server) *Counter {
	c := &Counter{}
	next := srv.ConnState
	srv.ConnState = func(conn net.Conn, st http.ConnState) {
		if next != nil {
			next(conn, st)
		}
		switch st {
		case http.StateNew:
			c.accepted.Add(1)
			n := c.open.Add(1)
			for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
			}
		case http.StateClosed, http.StateHijacked:
			c.open.Add(-1)
		}
	}
	return c
}

// Reset starts the counts afresh, returning the number accepted and the
// peak as they were; the new peak starts from the connections open now.
func (c *Counter) Reset() (accepted, peak int64) {
	return c.accepted.Swap(0), c.peak.Swap(c.open.Load())
}

// Accepted is how many connections the server accepted in all.
func (c *Counter) Accepted() int64 { return c.accepted.Load() }

// Open is how many are open now.
func (c *Counter) Open() int64 { return c.open.Load() }

// Peak is the most that were open at once.
func (c *Counter) Peak() int64 { return c.peak.Load() }
