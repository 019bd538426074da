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
}

// fields are what a filter reads of an attempt.
type fields struct {
	outcome, expected, source, event, eventType, org, request, session string
	status                                                             int
	time                                                               time.Time
}

func fieldsOf(a *deliverylog.Attempt) fields {
	f := fields{outcome: OutcomeFailed, expected: ExpectedUnmet, source: string(a.Source), event: a.Event, eventType: a.EventType,
		org: a.OrgID, request: a.RequestID, session: a.SyncSessionID, status: a.Status, time: a.Time}
	if a.OK() {
		f.outcome = OutcomeOK
	}
	if a.Met() {
		f.expected = ExpectedMet
	}
	return f
}

// Match reports whether a passes f.
func (f Filter) Match(a *deliverylog.Attempt) bool { return f.match(fieldsOf(a)) }

func (f Filter) match(v fields) bool {
	switch {
	case f.Outcome != "" && v.outcome != f.Outcome,
		f.Expected != "" && v.expected != f.Expected,
		f.Source != "" && v.source != string(f.Source),
		f.RequestID != "" && v.request != f.RequestID,
		f.SyncSessionID != "" && v.session != f.SyncSessionID,
		!f.Since.IsZero() && v.time.Before(f.Since),
		!f.Until.IsZero() && !v.time.Before(f.Until):
		return false
	}
	if f.Org != "" && v.org != f.Org && (len(f.Org) < MinOrgPrefix || !strings.HasPrefix(v.org, f.Org)) {
		return false
	}
	if f.Status != "" && !statusMatch(f.Status, v.status) {
		return false
	}
	if f.Event != "" && v.event != f.Event {
		event, typ, ok := strings.Cut(f.Event, "/")
		if !ok || v.event != event || v.eventType != "sync.events."+typ {
			return false
		}
	}
	return true
}

// statusMatch reports whether status is the code or in the class ("4xx")
// that want, which ParseFilter checked.
func statusMatch(want string, status int) bool {
	if len(want) == 3 && want[1:] == "xx" {
		return status/100 == int(want[0]-'0')
	}
	n, _ := strconv.Atoi(want)
	return status == n
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
		return Filter{}, refuse(ErrBadInput, "expected", "expected %q is not met or unmet", f.Expected)
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
				return Filter{}, refuse(ErrBadInput, p.name, "%s %q is not a time like 2026-12-06T09:00:00Z", p.name, v)
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
