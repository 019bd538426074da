package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tartansim/tartansim/consumer"
)

// embedded is the built-in reference consumer, served on a loopback port for
// the length of one command: the default target.
type embedded struct {
	c      *consumer.Consumer
	srv    *http.Server
	ln     net.Listener
	mu     sync.Mutex
	byID   map[string]consumer.Decision
	last   consumer.Decision
	served sync.WaitGroup
}

func startEmbedded(key []byte) (*embedded, error) {
	e := &embedded{byID: map[string]consumer.Decision{}}
	e.c = consumer.New(key, consumer.Observe(e.record))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.ln = ln
	e.srv = consumer.NewServer(ln.Addr().String(), e.c.Handler())
	e.served.Add(1)
	go func() {
		defer e.served.Done()
		_ = e.srv.Serve(ln)
	}()
	return e, nil
}

func (e *embedded) record(v consumer.Decision) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.last = v
	if v.RequestID != "" {
		if _, seen := e.byID[v.RequestID]; !seen {
			e.byID[v.RequestID] = v
		}
	}
}

// verdict returns what the consumer decided about the first delivery with
// requestID or, for a request it rejected unread, its last verdict.
func (e *embedded) verdict(requestID string) (consumer.Decision, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.byID[requestID]; ok {
		return v, true
	}
	return e.last, e.last.Status != 0
}

func (e *embedded) webhookURL() string {
	return "http://" + e.ln.Addr().String() + consumer.WebhookPath
}

func (e *embedded) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
	e.served.Wait()
}
