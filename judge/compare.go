package judge

import (
	"maps"
	"slices"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/wire"
)

// Aspect selects what a comparison judges.
type Aspect int

const (
	// Records judges the employees: present once each, with the latest values.
	Records Aspect = 1 << iota
	// Connection judges connectionStatus.
	Connection
	// AppliedOnce judges the applied counts: no delivery twice, and each
	// that carried a value the truth keeps once.
	AppliedOnce
	// NoForgery judges that no forged delivery was applied (applied counts).
	NoForgery
	// CompareAll judges everything.
	CompareAll = Records | Connection | AppliedOnce | NoForgery
)

// Compare holds a consumer's state of the org against the truth, in the
// aspects what, and returns every difference in a stable order. Employees
// touched by uncertain deliveries are not judged; applied counts are judged
// only when the state carries them (the probe's applied is optional).
func (o *OrgTruth) Compare(st probe.State, what Aspect) []Difference {
	diffs, _ := o.compare(st, what)
	return diffs
}

// compare is Compare, and whether a difference can never go away.
func (o *OrgTruth) compare(st probe.State, what Aspect) (diffs []Difference, final bool) {
	add := func(d Difference) {
		diffs = append(diffs, d)
		final = final || d.Kind.Final()
	}
	if what&Connection != 0 && o.connUncertain == 0 && !o.connectionAccepts(st.ConnectionStatus) {
		held := canonical(st.ConnectionStatus)
		add(Difference{Kind: ConnectionDiffers, Expected: canonical(o.ConnectionStatus), Held: held, Delivery: o.carrier(o.conn.by), Forged: o.forgedStatus[held]})
	}
	if what&Records != 0 {
		o.compareRecords(st, add)
	}
	if len(st.Applied) > 0 {
		if what&AppliedOnce != 0 {
			for _, rid := range slices.Sorted(maps.Keys(o.Applied)) {
				n := st.Applied[rid]
				switch {
				case o.Uncertain[rid]:
				case n > 1:
					add(Difference{Kind: AppliedTwice, Times: n, Delivery: o.carrier(rid)})
				case n == 0 && o.mustApply(rid):
					add(Difference{Kind: NotApplied, Delivery: o.carrier(rid)})
				}
			}
		}
		if what&NoForgery != 0 {
			for _, rid := range slices.Sorted(maps.Keys(o.Forged)) {
				if n := st.Applied[rid]; n > 0 {
					add(Difference{Kind: ForgeryApplied, Times: n, Delivery: Carrier{RequestID: rid}})
				}
			}
		}
	}
	return diffs, final
}

// connectionAccepts reports whether status is the truth's, or one it ties
// with.
func (o *OrgTruth) connectionAccepts(status string) bool {
	if o.ConnectionStatus == "" {
		return status == ""
	}
	for _, c := range o.conn.candidates() {
		if c.value == status {
			return true
		}
	}
	return false
}

// terminated reports whether the truth's connection is terminated, and
// whether that is known: an uncertain connection event (written, never
// acknowledged) may have changed it.
func (o *OrgTruth) terminated() (ended, known bool) {
	if o.connUncertain > 0 {
		return false, false
	}
	if o.ConnectionStatus == "" {
		return false, true
	}
	for _, c := range o.conn.candidates() {
		if c.value != fixtures.StatusTerminated {
			return false, true
		}
	}
	return true, true
}

// compareRecords holds st's employees against the truth's. Records stay
// after a termination, unless st declares that its consumer purges on
// termination: then, once the org is terminated, none may remain (and
// while a connection event is uncertain, the records are not judged).
func (o *OrgTruth) compareRecords(st probe.State, add func(Difference)) {
	if st.Purges() {
		switch ended, known := o.terminated(); {
		case !known:
			return
		case ended:
			for _, got := range st.Employees {
				id, _ := wire.EmployeeKey(got["employeeId"])
				add(Difference{Kind: KeptAfterPurge, Employee: id, Delivery: o.carrier(o.conn.by)})
			}
			return
		}
	}
	seen := map[string]int{}
	for _, got := range st.Employees {
		id, ok := wire.EmployeeKey(got["employeeId"])
		if !ok {
			add(Difference{Kind: NoEmployeeID})
			continue
		}
		seen[id]++
		if seen[id] == 2 {
			add(Difference{Kind: DuplicateEmployee, Employee: id})
		}
		if seen[id] > 1 || o.uncertainEmployees[id] > 0 {
			continue
		}
		h, ok := o.records[id]
		if !ok {
			d := Difference{Kind: ExtraEmployee, Employee: id}
			if o.forgedValues[id] != nil {
				d.Forged = o.forgedField(id, "employeeId", canonical(got["employeeId"]))
			}
			add(d)
			continue
		}
		best := recordDiffs(id, got, h.value, o.carrier(h.by))
		for _, c := range h.ties {
			if len(best) == 0 {
				break
			}
			if alt := recordDiffs(id, got, c.value, o.carrier(c.by)); len(alt) < len(best) {
				best = alt
			}
		}
		for _, d := range best {
			if d.Kind == FieldDiffers || d.Kind == FieldNeverSent {
				d.Forged = o.forgedField(id, d.Field, d.Held)
			}
			add(d)
		}
	}
	for _, id := range o.employeeIDs() {
		if seen[id] == 0 && o.uncertainEmployees[id] == 0 {
			h := o.records[id]
			add(Difference{Kind: MissingEmployee, Employee: id, Expected: nameOf(h.value), Delivery: o.carrier(h.by)})
		}
	}
}

// recordDiffs compares one held record with one the truth accepts: each
// field held must equal the truth's.
func recordDiffs(id string, got, want map[string]any, by Carrier) []Difference {
	var out []Difference
	for _, k := range slices.Sorted(maps.Keys(got)) {
		w, has := want[k]
		g := canonical(got[k])
		switch {
		case !has:
			out = append(out, Difference{Kind: FieldNeverSent, Employee: id, Field: k, Held: g})
		case g != canonical(w):
			out = append(out, Difference{Kind: FieldDiffers, Employee: id, Field: k, Expected: canonical(w), Held: g, Delivery: by})
		}
	}
	return out
}

func nameOf(rec map[string]any) string {
	if s, ok := rec["name"].(string); ok {
		return s
	}
	return canonical(rec["name"])
}
