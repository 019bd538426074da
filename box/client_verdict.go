package box

import (
	"fmt"
	"time"

	"github.com/tartansim/tartansim/judge"
)

// A client that calls again more than HammerLimit times within
// HammerWindow of a failed call hammers rather than backs off: a client
// that doubles its wait from 100 ms (Stripe's and AWS's libraries start
// there or later) calls at most three times in that second.
const (
	HammerWindow = time.Second
	HammerLimit  = 3
)

// ClientCheck names what the client verdict checks of the consumer as a
// client of Tartan's API.
type ClientCheck string

// The checks, each after a call answered 429 or 5xx, or reset.
const (
	// CheckRetried: it called again rather than give up.
	CheckRetried ClientCheck = "retried"
	// CheckRetryAfter: it called again no earlier than Retry-After said.
	CheckRetryAfter ClientCheck = "retry-after"
	// CheckBackoff: it did not call again more than HammerLimit times within
	// HammerWindow.
	CheckBackoff ClientCheck = "backoff"
	// CheckConverged: its last call of the same method and path succeeded.
	CheckConverged ClientCheck = "converged"
)

// ClientFinding is one check the consumer failed, on one request (method,
// path and query).
type ClientFinding struct {
	Check  ClientCheck `json:"check"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"`
	// At is the failed call it is about.
	At  time.Time `json:"at"`
	Why string    `json:"why"`
}

// ClientVerdict is the box's verdict on the consumer as a client of
// Tartan's API: passed, failed (Findings name what it did) or nothing
// judged (it never called, or met no fault). Orgs judges each corporate's
// calls apart.
type ClientVerdict struct {
	Outcome judge.RunOutcome `json:"outcome"`
	Why     string           `json:"why"`
	// Faults is how many calls were answered 429 or 5xx, or reset.
	Faults   int             `json:"faults"`
	Findings []ClientFinding `json:"findings"`
	Calls    []Call          `json:"calls"`
	// Orgs are the verdicts on the calls that name each corporate (see
	// Call.Org), in the order each was first named; a call that names none
	// (token, resend) counts in the overall verdict only. Their Calls are
	// in the overall list; each one's own list is left out.
	Orgs []OrgClientVerdict `json:"orgs"`
}

// OrgClientVerdict is the client verdict on the calls about one corporate.
type OrgClientVerdict struct {
	OrgID    string           `json:"orgId"`
	Outcome  judge.RunOutcome `json:"outcome"`
	Why      string           `json:"why"`
	Faults   int              `json:"faults"`
	Findings []ClientFinding  `json:"findings"`
}

// ClientVerdict judges the calls received so far (see JudgeClient).
func (b *Box) ClientVerdict() ClientVerdict { return JudgeClient(b.Calls()) }

// OrgClientVerdict judges the calls received so far that name the org
// (its org_id or remote_org_id), with those calls: its verdict as a
// client about that corporate alone.
func (b *Box) OrgClientVerdict(orgID string) (ClientVerdict, error) {
	b.mu.Lock()
	o, err := b.known(orgID)
	b.mu.Unlock()
	if err != nil {
		return ClientVerdict{}, err
	}
	var mine []Call
	for _, c := range b.Calls() {
		if c.Org == o.id {
			mine = append(mine, c)
		}
	}
	v := judgeCalls(mine)
	v.Orgs = []OrgClientVerdict{}
	return v, nil
}

// JudgeClient judges a client from its calls, oldest first: after each
// call answered 429 or 5xx, or reset, the same request (method, path and
// query) must come again, up to its first success (Retried), no earlier than its Retry-After
// (RetryAfter), no more than HammerLimit within HammerWindow (Backoff),
// and the last of them must succeed (Converged). It judges all calls
// together, and the calls of each corporate apart (Orgs).
func JudgeClient(calls []Call) ClientVerdict {
	v := judgeCalls(calls)
	v.Orgs = []OrgClientVerdict{}
	var orgs []string
	byOrg := map[string][]Call{}
	for _, c := range calls {
		if c.Org == "" {
			continue
		}
		if _, seen := byOrg[c.Org]; !seen {
			orgs = append(orgs, c.Org)
		}
		byOrg[c.Org] = append(byOrg[c.Org], c)
	}
	for _, id := range orgs {
		ov := judgeCalls(byOrg[id])
		v.Orgs = append(v.Orgs, OrgClientVerdict{OrgID: id, Outcome: ov.Outcome, Why: ov.Why, Faults: ov.Faults, Findings: ov.Findings})
	}
	return v
}

// judgeCalls is JudgeClient on calls taken together, without Orgs.
func judgeCalls(calls []Call) ClientVerdict {
	v := ClientVerdict{Outcome: judge.NothingJudged, Findings: []ClientFinding{}, Calls: calls}
	if v.Calls == nil {
		v.Calls = []Call{}
	}
	if len(calls) == 0 {
		v.Why = "not judged as a client: the consumer never called Tartan's API"
		return v
	}
	type key struct{ method, path, query string }
	seen := map[key]map[ClientCheck]bool{}
	add := func(k key, c Call, check ClientCheck, why string) {
		if seen[k] == nil {
			seen[k] = map[ClientCheck]bool{}
		}
		if seen[k][check] {
			return
		}
		seen[k][check] = true
		v.Findings = append(v.Findings, ClientFinding{Check: check, Method: k.method, Path: k.path, Query: k.query, At: c.Time, Why: why})
	}
	for i, c := range calls {
		if !c.failed() {
			continue
		}
		v.Faults++
		k := key{c.Method, c.Path, c.Query}
		var later []Call // the same request again, up to its first success
		for _, n := range calls[i+1:] {
			if n.Method == c.Method && n.Path == c.Path && n.Query == c.Query {
				later = append(later, n)
				if !n.failed() {
					break
				}
			}
		}
		what := answered(c)
		if len(later) == 0 {
			add(k, c, CheckRetried, fmt.Sprintf("gave up: %s was %s and never called again", request(c), what))
			continue
		}
		if wait := later[0].Time.Sub(c.Time); c.RetryAfter > 0 && wait < c.RetryAfter {
			add(k, c, CheckRetryAfter, fmt.Sprintf("called again after %s although the answer said Retry-After: %d", wait, int(c.RetryAfter/time.Second)))
		}
		soon := 0
		for _, n := range later {
			if n.Time.Sub(c.Time) <= HammerWindow {
				soon++
			}
		}
		if soon > HammerLimit {
			add(k, c, CheckBackoff, fmt.Sprintf("hammered: called %d more times within %s of a call %s, where backing off calls at most %d", soon, HammerWindow, what, HammerLimit))
		}
		if last := later[len(later)-1]; last.failed() {
			add(k, c, CheckConverged, fmt.Sprintf("did not converge: retried %d times and the last call was %s", len(later), answered(last)))
		}
	}
	switch {
	case v.Faults == 0:
		v.Why = fmt.Sprintf("not judged as a client: none of its %d calls met a fault; arm faults on the API to judge it", len(calls))
	case len(v.Findings) > 0:
		v.Outcome = judge.RunFailed
		v.Why = fmt.Sprintf("%d of the checks failed after %d failed calls", len(v.Findings), v.Faults)
	default:
		v.Outcome = judge.RunPassed
		v.Why = fmt.Sprintf("retried each of %d failed calls, honoured Retry-After, backed off and converged", v.Faults)
	}
	return v
}

// request is the call as a person reads it: GET /api/...?query.
func request(c Call) string {
	if c.Query == "" {
		return c.Method + " " + c.Path
	}
	return c.Method + " " + c.Path + "?" + c.Query
}

// answered says how a failed call was answered.
func answered(c Call) string {
	if c.Fault == FaultReset {
		return "reset"
	}
	return fmt.Sprintf("answered %d", c.Status)
}
