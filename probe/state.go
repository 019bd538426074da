package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/tartansim/tartansim/show"
)

// State is what a consumer holds about one org: the body of the state probe,
// contract v1.1 (see docs/probe.md).
//
//	{"orgId": "…", "connectionStatus": "CONNECTION_TERMINATED",
//	 "employees": [{"employeeId": "TRT-0042", …}], "applied": {"<requestId>": 1},
//	 "pending": 0, "retention": "purge-on-termination"}
type State struct {
	// OrgID is the org asked about.
	OrgID string `json:"orgId"`
	// ConnectionStatus is body[0].status of the newest connection event
	// applied for the org; "" when there was none.
	ConnectionStatus string `json:"connectionStatus"`
	// Employees holds every employee record once, as received (numbers as
	// json.Number), sorted by employeeId.
	Employees []map[string]any `json:"employees"`
	// Applied counts, per requestId, how many times a delivery about the org
	// was applied. A correct consumer has only 1s; rejected deliveries are
	// absent.
	Applied map[string]int `json:"applied"`
	// Pending (optional, contract v1.1) is how many accepted deliveries the
	// consumer has not applied yet: its queue's depth. Nil when the probe
	// does not say. A consumer that applies before it answers has none, and
	// reports 0; with 0, a judge need not wait for more to change.
	Pending *int `json:"pending,omitempty"`
	// Retention (optional) is what the consumer does with an org's records
	// once its connection is terminated: "" keeps them (the contract's
	// default: records stay after a termination), PurgeOnTermination
	// deletes them, and then none may remain. A probe that does not purge
	// leaves it out, so a v1 or v1.1 probe without it is still valid.
	Retention string `json:"retention,omitempty"`
}

// PurgeOnTermination is the Retention of a consumer that deletes an org's
// records when its connection is terminated.
const PurgeOnTermination = "purge-on-termination"

// Purges reports whether s declares that its consumer deletes an org's
// records on termination.
func (s State) Purges() bool { return s.Retention == PurgeOnTermination }

// NoPending is a Pending of 0, for a State whose consumer applies every
// delivery before it answers.
func NoPending() *int { n := 0; return &n }

// ErrInvalidState is wrapped by every Parse error.
var ErrInvalidState = error(&show.Refusal{Pkg: "probe", Why: "invalid state"})

// Parse decodes a probe response. Unknown keys are ignored; the known
// ones must have their types: a string orgId and connectionStatus, an array
// of objects for employees, an object of integers for applied, a
// non-negative integer for pending (absent or null: not said), and for
// retention PurgeOnTermination (absent, null or "": records are kept). An error
// about pending is a *PendingError, which quotes what the probe answered.
// Absent or null
// employees and applied read as empty, never nil. Numbers inside records are
// json.Number, as State returns them, so a State survives
// json.Marshal then Parse unchanged.
func Parse(data []byte) (State, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return State{}, fmt.Errorf("%w: not a JSON object", ErrInvalidState)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s struct {
		State
		Pending json.RawMessage `json:"pending"`
	}
	if err := dec.Decode(&s); err != nil {
		return State{}, fmt.Errorf("%w: %w", ErrInvalidState, err)
	}
	if err := s.readPending(s.Pending); err != nil {
		return State{}, err
	}
	if s.Retention != "" && s.Retention != PurgeOnTermination {
		return State{}, fmt.Errorf("%w: retention is %q, want %q or no retention at all", ErrInvalidState, truncate(s.Retention), PurgeOnTermination)
	}
	if _, err := dec.Token(); err != io.EOF {
		return State{}, fmt.Errorf("%w: data after the object", ErrInvalidState)
	}
	for i, e := range s.Employees {
		if e == nil {
			return State{}, fmt.Errorf("%w: employees[%d] is null, want an object", ErrInvalidState, i)
		}
	}
	if s.Employees == nil {
		s.Employees = []map[string]any{}
	}
	if s.Applied == nil {
		s.Applied = map[string]int{}
	}
	return s.State, nil
}

// PendingError is the error of a probe answer whose pending is not a
// non-negative integer: the probe is at fault, not the consumer's handling.
// It wraps ErrInvalidState.
type PendingError struct {
	// Value is the pending value as the probe wrote it.
	Value string
}

// Error says what pending was and what it should be.
func (e *PendingError) Error() string {
	return fmt.Sprintf("%v: pending is %s, want a non-negative integer (or no pending at all)", ErrInvalidState, e.Value)
}

// Unwrap returns ErrInvalidState.
func (e *PendingError) Unwrap() error { return ErrInvalidState }

// maxPendingText bounds how much of a bad pending an error quotes.
const maxPendingText = 64

// truncate cuts text a probe wrote to what an error quotes.
func truncate(text string) string {
	if len(text) > maxPendingText {
		return text[:maxPendingText] + "…"
	}
	return text
}

// readPending sets s.Pending from the raw value of "pending".
func (s *State) readPending(raw json.RawMessage) error {
	text := string(bytes.TrimSpace(raw))
	if text == "" || text == "null" {
		return nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 {
		return &PendingError{Value: truncate(text)}
	}
	s.Pending = &n
	return nil
}
