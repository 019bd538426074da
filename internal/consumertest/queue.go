// Package consumertest holds consumers under test that more than one
// package's specs share: a correct queue-based consumer, built the way most
// production consumers are, and the same consumer with one bug. They are
// test doubles, for tartansim's own specs.
package consumertest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// Bug is a mistake a Queue can be built with.
type Bug int

const (
	// Correct is no bug.
	Correct Bug = iota
	// DropsConnectionEvents acknowledges connection events and never
	// applies them: its connectionStatus never follows an invite or a
	// termination.
	DropsConnectionEvents
)

// Queue is a consumer that verifies the signature, answers 202 at once and
// applies each delivery later, from a queue, after Lag: the reference
// consumer's rules behind a queue. Its probe reports pending (contract
// v1.1) only when Pending is set, so that a judge must settle by waiting.
// Serve it with NewServer; Close stops its worker.
type Queue struct {
	Lag     time.Duration
	Pending bool
	Bug     Bug

	key   []byte
	ref   *consumer.Consumer
	jobs  chan job
	mu    sync.Mutex
	queue int // accepted, not applied yet
	done  chan struct{}
	once  sync.Once
}

type job struct {
	due    time.Time
	header http.Header
	body   []byte
}

// NewQueue makes a queue-based consumer that verifies with key, and starts
// its worker.
func NewQueue(key []byte, lag time.Duration, bug Bug) *Queue {
	q := &Queue{Lag: lag, Bug: bug, key: bytes.Clone(key), ref: consumer.New(key), jobs: make(chan job, 1<<16), done: make(chan struct{})}
	go q.work()
	return q
}

// ServeHTTP accepts a delivery: 401 for a bad signature, 202 otherwise,
// and the delivery queued.
func (q *Queue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, consumer.DefaultMaxBody))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if sender.Verify(q.key, body, r.Header.Get(sender.HeaderSignature)) != nil {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	q.mu.Lock()
	q.queue++
	q.mu.Unlock()
	q.jobs <- job{due: time.Now().Add(q.Lag), header: r.Header.Clone(), body: body}
	w.WriteHeader(http.StatusAccepted)
}

// work applies queued deliveries in order, each once its lag has passed.
func (q *Queue) work() {
	for {
		select {
		case <-q.done:
			return
		case j := <-q.jobs:
			select {
			case <-q.done:
				return
			case <-time.After(time.Until(j.due)):
			}
			// Applied and counted off under one lock, which State takes
			// too: a probe never sees the count after an apply with the
			// state from before it (pending 0 and a delivery missing).
			q.mu.Lock()
			if !(q.Bug == DropsConnectionEvents && strings.Contains(string(j.body), `"event":"connection.events.`)) {
				req := httptest.NewRequest(http.MethodPost, consumer.WebhookPath, bytes.NewReader(j.body))
				req.Header = j.header
				q.ref.ServeHTTP(httptest.NewRecorder(), req)
			}
			q.queue--
			q.mu.Unlock()
		}
	}
}

// State is what the consumer holds about orgID, as its probe says.
func (q *Queue) State(_ context.Context, orgID string) (probe.State, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.ref.State(orgID)
	st.Pending = nil
	if q.Pending {
		n := q.queue
		st.Pending = &n
	}
	return st, nil
}

// Handler serves the webhook at consumer.WebhookPath and the probe at
// consumer.ProbePath.
func (q *Queue) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(consumer.WebhookPath, q)
	mux.Handle(consumer.ProbePath, probe.Handler(q.State))
	return mux
}

// Close stops the worker; what is still queued is never applied.
func (q *Queue) Close() { q.once.Do(func() { close(q.done) }) }
