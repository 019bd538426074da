package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// Sources of an attempt: what made it.
const (
	SourceTest        = "test"        // Test a webhook
	SourceResend      = "resend"      // a resend of a logged attempt's bytes
	SourceEOD         = "eod"         // an EOD batch, scheduled or asked for
	SourceScenario    = "scenario"    // a built-in scenario run from the console
	SourceConformance = "conformance" // a conformance check run from the console
	SourceAPI         = "api"         // a webhook the mock Tartan API sent (see Server.Record)
)

// Kinds of an attempt: its place among the sends of its bytes, as the
// delivery log names them.
const (
	KindFirst     = string(deliverylog.First)
	KindDuplicate = string(deliverylog.Duplicate)
	KindEOD       = string(deliverylog.EOD)
	KindResend    = string(deliverylog.Resend)
)

// Outcomes of an attempt, as the deliveries filter names them.
const (
	OutcomeOK     = "ok"     // answered 2xx
	OutcomeFailed = "failed" // anything else: Tartan re-sends it at EOD
)

// Attempt is one send of a webhook's bytes, as the log keeps it: the exact
// request (the key never is in it; the signature header is) and the answer.
// It is plain data.
type Attempt struct {
	Summary
	// Target is the webhook URL the attempt went to, without its password
	// or query values (sender.RedactURL).
	Target string `json:"target"`
	// Headers and Body are the exact request, header names spelled as sent.
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
	// Answer holds the first bytes of the response body.
	Answer string `json:"answer"`
}

// Summary is what the deliveries list shows of an attempt; the log keeps
// summaries of its newest attempts in memory.
type Summary struct {
	// ID numbers attempts from 1 in the order they were made.
	ID int64 `json:"id"`
	// Delivery is the ID of the first attempt of these bytes: a resend
	// or an EOD re-send shares it with the attempt it repeats.
	Delivery int64     `json:"delivery"`
	Time     time.Time `json:"time"`
	// Source says what made the attempt: test, resend, eod, scenario,
	// conformance or api; Run names the scenario or the check.
	Source string `json:"source"`
	Run    string `json:"run,omitempty"`
	// RunID is the console run that made the attempt (source scenario or
	// conformance).
	RunID string `json:"runId,omitempty"`
	// Kind is the attempt's place among the sends of its bytes: first,
	// duplicate, eod or resend.
	Kind      string `json:"kind"`
	Event     string `json:"event"`
	EventType string `json:"eventType"`
	OrgID     string `json:"orgId"`
	RequestID string `json:"requestId"`
	// Forged marks a delivery Tartan would never send (a bad signature,
	// a body changed after signing): never re-sent at EOD.
	Forged bool `json:"forged,omitempty"`
	// Status is the HTTP status of the answer, 0 when there was none.
	Status    int     `json:"status"`
	Class     string  `json:"class"`
	LatencyMs float64 `json:"latencyMs"`
	// Outcome is ok or failed; Result says it in words: "200 OK in 3ms",
	// "connection refused".
	Outcome string `json:"outcome"`
	Result  string `json:"result"`
}

// OK reports whether the consumer acknowledged the attempt.
func (s Summary) OK() bool { return s.Outcome == OutcomeOK }

// envelope is what an attempt records of a body's top-level fields.
type envelope struct {
	RequestID string `json:"requestId"`
	OrgID     string `json:"orgId"`
	Event     string `json:"event"`
	EventType string `json:"eventType"`
}

// readEnvelope reads what it can of body's envelope; a body that is not an
// object gives empty fields.
func readEnvelope(body []byte) envelope {
	var e envelope
	_ = json.Unmarshal(body, &e)
	return e
}

// newAttempt makes the log's record of one send of d to target.
func newAttempt(source, run, kind string, target string, d sender.Delivery, res sender.Result) Attempt {
	env := readEnvelope(d.Body)
	a := Attempt{
		Summary: Summary{
			Time: res.Start, Source: source, Run: run, Kind: kind,
			Event: env.Event, EventType: env.EventType, OrgID: env.OrgID, RequestID: env.RequestID,
			Status: res.Status, Class: res.Class.String(),
			LatencyMs: float64(res.Latency.Microseconds()) / 1000,
			Outcome:   OutcomeFailed, Result: res.Summary(),
		},
		Target:  show.URL(target),
		Headers: map[string][]string(d.Header.Clone()),
		Body:    string(d.Body),
		Answer:  string(res.Snippet),
	}
	if a.Headers == nil {
		a.Headers = map[string][]string{}
	}
	if res.OK() {
		a.Outcome = OutcomeOK
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	return a
}

// Request returns the attempt's exact request, to send again.
func (a Attempt) Request() sender.Delivery {
	return sender.Delivery{Body: []byte(a.Body), Header: http.Header(a.Headers).Clone()}
}

// Entry returns the attempt as a line of the replay log, which
// `tartansim replay` reads.
func (a Attempt) Entry() deliverylog.Attempt {
	return deliverylog.Attempt{
		ID: a.ID, Delivery: a.Delivery, Time: a.Time, Source: deliverylog.Source(a.Source), Run: a.Run, Kind: deliverylog.Kind(a.Kind),
		Event: a.Event, EventType: a.EventType, OrgID: a.OrgID, RequestID: a.RequestID, Forged: a.Forged,
		Target: a.Target, Headers: a.Headers, Body: a.Body, Status: a.Status, Class: a.Class, Latency: a.LatencyMs,
		Result: a.Result, Answer: a.Answer,
	}
}

// Filter selects attempts in the deliveries list. Empty fields match all.
type Filter struct {
	// Event matches the envelope's event name, or a catalogue ID
	// ("sync.events.employee.add/delta": the event and its type).
	Event string `json:"event,omitempty"`
	// Org matches the envelope's orgId.
	Org string `json:"org,omitempty"`
	// Outcome is ok or failed.
	Outcome string `json:"outcome,omitempty"`
}

// Match reports whether s passes f.
func (f Filter) Match(s *Summary) bool {
	if f.Outcome != "" && s.Outcome != f.Outcome {
		return false
	}
	if f.Org != "" && s.OrgID != f.Org {
		return false
	}
	if f.Event != "" && s.Event != f.Event {
		event, typ, ok := strings.Cut(f.Event, "/")
		if !ok || s.Event != event || s.EventType != "sync.events."+typ {
			return false
		}
	}
	return true
}
