package consumer

import (
	"sort"
	"sync"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/wire"
)

// employee is one stored record and the stamp of the write that set it.
type employee struct {
	record map[string]any // as received; numbers are json.Number
	stamp  wire.Stamp
}

// org is everything held about one corporate.
type org struct {
	connection      string
	connectionStamp wire.Stamp
	hasConnection   bool
	employees       map[string]employee // by employeeId
	applied         map[string]int      // by requestId: times applied
}

// store holds what the consumer believes, per org. One mutex guards it all:
// the whole of a delivery (the requestId check and every write) happens under
// it, so two identical deliveries racing each other apply once. Nothing under
// the lock waits on I/O, so holding it is cheap.
type store struct {
	mu   sync.Mutex
	seen map[string]bool // requestIds already applied, across orgs
	orgs map[string]*org
}

func newStore() *store {
	return &store{seen: map[string]bool{}, orgs: map[string]*org{}}
}

// apply applies ch unless its requestId was applied before. It returns the
// outcome and how many of its writes were skipped as stale.
func (s *store) apply(ch wire.Effect) (Outcome, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[ch.RequestID] {
		return OutcomeDuplicate, 0
	}
	s.seen[ch.RequestID] = true
	o := s.org(ch.OrgID)
	o.applied[ch.RequestID]++

	stale := 0
	switch ch.Kind {
	case wire.EffectSession:
		// Nothing to store: the delivery is recorded as applied.
	case wire.EffectEmployees:
		for _, r := range ch.Records {
			if old, ok := o.employees[r.ID]; ok && ch.Stamp.OlderThan(old.stamp) {
				stale++
				continue
			}
			o.employees[r.ID] = employee{record: r.Fields, stamp: ch.Stamp}
		}
	case wire.EffectConnection:
		switch {
		case !ch.HasStatus:
		case o.hasConnection && ch.Stamp.OlderThan(o.connectionStamp):
			stale++
		default:
			o.connection, o.connectionStamp, o.hasConnection = ch.Status, ch.Stamp, true
		}
	case wire.EffectIgnored:
		return OutcomeIgnored, 0
	}
	return OutcomeApplied, stale
}

// org returns the org with id, creating it. Callers hold s.mu.
func (s *store) org(id string) *org {
	o := s.orgs[id]
	if o == nil {
		o = &org{
			employees: map[string]employee{},
			applied:   map[string]int{},
		}
		s.orgs[id] = o
	}
	return o
}

// state returns a copy of what is held about orgID; see Consumer.State.
func (s *store) state(orgID string) probe.State {
	st := probe.State{OrgID: orgID, Employees: []map[string]any{}, Applied: map[string]int{}, Pending: probe.NoPending()} // it applies before it answers
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[orgID]
	if o == nil {
		return st
	}
	st.ConnectionStatus = o.connection
	ids := make([]string, 0, len(o.employees))
	for id := range o.employees {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st.Employees = append(st.Employees, clone(o.employees[id].record).(map[string]any))
	}
	for id, n := range o.applied {
		st.Applied[id] = n
	}
	return st
}

// clone deep-copies a decoded JSON value, so callers of State own what they
// get and cannot reach into the store. Scalars are immutable and shared.
func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = clone(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = clone(e)
		}
		return s
	default:
		return v
	}
}
