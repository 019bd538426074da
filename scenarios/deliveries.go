package scenarios

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// Delivery is one webhook a run makes, and everything that happened to it.
// Its Body and Header never change once built: a duplicate and an EOD
// redelivery send them again, byte for byte.
type Delivery struct {
	// Seq numbers deliveries in the order they were made, from 1.
	Seq int `json:"seq"`
	// Step is the 1-based index of the step that made it.
	Step   int    `json:"step"`
	Action string `json:"action"`
	Org    string `json:"org"`
	// Event holds the envelope's fields (as built, before overrides).
	RequestID      string `json:"requestId"`
	OrgID          string `json:"orgId"`
	Event          string `json:"event"`
	EventType      string `json:"eventType"`
	SyncSessionID  string `json:"syncSessionId"`
	WebhookCounter int    `json:"webhookCounter"`
	TimeStamp      string `json:"timeStamp"`
	Records        int    `json:"records"`
	// At is when the delivery is first sent, on the scenario clock.
	At Moment `json:"at"`

	Body   []byte      `json:"-"`
	Header http.Header `json:"-"`
	// Fault is what this delivery's step did to it ("" for nothing):
	// drop, ack-lost, duplicate, signature:near-miss, tamper, ...; several
	// faults are joined with "+", e.g. "drop+header-case:upper". Whether a
	// fault made it fail on purpose is FailsOnPurpose.
	Fault string `json:"fault,omitempty"`
	// Forged marks a delivery Tartan would never send (bad signature or a
	// body changed after signing): it must be rejected with 4xx and must
	// have no effect. Forged deliveries are never re-sent at EOD.
	Forged bool `json:"forged,omitempty"`

	// Attempts lists every send of these bytes, in order.
	Attempts []Attempt `json:"attempts"`

	senderFault sender.Fault
	faults      []string // Fault's parts, one per effect
	copies      int      // extra identical copies (duplicate faults)
	concurrent  bool     // copies go at once
	delay       time.Duration
}

// Attempt is one send of a delivery's bytes.
type Attempt struct {
	// Kind says why it was sent.
	Kind deliverylog.Kind `json:"kind"`
	// At is when it was sent, on the scenario clock.
	At Moment `json:"at"`
	// EODBatch numbers the run's EOD step an EOD re-send belongs to,
	// from 1 (deliverylog.Attempt.EODBatch); 0 for other kinds.
	EODBatch int64             `json:"eodBatch,omitempty"`
	Status   int               `json:"status,omitempty"`
	Class    sender.ErrorClass `json:"class"`
	Result   sender.Result     `json:"-"`
	// Latency is the time to the answer.
	Latency time.Duration `json:"latencyNs"`
	// Error is a one-line summary when the attempt failed.
	Error string `json:"error,omitempty"`
}

// Outcome is the final fate of a delivery.
type Outcome string

// Every delivery ends with exactly one outcome.
const (
	// Acknowledged: a genuine delivery answered 2xx on its first send.
	Acknowledged Outcome = "acknowledged"
	// Redelivered: a genuine delivery failed, then the EOD batch re-sent
	// it and it was acknowledged.
	Redelivered Outcome = "redelivered"
	// FailedForGood: a genuine delivery that was never acknowledged.
	FailedForGood Outcome = "failed"
	// Pending: a genuine delivery that failed and awaits an EOD batch that
	// the scenario never reached; or, in an interrupted run, a forged
	// delivery never sent, or whose only send the interruption cut off:
	// there is no answer to judge.
	Pending Outcome = "pending"
	// Rejected: a forged delivery answered 4xx, as it should be.
	Rejected Outcome = "rejected"
	// Accepted: a forged delivery the consumer did not reject with 4xx.
	Accepted Outcome = "accepted-forgery"
)

// FailsOnPurpose reports whether a fault of its step makes the delivery's
// first send fail on purpose, whatever else was done to it: drop (never
// written) or ack-lost (written, its answer lost). Such a failure is the
// scenario's, not the consumer's; the EOD batch re-sends it.
func (d *Delivery) FailsOnPurpose() bool { return d.senderFault != sender.FaultNone }

// addFault adds f to the faults Fault names. A fault with the same effect
// as an earlier one (drop and ack-lost, the two duplicates, two header
// cases, two delays) takes its place, as it took over its effect.
func (d *Delivery) addFault(f FaultSpec) {
	label := string(f.Type)
	switch f.Type {
	case FaultHeaderCase:
		label += ":" + f.Case
	case FaultSignature:
		label += ":" + f.Signature
	}
	if i := slices.IndexFunc(d.faults, func(l string) bool { return faultEffect(l) == faultEffect(label) }); i >= 0 {
		d.faults[i] = label
	} else {
		d.faults = append(d.faults, label)
	}
	d.Fault = strings.Join(d.faults, "+")
}

// faultEffect names what a fault of a delivery's label does: faults with
// the same effect replace each other.
func faultEffect(label string) string {
	t, _, _ := strings.Cut(label, ":")
	switch FaultType(t) {
	case FaultAckLost:
		return string(FaultDrop) // both set the first send's sender fault
	case FaultDuplicateConcurrent:
		return string(FaultDuplicate)
	}
	return t
}

// Outcome returns the delivery's final fate, judged from its attempts.
func (d *Delivery) Outcome() Outcome {
	if d.Forged {
		judged := false
		for _, a := range d.Attempts {
			if cutOff(a) {
				continue
			}
			judged = true
			if a.Status < 400 || a.Status >= 500 {
				return Accepted
			}
		}
		if !judged {
			return Pending
		}
		return Rejected
	}
	for i, a := range d.Attempts {
		if a.Result.OK() {
			if d.Attempts[i].Kind == deliverylog.EOD {
				return Redelivered
			}
			return Acknowledged
		}
	}
	for _, a := range d.Attempts {
		if a.Kind == deliverylog.EOD {
			return FailedForGood
		}
	}
	return Pending
}

// cutOff reports whether the run's own interruption (its context
// cancelled) ended the attempt before any answer: the consumer is not to
// blame for it.
func cutOff(a Attempt) bool {
	return a.Status == 0 && errors.Is(a.Result.Err, context.Canceled)
}

// acknowledged reports whether any attempt got a 2xx.
func (d *Delivery) acknowledged() bool {
	for _, a := range d.Attempts {
		if a.Result.OK() {
			return true
		}
	}
	return false
}

// maybeApplied reports whether the consumer may have applied the delivery
// without acknowledging it: the request was written but no 2xx came back.
func (d *Delivery) maybeApplied() bool {
	for _, a := range d.Attempts {
		if a.Result.Sent && !a.Result.OK() {
			return true
		}
	}
	return false
}

// Tried returns a's kind and whether it was acknowledged, for the EOD rule
// (deliverylog.DueAtEOD).
func (a Attempt) Tried() (deliverylog.Kind, bool) { return a.Kind, a.Result.OK() }

func newAttempt(kind deliverylog.Kind, at Moment, r sender.Result) Attempt {
	a := Attempt{Kind: kind, At: at, Status: r.Status, Class: r.Class, Result: r, Latency: r.Latency}
	if r.Failed() {
		a.Error = r.Summary()
	}
	return a
}

// fromDoc refreshes the envelope fields of d from the document that was
// sent, after overrides, so reports name what the consumer really got.
func (d *Delivery) fromDoc(doc *wire.Object) {
	str := func(k string, dst *string) {
		if v, ok := doc.Get(k); ok {
			if s, ok := v.(string); ok {
				*dst = s
			}
		}
	}
	str("requestId", &d.RequestID)
	str("orgId", &d.OrgID)
	str("event", &d.Event)
	str("eventType", &d.EventType)
	str("syncSessionId", &d.SyncSessionID)
	str("timeStamp", &d.TimeStamp)
}

// fromEvent fills the envelope fields of d from ev.
func (d *Delivery) fromEvent(ev fixtures.Event) {
	d.RequestID = ev.RequestID
	d.OrgID = ev.OrgID
	d.Event = ev.Event
	d.EventType = ev.EventType
	d.SyncSessionID = ev.SyncSessionID
	d.WebhookCounter = ev.WebhookCounter
	d.TimeStamp = ev.TimeStamp
	d.Records = len(ev.Body)
}
