package conformance_test

// Broken consumers whose bug is in following an org's life (see broken_test.go).

import (
	"net/http"
	"slices"
	"sync"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/wire"
)

// LIFE-SYNC: the integrator's plan has 100 seats per org; employees beyond
// the first 100 are silently not stored.
func lifeSeatCap() subject {
	const seats = 100
	return subject{
		name: "100 seats",
		bug:  "stores at most 100 employees per org and silently drops the rest",
		// DEL-BURST's org has 300 employees and DEL-RACE's 150: their state
		// judgement sees the data lost behind a 2xx too.
		fails: []string{"DEL-RACE", "LIFE-SYNC", "DEL-BURST"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			var mu sync.Mutex
			held := map[string]map[string]bool{} // orgId → employeeIds stored
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if !verified(key, body, r) || err != nil || !employeeEvent(env.Event) {
					st.pass(w, r)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids := held[env.OrgID]
				if ids == nil {
					ids = map[string]bool{}
					held[env.OrgID] = ids
				}
				capped, err := rewrite(body, func(doc *wire.Object) {
					keepRecords(doc, func(rec *wire.Object) bool {
						idv, _ := rec.Get("employeeId")
						id := employeeKey(idv)
						if ids[id] || len(ids) < seats {
							ids[id] = true
							return true
						}
						return false
					})
				})
				if err != nil {
					reply(w, http.StatusBadRequest, "the body is not JSON")
					return
				}
				relay(w, st.apply(r.Context(), capped))
			}), st.ref.State
		},
	}
}

// LIFE-SYNC: a leaver (an update to status Not Active) is treated as a
// deletion: the roster keeps only active employees.
func lifeForgetsLeavers() subject {
	return subject{
		name:  "leavers deleted",
		bug:   "deletes an employee when an update makes them Not Active, so leavers vanish",
		fails: []string{"LIFE-SYNC"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			c := consumer.New(key)
			return c, func(orgID string) probe.State {
				s := c.State(orgID)
				s.Employees = slices.DeleteFunc(s.Employees, func(e map[string]any) bool { return e["status"] == "Not Active" })
				return s
			}
		},
	}
}

// LIFE-CONNECTION: only connection.events.requested is wired to the
// connection status; termination is acknowledged and ignored.
func lifeIgnoresTermination() subject {
	return subject{
		name:  "termination ignored",
		bug:   "acknowledges connection.events.terminated but never applies it",
		fails: []string{"LIFE-CONNECTION"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			return acksAndDrops(key, func(_ *store, _ []byte, env envelope) bool {
				return env.Event == "connection.events.terminated" // TODO: handle termination
			})
		},
	}
}

// terminatedStatus is connection.events.terminated's status.
const terminatedStatus = "CONNECTION_TERMINATED"

// purging is a consumer that deletes an org's employees when its
// connection is terminated, and stores none that arrive for a terminated
// org: the reference consumer, with its state reported as the purge leaves
// it. declare says whether its probe declares the purge (retention
// purge-on-termination), as the contract asks.
func purging(declare bool) func(key []byte) (http.Handler, func(string) probe.State) {
	return func(key []byte) (http.Handler, func(string) probe.State) {
		c := consumer.New(key)
		return c, func(orgID string) probe.State {
			s := c.State(orgID)
			if s.ConnectionStatus == terminatedStatus {
				s.Employees = []map[string]any{}
			}
			if declare {
				s.Retention = probe.PurgeOnTermination
			}
			return s
		}
	}
}

// LIFE-TERMINATION: the org's employees are deleted when its connection is
// terminated ("the customer left: drop their data"), and the probe does
// not say so: Tartan's data is lost for an integrator who expects records
// to stay. Before LIFE-TERMINATION no check judged records after a
// termination, and this consumer passed.
func lifeSilentPurge() subject {
	return subject{
		name:  "silent purge on termination",
		bug:   "deletes every employee of an org when its connection is terminated, without declaring a purge in its probe",
		fails: []string{"LIFE-TERMINATION"},
		build: purging(false),
	}
}

// The same purge, declared: a correct consumer (the contract allows a purge
// that the probe declares, and then none may remain).
func lifeDeclaredPurge() subject {
	return subject{
		name:  "declared purge on termination",
		bug:   "none: deletes an org's employees on termination, and its probe declares retention purge-on-termination",
		build: purging(true),
	}
}
