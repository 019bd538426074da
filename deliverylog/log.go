// Package deliverylog is tartansim's one record of what was sent: an
// Attempt is one send of a delivery's exact bytes (the key never is in it;
// the signature header is) and what came of it, and the log is one NDJSON
// line per attempt. `run --record` and `load --record` write it, the box
// and the console keep it, `replay` reads it back and re-sends it, keeping
// the signatures or re-signing with another key.
//
// The rule of Tartan's end-of-day retry is here too (DueAtEOD), so every
// door re-sends the same deliveries.
//
// A Writer bounds what a crash of the writing process can lose (see
// FlushInterval), and a Reader salvages a log whose last line a crash tore
// (see Reader.Torn).
package deliverylog

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// Kind is an attempt's place among the sends of one delivery's bytes.
type Kind string

// The kinds of attempt.
const (
	// First is a delivery's first send.
	First Kind = "first"
	// Duplicate is an extra identical copy sent with the first, as Tartan's
	// retries sometimes do.
	Duplicate Kind = "duplicate"
	// EOD is the end-of-day batch's re-send of a failed delivery.
	EOD Kind = "eod"
	// Resend is a re-send asked for by hand (Tartan's console, its resend
	// API, the console's Resend).
	Resend Kind = "resend"
	// Load is a send of a load run, which re-sends nothing.
	Load Kind = "load"
	// DryRun is a send that was only planned (run --dry-run).
	DryRun Kind = "dry-run"
)

// Source is what made a delivery: the door that built it.
type Source string

// The sources of a delivery.
const (
	FromRun         Source = "run"         // a scenario played by run, the console or go test
	FromConformance Source = "conformance" // a conformance check
	FromConsole     Source = "console"     // the console's Test a webhook
	FromAPI         Source = "api"         // the mock Tartan API (Tartan in a box)
	FromLoad        Source = "load"        // a load run
	FromReplay      Source = "replay"      // a replay of a log
)

// Expect is what was expected of the consumer for one attempt.
type Expect string

// The expectations.
const (
	// Expect2xx: a genuine delivery, to be acknowledged.
	Expect2xx Expect = "2xx"
	// Expect4xx: a forged delivery (a bad signature, a body changed after
	// signing), to be rejected.
	Expect4xx Expect = "4xx"
	// ExpectNothing: tartansim failed the attempt on purpose (dropped it, or
	// lost the answer): nothing was expected of the consumer.
	ExpectNothing Expect = "nothing"
)

// Attempt is one line of a delivery log: one send of a delivery's exact
// bytes, and the answer.
type Attempt struct {
	// ID numbers a log's attempts from 1; Delivery is the ID of the first
	// attempt of the same bytes (a duplicate, an EOD re-send or a resend
	// shares it), or the delivery's own number in its run.
	ID       int64 `json:"id,omitempty"`
	Delivery int64 `json:"delivery"`
	// Time is when the attempt started, in real time (RFC 3339 with
	// nanoseconds); replay paces by it.
	Time   time.Time `json:"time"`
	Source Source    `json:"source"`
	// Run names the scenario, the check or the load profile that made it.
	Run  string `json:"run,omitempty"`
	Kind Kind   `json:"kind"`
	// Step is the 1-based step of the scenario that made it, and At its
	// moment on the scenario's clock ("day 1 09:00:00").
	Step int    `json:"step,omitempty"`
	At   string `json:"at,omitempty"`
	// The envelope of the body, as read when it was logged.
	Event          string `json:"event,omitempty"`
	EventType      string `json:"eventType,omitempty"`
	OrgID          string `json:"orgId,omitempty"`
	RequestID      string `json:"requestId,omitempty"`
	SyncSessionID  string `json:"syncSessionId,omitempty"`
	WebhookCounter int64  `json:"webhookCounter,omitempty"`
	// Forged marks a delivery Tartan would never send: rejected with 4xx
	// by a correct consumer, never re-sent at EOD.
	Forged bool `json:"forged,omitempty"`
	// Fault is what tartansim did to the attempt on purpose ("drop",
	// "ack-lost", "duplicate", "signature:near-miss", …; joined with "+").
	Fault string `json:"fault,omitempty"`
	// Expect is what was expected of the consumer (see Met).
	Expect Expect `json:"expect,omitempty"`
	// EODBatch numbers the EOD batch an EOD attempt belongs to (0: none).
	EODBatch int64 `json:"eodBatch,omitempty"`
	// Target is the webhook URL, without its password or query values.
	Target string `json:"target,omitempty"`
	// Headers and Body are the exact request, header names as sent.
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int `json:"status"`
	// Class says why the attempt failed (sender.ErrorClass), "" or "none"
	// when it did not.
	Class   string  `json:"class"`
	Latency float64 `json:"latencyMs"`
	// Sent reports that the whole request was written: a failed attempt
	// that was sent may still have been applied.
	Sent bool `json:"sent,omitempty"`
	// Result says the outcome in words ("200 OK in 3ms", "connection
	// refused"); Answer holds the first bytes of the response body.
	Result string `json:"result,omitempty"`
	Answer string `json:"answer,omitempty"`
	// AnswerHeaders are the answer's headers, a bounded copy
	// (sender.MaxAnswerHeaders), when the sender kept them
	// (sender.KeepAnswerHeaders); absent otherwise, as in logs written
	// before they were kept.
	AnswerHeaders map[string][]string `json:"answerHeaders,omitempty"`
}

// New is the attempt of sending d with result res, from source: the
// envelope read from the body, the expectation from forged and fault, the
// outcome from res. The caller sets the rest (ID, Delivery, Run, Step,
// EODBatch, Target, Fault).
func New(source Source, kind Kind, d sender.Delivery, forged bool, res sender.Result) Attempt {
	env, _ := wire.ReadEnvelope(d.Body)
	a := Attempt{
		Time: res.Start, Source: source, Kind: kind,
		Event: env.Event, EventType: env.EventType, OrgID: env.OrgID, RequestID: env.RequestID,
		SyncSessionID: env.SyncSessionID, WebhookCounter: env.WebhookCounter,
		Forged: forged, Expect: Expect2xx,
		Headers: map[string][]string(d.Header.Clone()), Body: string(d.Body),
		Status: res.Status, Class: res.Class.String(), Latency: float64(res.Latency.Microseconds()) / 1000,
		Sent: res.Sent, Result: res.Summary(), Answer: string(res.Snippet),
	}
	if len(res.Header) > 0 {
		a.AnswerHeaders = map[string][]string(res.Header.Clone())
	}
	switch {
	case forged:
		a.Expect = Expect4xx
	case res.Class.Injected():
		a.Expect = ExpectNothing
	}
	if a.Headers == nil {
		a.Headers = map[string][]string{}
	}
	return a
}

// OK reports whether the consumer acknowledged the attempt: a 2xx answer
// read in full. Tartan counts everything else as failed.
func (a Attempt) OK() bool {
	return a.Status >= 200 && a.Status < 300 && (a.Class == "" || a.Class == sender.ClassNone.String())
}

// Met reports whether the consumer did what was expected of it: a genuine
// attempt acknowledged, a forged one rejected with 4xx, anything for an
// attempt tartansim failed on purpose.
func (a Attempt) Met() bool {
	switch a.Expect {
	case Expect4xx:
		return a.Status >= 400 && a.Status < 500
	case ExpectNothing:
		return true
	}
	return a.OK()
}

// Header returns the attempt's headers as an http.Header, spelled as logged.
func (a Attempt) Header() http.Header { return http.Header(a.Headers) }

// Request returns the attempt as a delivery to send again: its exact body
// and a copy of its headers, spelled as logged. With a resignKey, every
// signature header (matched case-insensitively) of a genuine attempt is
// replaced by the signature of the body under that key; a nil resignKey
// keeps the recorded signature, and a forged attempt keeps its forged one
// either way.
func (a Attempt) Request(resignKey []byte) sender.Delivery {
	d := sender.Delivery{Body: []byte(a.Body), Header: a.Header().Clone()}
	if resignKey == nil || a.Forged {
		return d
	}
	for name := range d.Header {
		if strings.EqualFold(name, sender.HeaderSignature) {
			d.Header[name] = []string{sender.Sign(resignKey, d.Body)}
		}
	}
	return d
}

// UnmarshalJSON reads an attempt, and the lines of logs written before the
// log had one Attempt for every door: "attempt" for kind, "seq" for
// delivery, "scenario" for run.
func (a *Attempt) UnmarshalJSON(b []byte) error {
	type plain Attempt
	var v struct {
		plain
		Attempt  Kind   `json:"attempt"`
		Seq      int64  `json:"seq"`
		Scenario string `json:"scenario"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Attempt(v.plain)
	if a.Kind == "" {
		a.Kind = v.Attempt
	}
	if a.Delivery == 0 {
		a.Delivery = v.Seq
	}
	if a.Run == "" {
		a.Run = v.Scenario
	}
	return nil
}
