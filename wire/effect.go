package wire

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Effect is what a delivery's body asks of a consumer's state: its
// envelope, the stamp that orders its writes, and the records or the
// connection status it carries. The reference consumer and the judge both
// read bodies with ParseEffect, so they cannot disagree about what a
// delivery says; they may still disagree about what to do with it.
type Effect struct {
	Envelope
	// Stamp orders the effect's writes (see Stamp).
	Stamp Stamp
	// Kind is what the event does to state.
	Kind EffectKind
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

// ParseEffect reads a delivery's body. The error is for a body that is not
// JSON, or not an envelope (a field of the wrong type); a missing requestId
// or orgId is not one here, though the consumer refuses such a delivery.
func ParseEffect(body []byte) (Effect, error) {
	var raw rawEnvelope
	if err := readEnvelope(body, &raw); err != nil {
		return Effect{}, err
	}
	env := raw.envelope()
	ch := Effect{Envelope: env, Stamp: env.Stamp(), Kind: kinds[env.Event]}
	switch ch.Kind {
	case EffectEmployees:
		for _, raw := range raw.Body {
			if rec, ok := parseRecord(raw); ok {
				ch.Records = append(ch.Records, rec)
			} else {
				ch.Skipped++
			}
		}
	case EffectConnection:
		if len(raw.Body) > 0 {
			ch.Status, ch.HasStatus = connectionStatus(raw.Body[0])
		}
	}
	return ch, nil
}

// Complete refuses an effect a consumer cannot file: one without a
// requestId (the idempotency key) or an orgId.
func (ch Effect) Complete() error {
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

// decodeObject decodes a JSON object with numbers as json.Number, so 10,
// 10.0 and 1e1 are kept as written. A JSON null gives a nil map.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}
