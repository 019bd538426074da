package conformance_test

// Broken consumers whose bug is in how deliveries arrive: speed, duplicates,
// redeliveries, order and bursts (see broken_test.go).

import (
	"io"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// slowBudget is the ack budget the slow consumer is judged against. It
// must leave the reference's own latency, in a burst of 16 deliveries at
// once on a loaded machine, well within it (up to ~90 ms seen without the
// race detector; ~800 ms with it, which slows everything about tenfold, and
// 1.6 s once on a 2-core machine running other suites beside it).
var slowBudget = func() time.Duration {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return 3 * time.Second
			}
		}
	}
	return 300 * time.Millisecond
}()

// DEL-ACK-TIME: offboarding a leaver (an update to status Not Active)
// calls the payroll API before the delivery is answered, and the payroll
// client is set up lazily on that first call (OAuth token, SDK start-up),
// which takes longer than Tartan waits. Once set up it is fast.
//
// The first leaver of the run is in DEL-ACK-TIME (the only other check
// with leavers, LIFE-SYNC, comes after it in catalogue order, and does not
// judge speed: it cuts a delivery off only at three times the budget).
func delSlowOffboarding() subject {
	return subject{
		name:    "cold payroll client",
		bug:     "offboards a leaver synchronously through a lazily set-up payroll client, whose set-up outlasts the timeout",
		fails:   []string{"DEL-ACK-TIME"},
		timeout: slowBudget,
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var payroll sync.Once
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if env, err := peek(body); verified(key, body, r) && err == nil && employeeEvent(env.Event) {
					for _, raw := range env.Body {
						if decodeNumbers(raw)["status"] == "Not Active" {
							payroll.Do(func() { time.Sleep(slowBudget * 3 / 2) }) // set-up on first use
							break
						}
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// DEL-DUPLICATE: there is no idempotency. Every delivery received runs its
// side effects (an audit row, a notification, a headcount update) again;
// only the roster upsert happens to be idempotent. The probe's applied
// counts are those side effects.
func delNoIdempotency() subject {
	return subject{
		name:  "no idempotency",
		bug:   "runs a delivery's side effects every time it arrives (no requestId dedup)",
		fails: []string{"DEL-DUPLICATE"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			var ran effects
			c := consumer.New(key, consumer.Observe(func(v consumer.Decision) {
				if v.Status == http.StatusOK && v.RequestID != "" {
					ran.ran(v.OrgID, v.RequestID)
				}
			}))
			return c, func(orgID string) probe.State { return ran.report(c.State(orgID)) }
		},
	}
}

// DEL-EOD-RETRY: idempotency is a fast path that recognises an immediate
// retry of the delivery just processed (a last_request_id column per org);
// any other requestId already processed hits the unique key of the
// deliveries table, answered 409 Conflict. A redelivery whose first answer
// was lost comes back at EOD, after other deliveries, and is refused for
// ever.
func delLateDuplicate409() subject {
	return subject{
		name:  "409 on a late redelivery",
		bug:   "answers 409 to a requestId already processed unless it is the org's latest one",
		fails: []string{"DEL-EOD-RETRY"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var mu sync.Mutex
			done := map[string]bool{}   // requestIds processed (the unique key)
			last := map[string]string{} // orgId → last requestId processed
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if !verified(key, body, r) || err != nil {
					st.pass(w, r)
					return
				}
				mu.Lock()
				conflict := done[env.RequestID] && last[env.OrgID] != env.RequestID
				mu.Unlock()
				if conflict {
					reply(w, http.StatusConflict, "duplicate key value violates unique constraint deliveries_request_id_key")
					return
				}
				rec := st.apply(r.Context(), body)
				if rec.Code < 300 {
					mu.Lock()
					done[env.RequestID], last[env.OrgID] = true, env.RequestID
					mu.Unlock()
				}
				relay(w, rec)
			}), st.ref.State
		},
	}
}

// DEL-STALE: a consumer written from scratch from Tartan's documentation:
// it verifies the raw bytes, dedups on requestId and upserts, but the last
// write wins, whatever its timeStamp: an old redelivery overwrites newer
// data.
func delLastWriterWins() subject {
	return subject{
		name:      "last writer wins (from scratch)",
		bug:       "a hand-written consumer that upserts every record it gets: an older EOD redelivery overwrites newer values",
		fails:     []string{"DEL-STALE"},
		httpProbe: true,
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			n := &naive{key: key, seen: map[string]bool{}, orgs: map[string]*naiveOrg{}}
			return n, n.state
		},
	}
}

// DEL-ORDER: batches are attached to the sync session they belong to; a
// batch of a session that has not started (its sync.events.initiated not
// yet seen) is taken for a leftover of an aborted sync, acknowledged and
// dropped.
func delSessionFirst() subject {
	return subject{
		name:  "drops batches before initiated",
		bug:   "acknowledges and drops employee batches of a sync session whose sync.events.initiated it has not seen",
		fails: []string{"DEL-ORDER"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var mu sync.Mutex
			started := map[string]bool{} // syncSessionId
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if verified(key, body, r) && err == nil {
					mu.Lock()
					if env.Event == "sync.events.initiated" {
						started[env.SyncSessionID] = true
					}
					orphan := employeeEvent(env.Event) && !started[env.SyncSessionID]
					mu.Unlock()
					if orphan {
						reply(w, http.StatusOK, "") // "not our sync: ignore"
						return
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// DEL-BURST: each delivery holds one of four pooled database connections
// for its transaction (about 2 ms: a group commit). The pool fails fast:
// with no connection free, 503. One at a time it is barely slower than the
// reference; in a burst it sheds load.
//
// The burst's deliveries wait at one gate with their connections open and
// are released together, so sixteen of them are in flight at once on every
// run, whatever the scheduler does (before the gate, sent by sixteen
// workers as each came free, they overlapped only when the scheduler let
// them, and this consumer passed some runs).
func delFailFastPool() subject {
	return subject{
		name:  "fail-fast pool of 4",
		bug:   "answers 503 when more than 4 deliveries are in flight (a fail-fast database pool)",
		fails: []string{"DEL-BURST"},
		// Its bug is load, and checks played side by side are load: one at
		// a time, only the burst finds it.
		parallel: 1,
		build:    failFastPool(4, 2*time.Millisecond),
	}
}

// failFastPool is a consumer that answers 503 when more than pool
// deliveries are in flight, each holding its connection for hold.
func failFastPool(pool int32, hold time.Duration) func([]byte) (http.Handler, func(string) probe.State) {
	return func(key []byte) (http.Handler, func(string) probe.State) {
		st := newStore(key)
		var inFlight atomic.Int32
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			if n > pool {
				reply(w, http.StatusServiceUnavailable, "no database connection available")
				return
			}
			time.Sleep(hold) // the transaction
			st.pass(w, r)
		}), st.ref.State
	}
}

// naive is a consumer written from scratch: right in everything except
// ordering, where the last write wins.
type naive struct {
	key  []byte
	mu   sync.Mutex
	seen map[string]bool
	orgs map[string]*naiveOrg
}

type naiveOrg struct {
	status    string
	employees map[string]map[string]any
	applied   map[string]int
}

func (n *naive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, consumer.DefaultMaxBody))
	if err != nil {
		reply(w, http.StatusBadRequest, "unreadable body")
		return
	}
	if sender.Verify(n.key, body, r.Header.Get(sender.HeaderSignature)) != nil {
		reply(w, http.StatusUnauthorized, "invalid signature")
		return
	}
	env, err := peek(body)
	if err != nil || env.RequestID == "" || env.OrgID == "" {
		reply(w, http.StatusBadRequest, "not a Tartan envelope")
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[env.RequestID] {
		reply(w, http.StatusOK, "")
		return
	}
	n.seen[env.RequestID] = true
	o := n.orgs[env.OrgID]
	if o == nil {
		o = &naiveOrg{employees: map[string]map[string]any{}, applied: map[string]int{}}
		n.orgs[env.OrgID] = o
	}
	o.applied[env.RequestID]++
	switch {
	case employeeEvent(env.Event):
		for _, raw := range env.Body {
			rec := decodeNumbers(raw)
			if id := employeeKey(rec["employeeId"]); id != "" {
				o.employees[id] = rec // the bug: no look at timeStamp
			}
		}
	case strings.HasPrefix(env.Event, "connection.events.") && len(env.Body) > 0:
		if s, ok := decodeNumbers(env.Body[0])["status"].(string); ok {
			o.status = s
		}
	}
	reply(w, http.StatusOK, "")
}

func (n *naive) state(orgID string) probe.State {
	s := probe.State{OrgID: orgID, Employees: []map[string]any{}, Applied: map[string]int{}}
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.orgs[orgID]
	if o == nil {
		return s
	}
	s.ConnectionStatus = o.status
	ids := make([]string, 0, len(o.employees))
	for id := range o.employees {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s.Employees = append(s.Employees, o.employees[id]) // never mutated once stored
	}
	for id, c := range o.applied {
		s.Applied[id] = c
	}
	return s
}

var _ = Describe("a burst", Label("delivery"), func() {
	// The burst is at once on every run, not when the scheduler allows:
	// the fail-fast pool is caught under every seed.
	It("catches a consumer that sheds load above 4 in flight on every run", func() {
		s := delFailFastPool()
		s.keep = func(c conformance.Check) bool { return c.ID == "DEL-BURST" }
		base := uint64(GinkgoRandomSeed())
		for k := range uint64(10) {
			o := play(s, base+k)
			Expect(o.verdicts()).To(Equal(map[string]conformance.Verdict{"DEL-BURST": conformance.Fail}), o.explain())
		}
	})
})
