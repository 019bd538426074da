package judge

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// Truth is what a correct consumer holds, computed from the bytes of the
// genuine deliveries it acknowledged, with the rule Tartan's retries demand:
// a write applies unless its stamp is older than what is held (wire.Stamp).
// Two writes of one employee whose stamps tie (Tartan's timeStamp has
// one-second resolution; two sessions can share a second) are both correct,
// and the judge accepts either. Safe for concurrent use.
type Truth struct {
	mu   sync.Mutex
	orgs map[string]*OrgTruth
}

// OrgTruth is the expected state of one org.
type OrgTruth struct {
	OrgID string
	// ConnectionStatus is the status of the newest connection event
	// acknowledged; "" when none.
	ConnectionStatus string
	conn             held[string]
	connUncertain    int // uncertain deliveries that may have set it
	// Employees by employeeId: the record of the newest write (of tied
	// writes, the last acknowledged; the others are accepted too).
	Employees map[string]map[string]any
	records   map[string]held[map[string]any]
	// Applied holds the requestIds of the genuine deliveries acknowledged.
	Applied map[string]bool
	// Forged holds requestIds that must not have been applied.
	Forged map[string]bool
	// Uncertain holds requestIds the consumer may or may not have applied
	// (written, never acknowledged); what they touch is not judged.
	Uncertain          map[string]bool
	uncertainEmployees map[string]int     // by employeeId: uncertain deliveries that touch it
	carriers           map[string]Carrier // by requestId
	// forgedValues holds what forged deliveries carried, to say of a held
	// value that a forgery put it there: employeeId → field → canonical
	// value → the forgery; forgedStatus is the same for connectionStatus.
	forgedValues map[string]map[string]map[string]Carrier
	forgedStatus map[string]Carrier
}

// Carrier names a delivery that carried a value: the delivery a difference
// is about.
type Carrier struct {
	RequestID string `json:"requestId"`
	Event     string `json:"event"`
	// Counter is the webhook's number in its sync session (webhookCounter).
	Counter int64 `json:"webhookCounter"`
}

// String is "requestId (event #counter)".
func (c Carrier) String() string {
	if c.RequestID == "" {
		return "no delivery"
	}
	return fmt.Sprintf("%s (%s #%d)", c.RequestID, c.Event, c.Counter)
}

// held is a value the truth keeps, the stamp of the write that set it, the
// delivery that carried it, and the values of writes it ties with.
type held[T any] struct {
	value T
	stamp wire.Stamp
	by    string // requestId
	ties  []tie[T]
}

type tie[T any] struct {
	value T
	by    string
}

// candidates are every value accepted: the kept one first, then its ties.
func (h held[T]) candidates() []tie[T] {
	return append([]tie[T]{{h.value, h.by}}, h.ties...)
}

// put applies a write of v stamped s by requestId rid to h; set reports
// whether h held anything. It reports whether the write changed what is
// kept (a tie adds a candidate and keeps the later arrival).
func put[T any](h *held[T], set bool, v T, s wire.Stamp, rid string) bool {
	if !set {
		*h = held[T]{value: v, stamp: s, by: rid}
		return true
	}
	switch s.Compare(h.stamp) {
	case wire.Older:
		return false
	case wire.Tie:
		h.ties = append(h.ties, tie[T]{h.value, h.by})
		h.value, h.by = v, rid
	default:
		*h = held[T]{value: v, stamp: s, by: rid}
	}
	return true
}

// NewTruth returns an empty truth.
func NewTruth() *Truth { return &Truth{orgs: map[string]*OrgTruth{}} }

// Org returns the expected state of orgID (empty for an unknown org).
func (t *Truth) Org(orgID string) *OrgTruth {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.org(orgID)
}

func (t *Truth) org(id string) *OrgTruth {
	o, ok := t.orgs[id]
	if !ok {
		o = &OrgTruth{
			OrgID: id, Employees: map[string]map[string]any{}, records: map[string]held[map[string]any]{},
			Applied: map[string]bool{}, Forged: map[string]bool{}, Uncertain: map[string]bool{},
			uncertainEmployees: map[string]int{}, carriers: map[string]Carrier{},
		}
		t.orgs[id] = o
	}
	return o
}

// Clone returns a copy of t that changes independently of it. Records are
// replaced, never changed in place, so they are shared.
func (t *Truth) Clone() *Truth {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := NewTruth()
	for id, o := range t.orgs {
		k := *o
		k.Employees, k.records = maps.Clone(o.Employees), maps.Clone(o.records)
		k.Applied, k.Forged, k.Uncertain = maps.Clone(o.Applied), maps.Clone(o.Forged), maps.Clone(o.Uncertain)
		k.uncertainEmployees, k.carriers = maps.Clone(o.uncertainEmployees), maps.Clone(o.carriers)
		k.forgedValues, k.forgedStatus = cloneForged(o.forgedValues), maps.Clone(o.forgedStatus)
		c.orgs[id] = &k
	}
	return c
}

// Forge records that requestID, about orgID, must have no effect.
func (t *Truth) Forge(orgID, requestID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.org(orgID).Forged[requestID] = true
}

// ForgeBody records that the delivery body, forged, must have no effect
// (as Forge does for its requestId), and keeps what it carried: a
// Difference whose held value only the forgery carried names it (Forged),
// so that the check about forgeries, and no other, owns that difference.
// Bytes that are no envelope are refused with an error, as by Apply.
func (t *Truth) ForgeBody(body []byte) error {
	ef, err := wire.ParseEffect(body)
	if err != nil {
		return show.Refuse("judge", "truth: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.org(ef.OrgID)
	o.Forged[ef.RequestID] = true
	c := Carrier{RequestID: ef.RequestID, Event: ef.Event, Counter: ef.WebhookCounter}
	switch ef.Kind {
	case wire.EffectEmployees:
		if o.forgedValues == nil {
			o.forgedValues = map[string]map[string]map[string]Carrier{}
		}
		for _, r := range ef.Records {
			fields := o.forgedValues[r.ID]
			if fields == nil {
				fields = map[string]map[string]Carrier{}
				o.forgedValues[r.ID] = fields
			}
			for k, v := range r.Fields {
				if fields[k] == nil {
					fields[k] = map[string]Carrier{}
				}
				fields[k][canonical(v)] = c
			}
		}
	case wire.EffectConnection:
		if ef.HasStatus {
			if o.forgedStatus == nil {
				o.forgedStatus = map[string]Carrier{}
			}
			o.forgedStatus[canonical(ef.Status)] = c
		}
	}
	return nil
}

// cloneForged copies forgedValues to its last level, which ForgeBody
// changes in place.
func cloneForged(m map[string]map[string]map[string]Carrier) map[string]map[string]map[string]Carrier {
	if m == nil {
		return nil
	}
	c := make(map[string]map[string]map[string]Carrier, len(m))
	for id, fields := range m {
		cf := make(map[string]map[string]Carrier, len(fields))
		for k, vs := range fields {
			cf[k] = maps.Clone(vs)
		}
		c[id] = cf
	}
	return c
}

// forgedField names the forgery that carried value for the employee's
// field, when one did.
func (o *OrgTruth) forgedField(id, field, value string) Carrier {
	return o.forgedValues[id][field][value]
}

// Apply applies the body of a genuine delivery the consumer acknowledged.
// A second Apply of the same requestId changes nothing: applied once. The
// error is for bytes that are no envelope at all.
func (t *Truth) Apply(body []byte) error { return t.apply(body, false) }

// Uncertain records the body of a genuine delivery that was written but
// never acknowledged: the consumer may hold it or not, so what it touches
// is not judged until a later acknowledgement of the same bytes.
func (t *Truth) Uncertain(body []byte) error { return t.apply(body, true) }

func (t *Truth) apply(body []byte, uncertain bool) error {
	ef, err := wire.ParseEffect(body)
	if err != nil {
		return show.Refuse("judge", "truth: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.org(ef.OrgID)
	o.carriers[ef.RequestID] = Carrier{RequestID: ef.RequestID, Event: ef.Event, Counter: ef.WebhookCounter}
	wasUncertain := o.Uncertain[ef.RequestID]
	switch {
	case o.Applied[ef.RequestID] || uncertain && wasUncertain:
		return nil // applied once; uncertain once
	case uncertain:
		o.Uncertain[ef.RequestID] = true
	default:
		o.Applied[ef.RequestID] = true
		delete(o.Uncertain, ef.RequestID)
	}
	// A delivery once uncertain and now acknowledged no longer hides what
	// it touches.
	step := 0
	switch {
	case uncertain:
		step = 1
	case wasUncertain:
		step = -1
	}
	switch ef.Kind {
	case wire.EffectEmployees:
		for _, r := range ef.Records {
			if step != 0 {
				if o.uncertainEmployees[r.ID] += step; o.uncertainEmployees[r.ID] <= 0 {
					delete(o.uncertainEmployees, r.ID)
				}
			}
			if uncertain {
				continue
			}
			h, set := o.records[r.ID]
			if put(&h, set, r.Fields, ef.Stamp, ef.RequestID) {
				o.records[r.ID], o.Employees[r.ID] = h, h.value
			}
		}
	case wire.EffectConnection:
		if ef.HasStatus {
			o.connUncertain += step
		}
		switch {
		case !ef.HasStatus, uncertain:
		default:
			if put(&o.conn, o.ConnectionStatus != "", ef.Status, ef.Stamp, ef.RequestID) {
				o.ConnectionStatus = o.conn.value
			}
		}
	}
	return nil
}

// mustApply reports whether requestID carried a value the truth keeps (a
// record, the connection status): a correct consumer applied it exactly
// once. Other acknowledged deliveries (a session's start, an unknown event,
// a write made stale by a newer one, either of two writes whose stamps tie)
// were applied once or not at all.
func (o *OrgTruth) mustApply(requestID string) bool {
	if o.ConnectionStatus != "" && o.connUncertain == 0 && o.conn.by == requestID && len(o.conn.ties) == 0 {
		return true
	}
	for id, h := range o.records {
		if h.by == requestID && len(h.ties) == 0 && o.uncertainEmployees[id] == 0 {
			return true
		}
	}
	return false
}

// carrier names the delivery requestID.
func (o *OrgTruth) carrier(requestID string) Carrier {
	if c, ok := o.carriers[requestID]; ok {
		return c
	}
	return Carrier{RequestID: requestID}
}

// employeeIDs returns the employees the truth holds, sorted.
func (o *OrgTruth) employeeIDs() []string { return slices.Sorted(maps.Keys(o.records)) }
