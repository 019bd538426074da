package conformance_test

// Correct consumers built otherwise than the reference and the queues of
// queue_test.go, as integrators build them: each must PASS every check,
// ten runs in a row, ten seeds, with no false FAIL.

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/wire"
)

// effectsOnly is the reference consumer whose applied counts hold only the
// deliveries that changed something: no sync.events.initiated, no event it
// ignores, no write made stale by a newer one. The contract allows it (a
// delivery that carried no value the truth keeps is applied "once or not at
// all"), and it must not be taken for work lost.
func effectsOnly() subject {
	return subject{
		name: "applied counts only what had effects",
		bug:  "none: counts in applied only the deliveries that changed something",
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			var ran effects
			c := consumer.New(key, consumer.Observe(func(v consumer.Decision) {
				if v.Outcome == consumer.OutcomeApplied && v.Records-v.Stale-v.Skipped > 0 {
					ran.ran(v.OrgID, v.RequestID)
				}
			}))
			return c, func(orgID string) probe.State { return ran.report(c.State(orgID)) }
		},
	}
}

// guarded is a consumer written from scratch: it verifies the raw bytes,
// records the requestId (a unique key) and queues the delivery, answering
// 202; workers apply the queue out of order, after slow work, and the
// ordering rule is a guard on each employee (and on the org's connection):
// its stamp is compared under the employee's own lock, at the write, never
// before the slow work. Its probe says how much waits.
type guarded struct {
	key  []byte
	lag  [2]time.Duration
	jobs chan wire.Effect

	mu   sync.Mutex // the requestIds, the orgs map and the lag source
	seen map[string]bool
	orgs map[string]*guardedOrg
	rng  *rand.Rand
}

type guardedOrg struct {
	mu        sync.Mutex // the maps and counts below; never held while an employee is written
	employees map[string]*guardedEmployee
	applied   map[string]int
	pending   int

	conn      sync.Mutex // the connection's guard
	status    string
	stamp     wire.Stamp
	hasStatus bool
}

type guardedEmployee struct {
	mu     sync.Mutex // the guard
	record map[string]any
	stamp  wire.Stamp
	set    bool
}

func guardedWorkers() subject {
	return subject{
		name: "workers out of order, a guard per employee",
		bug:  "none: applies from a queue, four workers out of order, each write guarded by its employee's stamp",
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			g := &guarded{
				key: key, lag: [2]time.Duration{time.Millisecond, 20 * time.Millisecond},
				jobs: make(chan wire.Effect, 1<<16), seen: map[string]bool{}, orgs: map[string]*guardedOrg{},
				rng: rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 11)),
			}
			for range 4 {
				go g.work()
			}
			DeferCleanup(func() { close(g.jobs) })
			return g, g.state
		},
	}
}

func (g *guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ef, ok := g.effect(w, r)
	if !ok {
		return
	}
	g.mu.Lock()
	if !g.seen[ef.RequestID] {
		g.seen[ef.RequestID] = true
		o := g.org(ef.OrgID)
		o.mu.Lock()
		o.pending++
		o.mu.Unlock()
		g.jobs <- ef
	}
	g.mu.Unlock()
	reply(w, http.StatusAccepted, "")
}

// effect reads a delivery whose signature verifies over the raw bytes,
// answering the request itself when there is none to apply (see
// signedBody; 400 for a body that is no complete envelope).
func (g *guarded) effect(w http.ResponseWriter, r *http.Request) (wire.Effect, bool) {
	body, ok := signedBody(g.key, w, r)
	if !ok {
		return wire.Effect{}, false
	}
	ef, err := wire.ParseEffect(body)
	if err == nil {
		err = ef.Complete()
	}
	if err != nil {
		reply(w, http.StatusBadRequest, "not a Tartan envelope")
		return wire.Effect{}, false
	}
	return ef, true
}

// org returns the org with id, creating it; g.mu is held.
func (g *guarded) org(id string) *guardedOrg {
	o := g.orgs[id]
	if o == nil {
		o = &guardedOrg{employees: map[string]*guardedEmployee{}, applied: map[string]int{}}
		g.orgs[id] = o
	}
	return o
}

func (g *guarded) work() {
	for ef := range g.jobs {
		g.mu.Lock()
		lag := g.lag[0] + time.Duration(g.rng.Int64N(int64(g.lag[1]-g.lag[0])))
		o := g.org(ef.OrgID)
		g.mu.Unlock()
		time.Sleep(lag) // the slow work: enrichment, a call to another service
		switch ef.Kind {
		case wire.EffectEmployees:
			for _, rec := range ef.Records {
				e := o.employee(rec.ID)
				e.mu.Lock() // the guard, at the write
				if e.newer(ef.Stamp) {
					e.record, e.stamp, e.set = rec.Fields, ef.Stamp, true
				}
				e.mu.Unlock()
			}
		case wire.EffectConnection:
			o.setStatus(ef)
		}
		o.mu.Lock()
		o.applied[ef.RequestID]++
		o.pending--
		o.mu.Unlock()
	}
}

// employee returns the employee with id, creating it.
func (o *guardedOrg) employee(id string) *guardedEmployee {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.employees[id]
	if e == nil {
		e = &guardedEmployee{}
		o.employees[id] = e
	}
	return e
}

// newer reports whether a write stamped s may replace what e holds (the
// ordering rule); e.mu is held.
func (e *guardedEmployee) newer(s wire.Stamp) bool { return !e.set || !s.OlderThan(e.stamp) }

// setStatus applies a connection event, its guard at the write.
func (o *guardedOrg) setStatus(ef wire.Effect) {
	if !ef.HasStatus {
		return
	}
	o.conn.Lock()
	defer o.conn.Unlock()
	if !o.hasStatus || !ef.Stamp.OlderThan(o.stamp) {
		o.status, o.stamp, o.hasStatus = ef.Status, ef.Stamp, true
	}
}

func (g *guarded) state(orgID string) probe.State {
	s := probe.State{OrgID: orgID, Employees: []map[string]any{}, Applied: map[string]int{}}
	g.mu.Lock()
	o := g.orgs[orgID]
	g.mu.Unlock()
	if o == nil {
		s.Pending = probe.NoPending()
		return s
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.pending
	s.Pending = &n
	for id, c := range o.applied {
		s.Applied[id] = c
	}
	ids := make([]string, 0, len(o.employees))
	for id := range o.employees {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := o.employees[id]
		e.mu.Lock()
		if e.set {
			s.Employees = append(s.Employees, e.record) // replaced, never changed in place
		}
		e.mu.Unlock()
	}
	o.conn.Lock()
	s.ConnectionStatus = o.status
	o.conn.Unlock()
	return s
}

var _ = Describe("correct consumers of other architectures", Label("architectures"), func() {
	// Ten runs each, ten seeds: a correct consumer is never failed, however
	// its work interleaves.
	for _, s := range []subject{effectsOnly(), guardedWorkers(), lifeDeclaredPurge()} {
		It(s.name+" passes every check, ten runs in a row", func(ctx context.Context) {
			base := uint64(GinkgoRandomSeed())
			for k := range uint64(10) {
				o := play(s, base+k)
				Expect(o.verdicts()).To(Equal(expected(s)), o.explain())
			}
		}, SpecTimeout(5*time.Minute))
	}
})
