package conformance_test

// Consumers built the way most production webhook consumers are: verify the
// signature, answer 2xx at once, and apply the payload later from a queue
// that several workers drain, each delivery after a random lag. Such a
// consumer is correct, and must PASS every check, whatever it answers (202,
// 204, chunked, Connection: close) and however it deduplicates. Beside them,
// the bugs that only such consumers (or concurrency) have: each must FAIL
// the check about it and no other.

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// queue describes a queue-based consumer.
type queue struct {
	workers  int
	lag      [2]time.Duration // each delivery waits a random time in [lag[0], lag[1]) before it is applied
	status   int              // the answer: 202 or 204
	close    bool             // answer with Connection: close
	chunked  bool             // answer with a chunked body
	byHash   bool             // deduplicate by a hash of the raw body, not by requestId
	pending  bool             // the probe says how many deliveries wait (contract v1.1)
	capacity int              // more than this many waiting for one org are dropped behind the 2xx (0: no limit)
	// queueBeforeVerify queues a well-formed delivery before its HMAC is
	// compared: a forgery is answered 401, and applied later all the same.
	queueBeforeVerify bool
	// skip names an event the workers never manage to apply, without
	// saying so: the state never converges.
	skip string
	// discardOnTermination: a termination accepted for an org discards
	// the org's employee batches still waiting in the queue. Its workers
	// apply a session's webhooks in webhookCounter order (a batch waits
	// for the ones before it), so that a batch behind one that failed
	// is still waiting when the termination comes, whatever the load.
	discardOnTermination bool
}

// The lag of the issue that asked for these consumers, and a shorter one
// for the variants, so that the suite stays quick.
var (
	productionLag = [2]time.Duration{50 * time.Millisecond, 400 * time.Millisecond}
	shortLag      = [2]time.Duration{10 * time.Millisecond, 100 * time.Millisecond}
)

// queued is a consumer under test built from q.
type queued struct {
	q    queue
	key  []byte
	st   *store
	rng  *rand.Rand
	jobs chan job
	mu   sync.Mutex
	seen map[string]bool // dedup keys of deliveries accepted
	wait map[string]int  // orgId → deliveries accepted, not yet applied
	ran  effects
	// queued counts the deliveries accepted; cut is, per orgId, the count
	// when a termination was accepted (discardOnTermination).
	queued int
	cut    map[string]int
	// done holds, per syncSessionId, the webhookCounters the workers are
	// through with (discardOnTermination's in-order apply).
	done map[string]map[int]bool
}

// job is a delivery waiting in the queue, and its place in it.
type job struct {
	body []byte
	n    int
}

// build makes the consumer and starts its workers; they stop when the spec ends.
func (q queue) build(key []byte) (http.Handler, func(string) probe.State) {
	h, state, stop := q.start(key, uint64(GinkgoRandomSeed()))
	DeferCleanup(stop)
	return h, state
}

// start makes the consumer, its lags drawn from seed, and starts its
// workers until stop.
func (q queue) start(key []byte, seed uint64) (h http.Handler, state func(string) probe.State, stop func()) {
	c := &queued{
		q: q, key: key, st: newStore(key),
		rng:  rand.New(rand.NewPCG(seed, 7)),
		jobs: make(chan job, 1<<16),
		seen: map[string]bool{}, wait: map[string]int{}, cut: map[string]int{}, done: map[string]map[int]bool{},
	}
	for range q.workers {
		go c.work()
	}
	return http.HandlerFunc(c.serve), c.state, func() { close(c.jobs) }
}

func (c *queued) serve(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		reply(w, http.StatusBadRequest, "unreadable body")
		return
	}
	sig := signatureOf(r)
	if len(sig) != sender.SignatureLen {
		reply(w, http.StatusUnauthorized, "malformed signature")
		return
	}
	if c.q.queueBeforeVerify {
		c.enqueue(body)
	}
	if sender.Verify(c.key, body, sig) != nil {
		reply(w, http.StatusUnauthorized, "invalid signature")
		return
	}
	if !c.q.queueBeforeVerify {
		c.enqueue(body)
	}
	c.answer(w)
}

// enqueue accepts body once (by its dedup key) and queues it for the
// workers, unless the org's queue is full.
func (c *queued) enqueue(body []byte) {
	env, err := peek(body)
	if err != nil {
		return // nothing a worker could apply; acknowledged all the same
	}
	dedup := env.RequestID
	if c.q.byHash {
		sum := sha256.Sum256(body)
		dedup = string(sum[:])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[dedup] {
		return // a redelivery: applied, or about to be
	}
	if c.q.capacity > 0 && c.wait[env.OrgID] >= c.q.capacity {
		return // the bug: a 2xx for work that is thrown away
	}
	c.seen[dedup] = true
	c.wait[env.OrgID]++
	c.queued++
	if c.q.discardOnTermination && env.Event == "connection.events.terminated" {
		c.cut[env.OrgID] = c.queued // "the org is gone: what it still has queued need not be written"
	}
	c.jobs <- job{body: body, n: c.queued}
}

func (c *queued) answer(w http.ResponseWriter) {
	if c.q.close {
		w.Header().Set("Connection", "close")
	}
	if c.q.status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(c.q.status)
	if !c.q.chunked {
		_, _ = w.Write([]byte(`{"status":"queued"}`))
		return
	}
	// Flushed in parts: net/http sends Transfer-Encoding: chunked.
	_, _ = w.Write([]byte(`{"status":`))
	w.(http.Flusher).Flush()
	_, _ = w.Write([]byte(`"queued"}`))
}

func (c *queued) work() {
	for j := range c.jobs {
		c.mu.Lock()
		lag := c.q.lag[0] + time.Duration(c.rng.Int64N(int64(c.q.lag[1]-c.q.lag[0])))
		c.mu.Unlock()
		time.Sleep(lag)
		env, _ := peek(j.body)
		// The apply and the count that says it is done change together, so
		// that no probe read sees "pending 0" with the delivery missing.
		c.mu.Lock()
		if c.q.discardOnTermination && !c.inTurn(env) {
			c.mu.Unlock()
			c.jobs <- j // the webhooks before it in its session first
			continue
		}
		c.markDone(env)
		discarded := employeeEvent(env.Event) && j.n < c.cut[env.OrgID]
		if (c.q.skip == "" || env.Event != c.q.skip) && !discarded {
			c.st.apply(context.Background(), j.body)
			c.ran.ran(env.OrgID, env.RequestID)
		}
		c.wait[env.OrgID]--
		c.mu.Unlock()
	}
}

// inTurn reports whether every webhook of env's session before it has
// been through the workers (or env is in no session). c.mu held.
func (c *queued) inTurn(env envelope) bool {
	if env.SyncSessionID == "" || !employeeEvent(env.Event) {
		return true
	}
	for k := 1; k < env.WebhookCounter; k++ {
		if !c.done[env.SyncSessionID][k] {
			return false
		}
	}
	return true
}

// markDone notes that env has been through the workers. c.mu held.
func (c *queued) markDone(env envelope) {
	if env.SyncSessionID == "" {
		return
	}
	if c.done[env.SyncSessionID] == nil {
		c.done[env.SyncSessionID] = map[int]bool{}
	}
	c.done[env.SyncSessionID][env.WebhookCounter] = true
}

// state is what the consumer holds: the store's records, its own applied
// counts and, when it says, how many deliveries wait.
func (c *queued) state(orgID string) probe.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.ran.report(c.st.ref.State(orgID))
	s.Pending = nil
	if c.q.pending {
		n := c.wait[orgID]
		s.Pending = &n
	}
	return s
}

// queueSubjects are the queue-based consumers, correct and broken.
func queueSubjects() []subject {
	production := queue{workers: 4, lag: productionLag, status: http.StatusAccepted, pending: true}
	quiet := production
	quiet.pending, quiet.status = false, http.StatusNoContent
	terse := queue{workers: 4, lag: shortLag, status: http.StatusAccepted, close: true, chunked: true, byHash: true, pending: true}
	silent := terse
	silent.pending, silent.chunked, silent.status = false, false, http.StatusNoContent

	full := queue{workers: 4, lag: shortLag, status: http.StatusAccepted, pending: true, capacity: 16}
	late := queue{workers: 4, lag: shortLag, status: http.StatusAccepted, pending: true, queueBeforeVerify: true}
	stuck := queue{workers: 4, lag: shortLag, status: http.StatusAccepted, skip: "connection.events.terminated"}
	// Its lag is longer than the few milliseconds between an initial
	// sync's batches and the termination sent right after them, so they
	// are still queued when it arrives, on every run.
	flush := queue{workers: 4, lag: [2]time.Duration{50 * time.Millisecond, 100 * time.Millisecond}, status: http.StatusAccepted, pending: true, discardOnTermination: true}
	return []subject{
		{name: "queue, 4 workers, 50-400ms, 202, pending", bug: "none: applies later from a queue, and says how much waits", httpProbe: true, build: production.build},
		{name: "queue, 4 workers, 50-400ms, 204, no pending", bug: "none: applies later from a queue, and does not say how much waits", build: quiet.build},
		{name: "queue, chunked 202, Connection: close, dedup by body hash", bug: "none: answers chunked with Connection: close, deduplicates by a hash of the raw body", httpProbe: true, build: terse.build},
		{name: "queue, 204, Connection: close, dedup by body hash, no pending", bug: "none: as above, answering 204, without pending", build: silent.build, parallel: 8}, // its quiet waits overlap more,
		{
			name: "queue that drops when full", bug: "answers 202 and silently drops work when 16 deliveries of an org already wait",
			// DEL-RACE's EOD burst is 30 deliveries of one org: it drops some.
			fails: []string{"DEL-RACE", "DEL-BURST"}, build: full.build,
		},
		{
			name: "queued before verified", bug: "queues a well-formed delivery before comparing its HMAC: a forgery is answered 401 and applied later from the queue",
			fails: []string{"SIG-WRONG-KEY", "SIG-TAMPERED", "SIG-NEAR-MISS"}, build: late.build,
		},
		{
			name: "queue that never converges", bug: "its workers never manage to apply a termination, and it does not say so",
			fails: []string{"LIFE-CONNECTION"}, settle: 2 * time.Second, build: stuck.build,
		},
		{
			name: "queue that discards an org's batches on termination", bug: "discards the employee batches still queued for an org when its termination is accepted: records acknowledged before the termination are never written",
			fails: []string{"LIFE-TERMINATION"}, build: flush.build,
		},
		racyDedup(time.Millisecond), // a SELECT and an INSERT, a database round trip apart
	}
}

// DEL-DUPLICATE: the dedup is check-then-act without a lock around both:
// a delivery is looked up, applied, then marked as processed (a SELECT,
// the work, an INSERT). A copy that arrives while the original is being
// applied finds nothing and is applied again. Copies sent one after
// another, or after the original was answered, never see the window.
// window is extra time between the look-up and the mark (a slower
// database); 0 leaves only the work itself.
func racyDedup(window time.Duration) subject {
	return subject{
		name:  "check-then-act dedup",
		bug:   "looks the requestId up, applies, then records it, with no lock around the three",
		fails: []string{"DEL-DUPLICATE"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var mu sync.Mutex
			done := map[string]bool{}
			var ran effects
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if !verified(key, body, r) || err != nil {
					st.pass(w, r)
					return
				}
				mu.Lock()
				seen := done[env.RequestID]
				mu.Unlock()
				if seen {
					reply(w, http.StatusOK, "")
					return
				}
				rec := st.apply(r.Context(), body)
				time.Sleep(window)
				ran.ran(env.OrgID, env.RequestID)
				mu.Lock()
				done[env.RequestID] = true
				mu.Unlock()
				relay(w, rec)
			}), func(orgID string) probe.State { return ran.report(st.ref.State(orgID)) }
		},
	}
}

// isQueue reports whether s is one of the queue-based consumers, whose
// runs take seconds (for the repeat count of TARTAN_REPEAT).
func isQueue(s subject) bool { return strings.HasPrefix(s.name, "queue") }

var _ = Describe("checks played side by side", Label("broken", "parallel"), func() {
	It("give the same verdicts as one after another", func() {
		for _, s := range []subject{subjects()[0], racyDedup(time.Millisecond), queueSubjects()[4], delNoIdempotency()} {
			serial := s
			serial.parallel = 1
			wide := s
			wide.parallel = 8
			a, b := play(serial, uint64(GinkgoRandomSeed())), play(wide, uint64(GinkgoRandomSeed()))
			Expect(b.verdicts()).To(Equal(a.verdicts()), "%s\nin series: %s\nside by side: %s", s.name, a.explain(), b.explain())
			Expect(a.verdicts()).To(Equal(expected(s)), a.explain())
		}
	})
})
