package consumer

import (
	"sort"
	"sync"
	"time"
)

// TimeStampLayout is the layout of the envelope's timeStamp, always UTC.
const TimeStampLayout = "2006-01-02 15:04:05"

// stamp is the version of a write: when Tartan says the delivery was made,
// and where it sits in its sync session. See the package doc for the rule.
type stamp struct {
	known   bool      // false when timeStamp was empty or unparseable
	at      time.Time // UTC, meaningful only when known
	session string    // syncSessionId
	counter int64     // webhookCounter, 1-based within session; 0 if unreadable
}

// newStamp builds the stamp of a delivery from its envelope fields.
func newStamp(timeStamp, session string, counter int64) stamp {
	at, err := time.ParseInLocation(TimeStampLayout, timeStamp, time.UTC)
	return stamp{known: err == nil, at: at, session: session, counter: counter}
}

// olderThan reports whether s is strictly older than t. An unknown time is
// older than every known one; two unknown times are equal. Equal times in the
// same (non-empty) session compare by counter. Anything else is a tie, and a
// tie is not older: the later arrival wins.
func (s stamp) olderThan(t stamp) bool {
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
	stamp  stamp
}

// org is everything held about one corporate.
type org struct {
	connection      string
	connectionStamp stamp
	hasConnection   bool
	employees       map[string]employee  // by employeeId
	applied         map[string]int       // by requestId: times applied
	sessions        map[string]time.Time // by syncSessionId: when it started
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

// record is a parsed employee record and its key.
type record struct {
	id     string
	fields map[string]any
}

// change is a verified, parsed delivery, ready to apply.
type change struct {
	requestID string
	orgID     string
	stamp     stamp
	kind      kind
	records   []record // kindEmployees
	status    string   // kindConnection; hasStatus says whether body[0] had one
	hasStatus bool
	at        time.Time // arrival, from the consumer's clock
}

// kind is what a delivery does to state.
type kind int

const (
	kindUnknown    kind = iota // acknowledged and ignored
	kindSession                // sync.events.initiated
	kindEmployees              // upsert employee records
	kindConnection             // set the connection status
)

// apply applies ch unless its requestId was applied before. It returns the
// outcome and how many of its writes were skipped as stale.
func (s *store) apply(ch change) (Outcome, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[ch.requestID] {
		return OutcomeDuplicate, 0
	}
	s.seen[ch.requestID] = true
	o := s.org(ch.orgID)
	o.applied[ch.requestID]++

	stale := 0
	switch ch.kind {
	case kindSession:
		if _, ok := o.sessions[ch.stamp.session]; !ok {
			o.sessions[ch.stamp.session] = ch.at
		}
	case kindEmployees:
		for _, r := range ch.records {
			if old, ok := o.employees[r.id]; ok && ch.stamp.olderThan(old.stamp) {
				stale++
				continue
			}
			o.employees[r.id] = employee{record: r.fields, stamp: ch.stamp}
		}
	case kindConnection:
		switch {
		case !ch.hasStatus:
		case o.hasConnection && ch.stamp.olderThan(o.connectionStamp):
			stale++
		default:
			o.connection, o.connectionStamp, o.hasConnection = ch.status, ch.stamp, true
		}
	case kindUnknown:
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
			sessions:  map[string]time.Time{},
		}
		s.orgs[id] = o
	}
	return o
}

// state returns a copy of what is held about orgID; see Consumer.State.
func (s *store) state(orgID string) State {
	st := State{OrgID: orgID, Employees: []map[string]any{}, Applied: map[string]int{}}
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
