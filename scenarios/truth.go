package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/wire"
)

// Truth is what a correct consumer holds, computed from the bytes of the
// genuine deliveries it acknowledged, with the rule Tartan's retries demand:
// a write applies unless it is older than what is stored (see the consumer
// package for the same rule, and docs/wire.md for why). Safe for concurrent use.
type Truth struct {
	mu   sync.Mutex
	orgs map[string]*OrgTruth
}

// OrgTruth is the expected state of one org.
type OrgTruth struct {
	OrgID            string
	ConnectionStatus string
	connStamp        wire.Stamp
	connUncertain    bool
	// Employees by employeeId: the record with the newest stamp.
	Employees map[string]map[string]any
	stamps    map[string]wire.Stamp
	// Applied holds the requestIds a correct consumer applied exactly once.
	Applied map[string]bool
	// Forged holds requestIds that must not have been applied.
	Forged map[string]bool
	// Uncertain holds requestIds the consumer may or may not have applied
	// (written, never acknowledged); what they touch is not judged.
	Uncertain          map[string]bool
	uncertainEmployees map[string]bool
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
			OrgID: id, Employees: map[string]map[string]any{}, stamps: map[string]wire.Stamp{},
			Applied: map[string]bool{}, Forged: map[string]bool{}, Uncertain: map[string]bool{},
			uncertainEmployees: map[string]bool{},
		}
		t.orgs[id] = o
	}
	return o
}

// clone returns a copy of t that changes independently of it. Records are
// replaced, never changed in place, so they are shared.
func (t *Truth) clone() *Truth {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := NewTruth()
	for id, o := range t.orgs {
		k := *o
		k.Employees, k.stamps = maps.Clone(o.Employees), maps.Clone(o.stamps)
		k.Applied, k.Forged, k.Uncertain = maps.Clone(o.Applied), maps.Clone(o.Forged), maps.Clone(o.Uncertain)
		k.uncertainEmployees = maps.Clone(o.uncertainEmployees)
		c.orgs[id] = &k
	}
	return c
}

// Forge records that d's requestId must have no effect.
func (t *Truth) Forge(d *Delivery) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.org(d.OrgID).Forged[d.RequestID] = true
}

// Apply applies a genuine delivery the consumer acknowledged.
func (t *Truth) Apply(d *Delivery) error { return t.apply(d, false) }

// Uncertain records a genuine delivery that was written but never
// acknowledged: the consumer may hold it or not.
func (t *Truth) Uncertain(d *Delivery) error { return t.apply(d, true) }

func (t *Truth) apply(d *Delivery, uncertain bool) error {
	// The body as the reference consumer reads it, and its ordering rule,
	// so the two cannot differ.
	ch, err := wire.ParseEffect(d.Body)
	if err != nil {
		return fmt.Errorf("scenarios: truth: delivery %d: %w", d.Seq, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.org(ch.OrgID)
	if uncertain {
		o.Uncertain[ch.RequestID] = true
	} else {
		if o.Applied[ch.RequestID] {
			return nil // a duplicate: applied once
		}
		o.Applied[ch.RequestID] = true
		delete(o.Uncertain, ch.RequestID)
	}
	switch ch.Kind {
	case wire.EffectEmployees:
		for _, r := range ch.Records {
			if uncertain {
				o.uncertainEmployees[r.ID] = true
				continue
			}
			if old, have := o.stamps[r.ID]; have && ch.Stamp.OlderThan(old) {
				continue
			}
			o.Employees[r.ID], o.stamps[r.ID] = r.Fields, ch.Stamp
		}
	case wire.EffectConnection:
		if !ch.HasStatus {
			return nil
		}
		if uncertain {
			o.connUncertain = true
			return nil
		}
		if o.ConnectionStatus != "" && ch.Stamp.OlderThan(o.connStamp) {
			return nil
		}
		o.ConnectionStatus, o.connStamp = ch.Status, ch.Stamp
	}
	return nil
}

// maxDiffs bounds the differences one org reports.
const maxDiffs = 12

// Compare holds the consumer's state of the org against the truth and
// returns the differences as plain sentences, at most maxDiffs of them plus
// a count of the rest. Employees touched by uncertain deliveries are not
// judged. applied is judged only when the state carries it.
func (o *OrgTruth) Compare(st probe.State) []string {
	return o.CompareWith(st, CompareAll)
}

// Aspect selects what CompareWith judges.
type Aspect int

const (
	// Records judges the employees: present once each, with the latest values.
	Records Aspect = 1 << iota
	// Connection judges connectionStatus.
	Connection
	// AppliedOnce judges the applied counts: each acknowledged delivery once.
	AppliedOnce
	// NoForgery judges that no forged delivery was applied (applied counts).
	NoForgery
	// CompareAll judges everything.
	CompareAll = Records | Connection | AppliedOnce | NoForgery
)

// CompareWith is Compare limited to the aspects in what.
func (o *OrgTruth) CompareWith(st probe.State, what Aspect) []string {
	diffs, _ := o.compare(st, what)
	return diffs
}

// compare is CompareWith, and whether a difference can never go away: a
// delivery applied more than once, or a forged one applied at all. No
// amount of waiting mends those.
func (o *OrgTruth) compare(st probe.State, what Aspect) (diffs []string, final bool) {
	add := func(format string, a ...any) { diffs = append(diffs, fmt.Sprintf(format, a...)) }

	if what&Connection != 0 && !o.connUncertain && st.ConnectionStatus != o.ConnectionStatus {
		add("connectionStatus is %q, want %q", st.ConnectionStatus, o.ConnectionStatus)
	}
	seen := map[string]int{}
	for _, got := range st.Employees {
		if what&Records == 0 {
			break
		}
		id, ok := wire.EmployeeKey(got["employeeId"])
		if !ok {
			add("holds an employee without an employeeId")
			continue
		}
		seen[id]++
		if seen[id] == 2 {
			add("holds employee %s more than once (a duplicate side effect)", id)
		}
		if seen[id] > 1 || o.uncertainEmployees[id] {
			continue
		}
		want, ok := o.Employees[id]
		if !ok {
			add("holds employee %s, which no acknowledged delivery carried", id)
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if w, has := want[k]; !has {
				add("employee %s has %s=%s, which was never sent", id, k, canonical(got[k]))
			} else if canonical(got[k]) != canonical(w) {
				add("employee %s has %s=%s, want %s", id, k, canonical(got[k]), canonical(w))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(o.Employees)) {
		if what&Records != 0 && seen[id] == 0 && !o.uncertainEmployees[id] {
			add("is missing employee %s (%v)", id, o.Employees[id]["name"])
		}
	}
	if len(st.Applied) > 0 {
		for _, rid := range slices.Sorted(maps.Keys(o.Applied)) {
			if n := st.Applied[rid]; what&AppliedOnce != 0 && n != 1 && !o.Uncertain[rid] {
				add("applied delivery %s %d times, want once", rid, n)
				final = final || n > 1
			}
		}
		for _, rid := range slices.Sorted(maps.Keys(o.Forged)) {
			if n := st.Applied[rid]; what&NoForgery != 0 && n > 0 {
				add("applied forged delivery %s (%d times), want never", rid, n)
				final = true
			}
		}
	}
	if len(diffs) > maxDiffs {
		rest := len(diffs) - maxDiffs
		diffs = append(diffs[:maxDiffs], fmt.Sprintf("and %d more differences", rest))
	}
	return diffs, final
}

// canonical renders a JSON value for comparison and messages: objects with
// sorted keys, numbers as written.
func canonical(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
