package consumer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Effect is a delivery's body as the reference consumer reads it: what the
// delivery asks of a consumer's state. The scenarios' truth reads bodies
// with it too, so the judge and the reference cannot disagree about what a
// delivery says.
type Effect struct {
	RequestID string // opaque: not always a UUID
	OrgID     string
	Event     string
	EventType string
	// Stamp orders the effect's writes (see Stamp).
	Stamp Stamp
	// Kind is what the event does to state.
	Kind EffectKind
	// Len is how many items body held.
	Len int
	// Records are the employee records of an EffectEmployees effect that have
	// an employeeId, in order; Skipped counts those that have none.
	Records []Record
	Skipped int
	// Status is body[0].status of an EffectConnection effect; HasStatus says
	// whether it is a non-empty string (without one the effect sets
	// nothing).
	Status    string
	HasStatus bool
}

// EffectKind is what a delivery does to state.
type EffectKind int

const (
	EffectIgnored    EffectKind = iota // an event this consumer acknowledges and ignores
	EffectSession                      // sync.events.initiated: recorded as applied, nothing stored
	EffectEmployees                    // upsert employee records
	EffectConnection                   // set the connection status
)

// Record is one employee record and its key: employeeId, a non-empty
// string, or a number kept as written.
type Record struct {
	ID     string
	Fields map[string]any
}

// kinds maps event names to what they do. Other events are acknowledged and
// ignored. accepted and failed are undocumented but seen in the wild.
var kinds = map[string]EffectKind{
	"sync.events.initiated":        EffectSession,
	"sync.events.employee.add":     EffectEmployees, // eventType sync.events.initial or sync.events.delta
	"sync.events.employee.update":  EffectEmployees, // complete records, not diffs
	"connection.events.requested":  EffectConnection,
	"connection.events.terminated": EffectConnection,
	"connection.events.accepted":   EffectConnection,
	"connection.events.failed":     EffectConnection,
}

// envelope holds the fields of a delivery this consumer uses. recordCount
// (null in some events), statusCode (a string) and message ("success" or
// "Success") carry nothing it needs, so they are not decoded and cannot make
// a delivery fail. Unknown keys are ignored.
type envelope struct {
	SyncSessionID  string            `json:"syncSessionId"`
	WebhookCounter Counter           `json:"webhookCounter"`
	RequestID      string            `json:"requestId"`
	OrgID          string            `json:"orgId"`
	VendorOrgID    string            `json:"vendor.orgId"` // a dotted top-level key; unused here, shown for integrators serving several vendor orgs
	Event          string            `json:"event"`
	EventType      string            `json:"eventType"`
	Body           []json.RawMessage `json:"body"`
	TimeStamp      string            `json:"timeStamp"` // "2006-01-02 15:04:05" UTC, or "" (unknown)
}

// ParseEffect reads a delivery's body. The error is for a body that is not
// JSON, or not an envelope (a field of the wrong type); a missing requestId
// or orgId is not one here, though the consumer refuses such a delivery.
func ParseEffect(body []byte) (Effect, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		if syn := (*json.SyntaxError)(nil); errors.As(err, &syn) {
			return Effect{}, fmt.Errorf("the body is not valid JSON: %v", err)
		}
		return Effect{}, fmt.Errorf("the body is not a Tartan envelope: %v", err)
	}
	ch := Effect{
		RequestID: env.RequestID, OrgID: env.OrgID, Event: env.Event, EventType: env.EventType,
		Stamp: NewStamp(env.TimeStamp, env.SyncSessionID, int64(env.WebhookCounter)),
		Kind:  kinds[env.Event], Len: len(env.Body),
	}
	switch ch.Kind {
	case EffectEmployees:
		for _, raw := range env.Body {
			if rec, ok := parseRecord(raw); ok {
				ch.Records = append(ch.Records, rec)
			} else {
				ch.Skipped++
			}
		}
	case EffectConnection:
		if len(env.Body) > 0 {
			ch.Status, ch.HasStatus = connectionStatus(env.Body[0])
		}
	}
	return ch, nil
}

// complete refuses a change the consumer cannot file: one without a
// requestId (the idempotency key) or an orgId.
func (ch Effect) complete() error {
	switch {
	case ch.RequestID == "":
		return errors.New("the envelope has no requestId")
	case ch.OrgID == "":
		return errors.New("the envelope has no orgId")
	}
	return nil
}

// parseRecord decodes one employee record. It reports false when raw is not
// an object or has no employeeId.
func parseRecord(raw []byte) (Record, bool) {
	fields, err := decodeObject(raw)
	if err != nil || fields == nil {
		return Record{}, false
	}
	id, ok := EmployeeKey(fields["employeeId"])
	return Record{ID: id, Fields: fields}, ok
}

// EmployeeKey returns an employeeId as a map key: a non-empty string as it
// is, a number as written (decoded with json.Number). Anything else has no
// key.
func EmployeeKey(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, t != ""
	case json.Number:
		return t.String(), true
	}
	return "", false
}

// connectionStatus returns body[0].status of a connection event, and false
// when it is not a non-empty string.
func connectionStatus(raw []byte) (string, bool) {
	fields, err := decodeObject(raw)
	if err != nil {
		return "", false
	}
	s, _ := fields["status"].(string)
	return s, s != ""
}
