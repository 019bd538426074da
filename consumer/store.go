package consumer

import (
	"sort"
	"sync"
	"time"
)

// TimeStampLayout is the layout of the envelope's timeStamp, always UTC.
const TimeStampLayout = time.DateTime

// Stamp is the version of a write: when Tartan says the delivery was made,
// and where it sits in its sync session. Its OlderThan is the ordering rule
// the reference consumer applies (see the package doc); other code that must
// agree with the reference uses it. Build one with NewStamp.
type Stamp struct {
	known   bool      // false when timeStamp was empty or unparseable
	at      time.Time // UTC, meaningful only when known
	session string    // syncSessionId
	counter int64     // webhookCounter, 1-based within session; 0 if unreadable
}

// NewStamp builds the stamp of a delivery from its envelope fields:
// timeStamp (TimeStampLayout, UTC; empty or unparseable is unknown),
// syncSessionId and webhookCounter.
func NewStamp(timeStamp, session string, counter int64) Stamp {
	at, err := time.ParseInLocation(TimeStampLayout, timeStamp, time.UTC)
	return Stamp{known: err == nil, at: at, session: session, counter: counter}
}

// OlderThan reports whether s is strictly older than t, so that a write
// stamped s must not overwrite one stamped t. An unknown time is older than
// every known one; two unknown times are equal. Equal times in the same
// (non-empty) session compare by counter. Anything else is a tie, and a tie
// is not older: the later arrival wins.
func (s Stamp) OlderThan(t Stamp) bool {
	switch {
	case s.known != t.known:
		return !s.known
	case s.known && !s.at.Equal(t.at):
		return s.at.Before(t.at)
	case s.session != "" && s.session == t.session:
		return s.counter < t.counter
	default:
		return false
	}
}

// employee is one stored record and the stamp of the write that set it.
type employee struct {
	record map[string]any // as received; numbers are json.Number
	stamp  Stamp
}

// org is everything held about one corporate.
type org struct {
	connection      string
	connectionStamp Stamp
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
func (s *store) apply(ch Effect) (Outcome, int) {
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
	case EffectSession:
		// Nothing to store: the delivery is recorded as applied.
	case EffectEmployees:
		for _, r := range ch.Records {
			if old, ok := o.employees[r.ID]; ok && ch.Stamp.OlderThan(old.stamp) {
				stale++
				continue
			}
			o.employees[r.ID] = employee{record: r.Fields, stamp: ch.Stamp}
		}
	case EffectConnection:
		switch {
		case !ch.HasStatus:
		case o.hasConnection && ch.Stamp.OlderThan(o.connectionStamp):
			stale++
		default:
			o.connection, o.connectionStamp, o.hasConnection = ch.Status, ch.Stamp, true
		}
	case EffectIgnored:
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
func (s *store) state(orgID string) State {
	st := State{OrgID: orgID, Employees: []map[string]any{}, Applied: map[string]int{}, Pending: NoPending()} // it applies before it answers
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
