package consumertest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/tartansim/tartansim/consumer"
)

// NewStarving serves the reference consumer that verifies with key (its
// webhook at consumer.WebhookPath, its probe at consumer.ProbePath) the way
// a thread-per-connection server with a fixed pool of handlers does:
// keep-alive on and no idle timeout, so a client's idle connections hold
// handlers, and once every handler holds one, the next connection waits in
// the kernel's backlog, its request written and never answered. A burst on
// more connections than handlers starves it, the probe's reads with it.
// Close the server when done.
func NewStarving(key []byte, handlers int) *httptest.Server {
	c := consumer.New(key)
	mux := http.NewServeMux()
	mux.Handle(consumer.WebhookPath, c)
	mux.Handle(consumer.ProbePath, c.Probe())
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = &poolListener{Listener: srv.Listener, slots: make(chan struct{}, handlers), done: make(chan struct{})}
	srv.Start()
	return srv
}

// poolListener accepts a connection only while a handler is free.
type poolListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func (l *poolListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &slotConn{Conn: c, free: func() { <-l.slots }}, nil
}

func (l *poolListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// slotConn gives its handler back to the pool when it is closed.
type slotConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *slotConn) Close() error {
	c.once.Do(c.free)
	return c.Conn.Close()
}
