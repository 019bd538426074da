package wire

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Envelope is the top level of a Tartan webhook body: what it is about and
// where it sits, without its records. ReadEnvelope reads it; every part of
// tartansim that needs a body's requestId, org or event reads it here.
type Envelope struct {
	RequestID      string `json:"requestId"` // opaque: not always a UUID
	OrgID          string `json:"orgId"`
	Event          string `json:"event"`
	EventType      string `json:"eventType"`
	SyncSessionID  string `json:"syncSessionId"`
	WebhookCounter int64  `json:"webhookCounter"`
	// TimeStamp is as sent: TimeStampLayout in UTC, or "" (unknown).
	TimeStamp string `json:"timeStamp"`
	// Len is how many items body held.
	Len int `json:"records"`
}

// Stamp is the ordering stamp of the envelope's writes.
func (e Envelope) Stamp() Stamp { return NewStamp(e.TimeStamp, e.SyncSessionID, e.WebhookCounter) }

// ErrNotJSON and ErrNotEnvelope are the two ways ReadEnvelope fails.
var (
	ErrNotJSON     = errors.New("the body is not valid JSON")
	ErrNotEnvelope = errors.New("the body is not a Tartan envelope")
)

// ReadEnvelope reads body's envelope. It is tolerant as a consumer must be:
// recordCount (null in some events), statusCode (a string) and message
// carry nothing it needs and are not read; webhookCounter may be a number
// or a numeric string, and anything else reads as 0; unknown keys are
// ignored. The error wraps ErrNotJSON for bytes that are not JSON, and
// ErrNotEnvelope for JSON that is not an object or has a field of the wrong
// type.
func ReadEnvelope(body []byte) (Envelope, error) {
	var raw rawEnvelope
	if err := readEnvelope(body, &raw); err != nil {
		return Envelope{}, err
	}
	return raw.envelope(), nil
}

// rawEnvelope is the envelope as decoded, its body left raw.
type rawEnvelope struct {
	SyncSessionID  string            `json:"syncSessionId"`
	WebhookCounter Counter           `json:"webhookCounter"`
	RequestID      string            `json:"requestId"`
	OrgID          string            `json:"orgId"`
	Event          string            `json:"event"`
	EventType      string            `json:"eventType"`
	Body           []json.RawMessage `json:"body"`
	TimeStamp      string            `json:"timeStamp"`
}

func readEnvelope(body []byte, raw *rawEnvelope) error {
	if err := json.Unmarshal(body, raw); err != nil {
		if syn := (*json.SyntaxError)(nil); errors.As(err, &syn) {
			return fmt.Errorf("%w: %v", ErrNotJSON, err)
		}
		return fmt.Errorf("%w: %v", ErrNotEnvelope, err)
	}
	return nil
}

func (r rawEnvelope) envelope() Envelope {
	return Envelope{
		RequestID: r.RequestID, OrgID: r.OrgID, Event: r.Event, EventType: r.EventType,
		SyncSessionID: r.SyncSessionID, WebhookCounter: int64(r.WebhookCounter),
		TimeStamp: r.TimeStamp, Len: len(r.Body),
	}
}

// Counter is a tolerant webhookCounter. It is an integer on the wire; a
// numeric string is read too, and anything else reads as 0 rather than
// failing the delivery.
type Counter int64

// UnmarshalJSON implements json.Unmarshaler. It reads an integer or a numeric
// string; anything else reads as 0 (it leaves c as it was, so decode into a
// zero Counter), and it never fails.
func (c *Counter) UnmarshalJSON(b []byte) error {
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		if i, err := n.Int64(); err == nil {
			*c = Counter(i)
		}
	}
	return nil
}
