package console

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
)

// MinOrgPrefix is the fewest characters of an orgId the org filter takes
// as a prefix; a shorter value must be the whole orgId.
const MinOrgPrefix = 4

// Filter selects attempts in the deliveries list and the export. Empty
// fields match all.
type Filter struct {
	// Event matches the envelope's event name, or a catalogue ID
	// ("sync.events.employee.add/delta": the event and its type).
	Event string `json:"event,omitempty"`
	// Org matches an orgId that starts with it (at least MinOrgPrefix
	// characters), or equals it.
	Org string `json:"org,omitempty"`
	// RequestID and SyncSessionID match the envelope's fields exactly.
	RequestID     string `json:"requestId,omitempty"`
	SyncSessionID string `json:"syncSessionId,omitempty"`
	// Status is an HTTP status ("401", "0": no answer) or a class ("4xx").
	Status string `json:"status,omitempty"`
	// Expected is met or unmet (deliverylog.Attempt.Met).
	Expected string `json:"expected,omitempty"`
	// Source is what made the delivery (deliverylog.Source).
	Source deliverylog.Source `json:"source,omitempty"`
	// Since and Until bound the attempt's time: Since <= time < Until.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Outcome is ok or failed.
	Outcome string `json:"outcome,omitempty"`

	// named are the orgIds whose org's name Org starts with, as the
	// server's OrgNames says: Org matches them too.
	named []string
}

// The fields a filter reads of an attempt, in the order of an index
// record's prefix (see indexValue), each as bytes: the filter reads the
// index without decoding anything.
const (
	fOutcome = iota
	fExpected
	fSource
	fStatus
	fEvent
	fEventType
	fOrg
	fRequest
	fSession
	fTime // Unix nanoseconds, decimal
	indexFields
)

type fields [indexFields][]byte

// fieldsOf is what the filter reads of a.
func fieldsOf(a *deliverylog.Attempt) fields {
	var v fields
	v[fOutcome], v[fExpected] = []byte(OutcomeFailed), []byte(ExpectedUnmet)
	if a.OK() {
		v[fOutcome] = []byte(OutcomeOK)
	}
	if a.Met() {
		v[fExpected] = []byte(ExpectedMet)
	}
	v[fSource], v[fStatus] = []byte(a.Source), strconv.AppendInt(nil, int64(a.Status), 10)
	v[fEvent], v[fEventType], v[fOrg] = []byte(a.Event), []byte(a.EventType), []byte(a.OrgID)
	v[fRequest], v[fSession] = []byte(a.RequestID), []byte(a.SyncSessionID)
	v[fTime] = strconv.AppendInt(nil, a.Time.UnixNano(), 10)
	return v
}

// Match reports whether a passes f.
func (f Filter) Match(a *deliverylog.Attempt) bool {
	v := fieldsOf(a)
	return f.match(&v)
}

// match is the one rule of the filter, on an attempt's fields. It does
// not allocate: a filter that matches nothing reads a long log's whole
// index.
func (f Filter) match(v *fields) bool {
	switch {
	case f.Outcome != "" && string(v[fOutcome]) != f.Outcome,
		f.Expected != "" && string(v[fExpected]) != f.Expected,
		f.Source != "" && string(v[fSource]) != string(f.Source),
		f.RequestID != "" && string(v[fRequest]) != f.RequestID,
		f.SyncSessionID != "" && string(v[fSession]) != f.SyncSessionID:
		return false
	}
	if f.Org != "" && string(v[fOrg]) != f.Org {
		org := v[fOrg]
		if (len(f.Org) < MinOrgPrefix || len(org) < len(f.Org) || string(org[:len(f.Org)]) != f.Org) && !f.isNamed(org) {
			return false
		}
	}
	if f.Status != "" && !statusMatch(f.Status, v[fStatus]) {
		return false
	}
	if !f.Since.IsZero() || !f.Until.IsZero() {
		t := decimal(v[fTime])
		if (!f.Since.IsZero() && t < f.Since.UnixNano()) || (!f.Until.IsZero() && t >= f.Until.UnixNano()) {
			return false
		}
	}
	if f.Event != "" && string(v[fEvent]) != f.Event {
		event, typ, ok := strings.Cut(f.Event, "/")
		const prefix = "sync.events."
		et := v[fEventType]
		if !ok || string(v[fEvent]) != event || len(et) != len(prefix)+len(typ) || string(et[:len(prefix)]) != prefix || string(et[len(prefix):]) != typ {
			return false
		}
	}
	return true
}

// isNamed reports whether org is one of the orgs named by the filter's Org.
func (f Filter) isNamed(org []byte) bool {
	for _, id := range f.named {
		if string(org) == id {
			return true
		}
	}
	return false
}

// decimal reads a decimal integer written by strconv.AppendInt; anything
// else reads as 0.
func decimal(b []byte) int64 {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// statusMatch reports whether status is the code or in the class ("4xx")
// that want, which ParseFilter checked.
func statusMatch(want string, status []byte) bool {
	if len(want) == 3 && want[1:] == "xx" {
		return len(status) == 3 && status[0] == want[0]
	}
	return string(status) == want
}

// filterParams are the query parameters of the deliveries list and the
// export, beside the filter's: paging.
var filterParams = []string{"event", "org", "requestId", "syncSessionId", "status", "expected", "source", "since", "until", "outcome", "before", "limit"}

// sources are the sources a filter may name.
var sources = []deliverylog.Source{deliverylog.FromConsole, deliverylog.FromRun, deliverylog.FromConformance, deliverylog.FromAPI}

// ParseFilter reads a filter from the query of GET
// /api/console/deliveries or /api/console/export. An unknown parameter or
// a value that cannot be read is an error naming the parameter (see
// Refusal); paging (before, limit) is left to the caller.
func ParseFilter(q url.Values) (Filter, error) {
	for k := range q {
		if !slices.Contains(filterParams, k) {
			return Filter{}, refuse(ErrBadInput, k, "there is no filter %q; the filters are %s", k, strings.Join(filterParams, ", "))
		}
	}
	f := Filter{Event: q.Get("event"), Org: strings.TrimSpace(q.Get("org")), RequestID: strings.TrimSpace(q.Get("requestId")),
		SyncSessionID: strings.TrimSpace(q.Get("syncSessionId")), Status: q.Get("status"), Expected: q.Get("expected"),
		Source: deliverylog.Source(q.Get("source")), Outcome: q.Get("outcome")}
	if f.Outcome != "" && f.Outcome != OutcomeOK && f.Outcome != OutcomeFailed {
		return Filter{}, refuse(ErrBadInput, "outcome", "the outcome %q is not ok or failed", f.Outcome)
	}
	if f.Expected != "" && f.Expected != ExpectedMet && f.Expected != ExpectedUnmet {
		return Filter{}, refuse(ErrBadInput, "expected", "the value %q of expected is not met or unmet", f.Expected)
	}
	if f.Source != "" && !slices.Contains(sources, f.Source) {
		return Filter{}, refuse(ErrBadInput, "source", "the source %q is not one of console, run, conformance, api", f.Source)
	}
	if f.Status != "" && !validStatus(f.Status) {
		return Filter{}, refuse(ErrBadInput, "status", "the status %q is not an HTTP status like 401 or a class like 4xx", f.Status)
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return Filter{}, refuse(ErrBadInput, p.name, "the value %q of %s is not a time like 2026-12-06T09:00:00Z", v, p.name)
			}
			*p.t = t
		}
	}
	return f, nil
}

func validStatus(s string) bool {
	if len(s) == 3 && s[1:] == "xx" {
		return s[0] >= '1' && s[0] <= '5'
	}
	n, err := strconv.Atoi(s)
	return err == nil && (n == 0 || (n >= 100 && n <= 599)) && strconv.Itoa(n) == s
}
