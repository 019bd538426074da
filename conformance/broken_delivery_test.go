package conformance_test

// Broken consumers whose bug is in how deliveries arrive: speed, duplicates,
// redeliveries, order and bursts (see broken_test.go).

import (
	"net/http"
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
	"github.com/tartansim/tartansim/wire"
)

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
		name:  "cold payroll client",
		bug:   "offboards a leaver synchronously through a lazily set-up payroll client, whose set-up outlasts the timeout",
		fails: []string{"DEL-ACK-TIME"},
		// the default budget: every other check's deliveries, a burst of
		// 16 at once included, are answered well within it on any machine
		// the suite runs on, as for every other consumer here (a budget cut
		// to 300 ms, 3 s under -race, was outlasted by the reference's own
		// burst on a loaded machine)
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var payroll sync.Once
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if env, err := peek(body); verified(key, body, r) && err == nil && employeeEvent(env.Event) {
					for _, raw := range env.Body {
						if decodeNumbers(raw)["status"] == "Not Active" {
							// set-up on first use, until Tartan has given up
							// on this delivery (its budget cut the connection)
							payroll.Do(func() {
								select {
								case <-r.Context().Done():
								case <-time.After(2 * conformance.DefaultTimeout):
								}
							})
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
		name: "no idempotency",
		bug:  "runs a delivery's side effects every time it arrives (no requestId dedup)",
		// DEL-EOD-RETRY re-sends a delivery whose answer was lost, which
		// it had applied: its side effects run again there too.
		fails: []string{"DEL-DUPLICATE", "DEL-EOD-RETRY"},
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
		name: "last writer wins (from scratch)",
		bug:  "a hand-written consumer that upserts every record it gets: an older EOD redelivery overwrites newer values",
		// An older write arriving last: the stale update (DEL-STALE), an
		// add re-sent after its employee's update (DEL-EARLY), an invite
		// re-sent after the termination (LIFE-CONNECTION), an older update
		// that reaches it after the newer one released with it (DEL-RACE).
		fails:     []string{"DEL-STALE", "DEL-RACE", "DEL-EARLY", "LIFE-CONNECTION"},
		httpProbe: true,
		// It applies before it answers, and its probe does not say
		// pending: a state that differs never mends, and a shorter budget
		// than the default keeps the suite quick.
		settle: 2 * time.Second,
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			n := &naive{key: key, seen: map[string]bool{}, orgs: map[string]*naiveOrg{}}
			return n, n.state
		},
	}
}

// DEL-RACE: a consumer written from scratch, right in everything but
// where its ordering guard stands: it compares each record's stamp with
// the stored one, then does the slow work (enrichment, a call to another
// service), then writes what passed without comparing again. Two updates
// of one employee in flight together both pass the guard, and the one
// that arrived first is written first: when that is the newer one, the
// older overwrites it. Before DEL-RACE released an older and a newer update
// together, its race opened only when the scheduler overlapped them.
func delGuardBeforeSlowWork() subject {
	return subject{
		name:  "ordering guard before the slow work",
		bug:   "checks an update's stamp against the stored one before its slow work and writes after it without checking again: of two updates of one employee at once, the older can be written last",
		fails: []string{"DEL-RACE"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			c := &earlyGuard{slow: 50 * time.Millisecond, guarded: &guarded{key: key, seen: map[string]bool{}, orgs: map[string]*guardedOrg{}}}
			return c, c.state
		},
	}
}

// earlyGuard is guarded's storage behind a synchronous handler whose guard
// is read before the slow work.
type earlyGuard struct {
	*guarded
	slow time.Duration
}

func (c *earlyGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ef, ok := c.effect(w, r)
	if !ok {
		return
	}
	c.mu.Lock()
	again := c.seen[ef.RequestID]
	c.seen[ef.RequestID] = true
	o := c.org(ef.OrgID)
	c.mu.Unlock()
	if again {
		reply(w, http.StatusOK, "")
		return
	}
	var fresh []wire.Record
	for _, rec := range ef.Records {
		e := o.employee(rec.ID)
		e.mu.Lock()
		if e.newer(ef.Stamp) { // the guard, read before the slow work
			fresh = append(fresh, rec)
		}
		e.mu.Unlock()
	}
	if len(fresh) > 0 {
		time.Sleep(c.slow) // the slow work
	}
	for _, rec := range fresh {
		e := o.employee(rec.ID)
		e.mu.Lock()
		e.record, e.stamp, e.set = rec.Fields, ef.Stamp, true // the bug: no second look
		e.mu.Unlock()
	}
	o.setStatus(ef)
	o.mu.Lock()
	o.applied[ef.RequestID]++
	o.mu.Unlock()
	reply(w, http.StatusOK, "")
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
			var mu sync.Mutex
			started := map[string]bool{} // syncSessionId
			return acksAndDrops(key, func(_ *store, _ []byte, env envelope) bool {
				mu.Lock()
				defer mu.Unlock()
				if env.Event == "sync.events.initiated" {
					started[env.SyncSessionID] = true
				}
				return employeeEvent(env.Event) && !started[env.SyncSessionID] // "not our sync: ignore"
			})
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
		name: "fail-fast pool of 4",
		bug:  "answers 503 when more than 4 deliveries are in flight (a fail-fast database pool)",
		// DEL-RACE's burst of 30 is load too: it sheds it.
		fails: []string{"DEL-RACE", "DEL-BURST"},
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
	body, ok := signedBody(n.key, w, r)
	if !ok {
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

// failsEveryRun plays check id alone against s ten times, each with its
// own seed, and expects a FAIL every time: a race the check opens on
// purpose, not when the scheduler allows.
func failsEveryRun(s subject, id string) {
	GinkgoHelper()
	s.keep = func(c conformance.Check) bool { return c.ID == id }
	base := uint64(GinkgoRandomSeed())
	for k := range uint64(10) {
		o := play(s, base+k)
		Expect(o.verdicts()).To(Equal(map[string]conformance.Verdict{id: conformance.Fail}), o.explain())
	}
}

var _ = Describe("two updates of one employee at once", Label("delivery"), func() {
	// The older and the newer update are released together on every run,
	// in a seeded order, three bursts: the guard read before the slow work
	// is caught under every seed.
	It("catch a consumer whose ordering guard is read before its slow work on every run", func() {
		failsEveryRun(delGuardBeforeSlowWork(), "DEL-RACE")
	})
})

var _ = Describe("a burst", Label("delivery"), func() {
	// The burst is at once on every run, not when the scheduler allows:
	// the fail-fast pool is caught under every seed.
	It("catches a consumer that sheds load above 4 in flight on every run", func() {
		failsEveryRun(delFailFastPool(), "DEL-BURST")
	})
})

// DEL-EOD-RETRY: the requestIds already processed are kept on the org's
// current sync session (a column of the session row, or a cache keyed by
// it), and a new session replaces them. A delivery whose answer was lost
// and that the EOD batch re-sends after a newer session is taken for a
// new one, and its side effects run again. Before DEL-EOD-RETRY played a
// newer session before its EOD batch, this consumer passed.
func delForgetsEarlierSessions() subject {
	return subject{
		name:  "requestIds of the current session only",
		bug:   "remembers the requestIds of the org's current sync session only, so a redelivery from an earlier session runs its side effects again",
		fails: []string{"DEL-EOD-RETRY"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var (
				mu      sync.Mutex
				session = map[string]string{}          // orgId → its current syncSessionId
				done    = map[string]map[string]bool{} // orgId → requestIds of that session
				ran     effects
			)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, env, ok := genuine(key, r)
				if !ok {
					st.pass(w, r)
					return
				}
				mu.Lock()
				if session[env.OrgID] != env.SyncSessionID || done[env.OrgID] == nil {
					session[env.OrgID], done[env.OrgID] = env.SyncSessionID, map[string]bool{}
				}
				again := done[env.OrgID][env.RequestID]
				done[env.OrgID][env.RequestID] = true
				mu.Unlock()
				if again {
					reply(w, http.StatusOK, "")
					return
				}
				rec := st.apply(r.Context(), body)
				if rec.Code < 300 {
					ran.ran(env.OrgID, env.RequestID) // the side effects: the reference's roster upsert is idempotent, they are not
				}
				relay(w, rec)
			}), func(orgID string) probe.State { return ran.report(st.ref.State(orgID)) }
		},
	}
}

// DEL-EOD-RETRY and DEL-EARLY: a sync session superseded by a newer one
// (whose sync.events.initiated is stamped later) is taken for abandoned,
// and its batches are acknowledged and dropped. Tartan's EOD batch
// re-sends an older session's failed batches after newer sessions, so
// they are lost. Before those checks played a newer session before their
// EOD batch, this consumer passed.
func delDropsOlderSessions() subject {
	return subject{
		name:  "drops batches of superseded sessions",
		bug:   "acknowledges and drops the employee batches of a sync session older than the org's newest one",
		fails: []string{"DEL-EOD-RETRY", "DEL-EARLY"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			var (
				mu      sync.Mutex
				started = map[string]wire.Stamp{} // syncSessionId → its sync.events.initiated's stamp
				newest  = map[string]wire.Stamp{} // orgId → the newest of those
			)
			return acksAndDrops(key, func(_ *store, body []byte, _ envelope) bool {
				ef, err := wire.ParseEffect(body)
				if err != nil {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				if ef.Kind == wire.EffectSession {
					started[ef.SyncSessionID] = ef.Stamp
					if n, ok := newest[ef.OrgID]; !ok || n.OlderThan(ef.Stamp) {
						newest[ef.OrgID] = ef.Stamp
					}
				}
				s, known := started[ef.SyncSessionID]
				return ef.Kind == wire.EffectEmployees && known && s.OlderThan(newest[ef.OrgID]) // "a newer sync has replaced it"
			})
		},
	}
}

// DEL-EARLY: an update is an UPDATE of the employee's row, which affects
// nothing when the row is not there yet (its add failed, and comes back
// at EOD). The add, when it comes, stores the values it carried, older
// than the update's.
func delUpdateNeedsRow() subject {
	return subject{
		name:  "update of an unknown employee dropped",
		bug:   "applies sync.events.employee.update as an UPDATE of existing rows: an update of an employee whose add has not arrived is lost",
		fails: []string{"DEL-EARLY"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, env, ok := genuine(key, r)
				if !ok || env.Event != "sync.events.employee.update" {
					st.pass(w, r)
					return
				}
				rows := map[string]bool{}
				for _, e := range st.ref.State(env.OrgID).Employees {
					rows[employeeKey(e["employeeId"])] = true
				}
				existing, err := rewrite(body, func(doc *wire.Object) {
					keepRecords(doc, func(rec *wire.Object) bool {
						id, _ := rec.Get("employeeId")
						return rows[employeeKey(id)]
					})
				})
				if err != nil {
					reply(w, http.StatusBadRequest, "the body is not JSON")
					return
				}
				relay(w, st.apply(r.Context(), existing))
			}), st.ref.State
		},
	}
}

// DEL-EARLY: employee batches are filed under the org's connection row,
// and a batch for an org with none (its invite failed, and comes back at
// EOD) is acknowledged and dropped as "not our customer".
func delNeedsConnection() subject {
	return subject{
		name:  "batches before the invite dropped",
		bug:   "acknowledges and drops employee batches of an org it holds no connection for",
		fails: []string{"DEL-EARLY"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			return acksAndDrops(key, func(st *store, _ []byte, env envelope) bool {
				return employeeEvent(env.Event) && st.ref.State(env.OrgID).ConnectionStatus == "" // "unknown org: ignore"
			})
		},
	}
}

// arrivalStamped is a consumer that stamps some deliveries with the time
// they arrived (an updated_at = now() column) before the reference orders
// them: when restamp says so, the timeStamp Tartan sent is replaced.
func arrivalStamped(restamp func(env envelope, timeStamp string) bool) func([]byte) (http.Handler, func(string) probe.State) {
	return func(key []byte) (http.Handler, func(string) probe.State) {
		st := newStore(key)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, env, ok := genuine(key, r)
			if !ok {
				st.pass(w, r)
				return
			}
			stamped, err := rewrite(body, func(doc *wire.Object) {
				ts, _ := doc.Get("timeStamp")
				s, _ := ts.(string)
				if restamp(env, s) {
					doc.Set("timeStamp", time.Now().UTC().Format(wire.TimeStampLayout))
				}
			})
			if err != nil {
				reply(w, http.StatusBadRequest, "the body is not JSON")
				return
			}
			relay(w, st.apply(r.Context(), stamped))
		}), st.ref.State
	}
}

// LIFE-CONNECTION: the connection's status is ordered by when its event
// arrived, not by Tartan's timeStamp: an invite re-sent at EOD, after the
// termination, turns a terminated connection back to invited.
func lifeArrivalOrderedConnection() subject {
	return subject{
		name:  "connection ordered by arrival",
		bug:   "orders connection events by their arrival time: the last to arrive wins, an invite re-sent after the termination included",
		fails: []string{"LIFE-CONNECTION"},
		build: arrivalStamped(func(env envelope, _ string) bool { return strings.HasPrefix(env.Event, "connection.events.") }),
	}
}

// PAY-QUIRKS: a delivery with timeStamp "" is stamped with its arrival
// time ("better than nothing"), so it is newer than every real update of
// the same employees that follows, and they are skipped as stale.
func payStampsEmptyWithArrival() subject {
	return subject{
		name:  "empty timeStamp stamped on arrival",
		bug:   `takes the arrival time for a delivery whose timeStamp is "", so later real updates of the same employees are skipped as stale`,
		fails: []string{"PAY-QUIRKS"},
		build: arrivalStamped(func(_ envelope, ts string) bool { return ts == "" }),
	}
}
