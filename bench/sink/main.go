// Command sink is the minimal webhook consumer that bench/run measures
// every sender against: it reads and discards each request body and
// answers 200 with no body, on 127.0.0.1 only.
//
// It counts requests, body bytes and TCP connections (accepted, open now
// and the most open at once), and prints them as one line of key=value
// pairs:
//
//	sink: requests=120345 bytes=1925520000 accepted_conns=32 peak_conns=32 open_conns=0 first_to_last=10.002s rate=12032.1/s
//
// on SIGUSR1 (then starts counting afresh, so one sink can measure several
// peers in turn), and on SIGTERM, SIGINT or after -exit-after (then exits).
// rate is requests over the time from the first request to the last one
// since the counters were last reset.
//
// With -stall D -stall-at T, every request that arrives in the window from
// T to T+D after the first request is held until the window ends, as if the
// consumer froze for D: a request arriving at T+x waits D-x. Requests
// already being answered when the window opens are not held.
//
// With -log-conns it writes a line to stderr for each connection opened or
// closed after the first request was served: reconnects in mid-run.
//
// Usage:
//
//	sink [-port 0] [-stall 1s -stall-at 2s] [-exit-after 5m] [-log-conns]
//
// The first line printed is "sink: listening on http://127.0.0.1:PORT".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tartansim/tartansim/internal/conncount"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0 picks a free one)")
	stall := flag.Duration("stall", 0, "hold every request that arrives in a window this long (0: never stall)")
	stallAt := flag.Duration("stall-at", 2*time.Second, "when the stall window opens, after the first request")
	exitAfter := flag.Duration("exit-after", 10*time.Minute, "print the counts and exit after this long, whatever happens (a safety net)")
	logConns := flag.Bool("log-conns", false, "print a line to stderr for each connection opened or closed once requests have been served")
	flag.Parse()
	if *exitAfter <= 0 || *stall < 0 || *stallAt < 0 {
		fmt.Fprintln(os.Stderr, "sink: -exit-after must be positive, -stall and -stall-at not negative")
		os.Exit(2)
	}

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
	s := &sink{stall: *stall, stallAt: *stallAt, logConns: *logConns}
	srv := &http.Server{
		Handler:           s,
		ConnState:         s.logConn,
		ReadHeaderTimeout: time.Minute,
	}
	s.conns = conncount.Track(srv)
	fmt.Printf("sink: listening on http://%s\n", ln.Addr())

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	deadline := time.NewTimer(*exitAfter)
	for {
		select {
		case sig := <-sigs:
			fmt.Println(s.stats(sig == syscall.SIGUSR1))
			if sig == syscall.SIGUSR1 {
				continue
			}
		case <-deadline.C:
			fmt.Println(s.stats(false), "(exit-after)")
		case err := <-done:
			if !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintln(os.Stderr, "sink:", err)
				os.Exit(1)
			}
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx) // stalled requests may still be held: do not wait long
}

// sink is the handler and its counters.
type sink struct {
	stall, stallAt time.Duration
	logConns       bool

	requests atomic.Int64
	bytes    atomic.Int64
	conns    *conncount.Counter
	start    atomic.Int64 // unix ns of the very first request: the stall's origin
	first    atomic.Int64 // unix ns of the first request since the last reset
	last     atomic.Int64 // unix ns of the latest request
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixNano()
	s.start.CompareAndSwap(0, now)
	s.first.CompareAndSwap(0, now)
	if s.stall > 0 {
		open := s.start.Load() + int64(s.stallAt)
		if shut := open + int64(s.stall); now >= open && now < shut {
			time.Sleep(time.Duration(shut - now))
		}
	}
	n, _ := io.Copy(io.Discard, r.Body)
	s.bytes.Add(n)
	s.requests.Add(1)
	s.last.Store(time.Now().UnixNano())
	w.WriteHeader(http.StatusOK)
}

// logConn reports a connection opened or closed once requests have been
// served: a reconnect in mid-run. It runs before the counts change.
func (s *sink) logConn(c net.Conn, st http.ConnState) {
	if s.logConns && (st == http.StateNew || st == http.StateClosed) && s.requests.Load() > 0 {
		fmt.Fprintf(os.Stderr, "sink: %s %s after %d requests, %d open before\n",
			strings.TrimPrefix(st.String(), "State"), c.RemoteAddr(), s.requests.Load(), s.conns.Open())
	}
}

// stats formats the counters and, with reset, starts them afresh: the peak
// of connections restarts from those open now.
func (s *sink) stats(reset bool) string {
	var req, bytes, accepted, peak, first, last int64
	if reset {
		req, bytes, first, last = s.requests.Swap(0), s.bytes.Swap(0), s.first.Swap(0), s.last.Swap(0)
		accepted, peak = s.conns.Reset()
	} else {
		req, bytes, first, last = s.requests.Load(), s.bytes.Load(), s.first.Load(), s.last.Load()
		accepted, peak = s.conns.Accepted(), s.conns.Peak()
	}
	var span time.Duration
	if first != 0 && last > first {
		span = time.Duration(last - first)
	}
	rate := 0.0
	if span > 0 {
		rate = float64(req) / span.Seconds()
	}
	return fmt.Sprintf("sink: requests=%d bytes=%d accepted_conns=%d peak_conns=%d open_conns=%d first_to_last=%s rate=%.1f/s",
		req, bytes, accepted, peak, s.conns.Open(), span.Round(time.Millisecond), rate)
}
