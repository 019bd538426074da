package box

import (
	"encoding/json"
	"time"
)

// FaultKind says which fault, if any, answered a call.
type FaultKind string

// The faults a call can meet (see APIFault).
const (
	// FaultStatus: answered with the fault's status.
	FaultStatus FaultKind = "status"
	// FaultReset: the connection was closed without an answer.
	FaultReset FaultKind = "reset"
	// FaultDelay: held for the fault's delay, then answered as usual.
	FaultDelay FaultKind = "delay"
	// FaultShift: a sync of the corporate ran just before this page was
	// read (see APIFault.Shift).
	FaultShift FaultKind = "shift"
	// FaultGone: the caller went away during the delay.
	FaultGone FaultKind = "gone"
)

// Call is one call the consumer made to Tartan's API. It never holds the
// API key, a header or a body.
type Call struct {
	Method string
	// Path is the URL's path; Query its query string (the API key is
	// never in either: it travels in a header).
	Path  string
	Query string
	// Endpoint names it as Endpoints do ("" for a path that is none).
	Endpoint string
	// Org is the org_id of the corporate the call names, "" for none: the
	// query's org (employee_list, employee_details, salary_details,
	// data_model_flags), org_details' path, terminate's client_org; an
	// org_id or a remote_org_id the box knows, as its org_id, else as
	// given.
	Org string
	// Status is the answer's status, 0 for a connection reset or a caller
	// gone.
	Status int
	// Fault is the fault that answered it, "" for none; RetryAfter the
	// Retry-After it was sent.
	Fault      FaultKind
	RetryAfter time.Duration
	// Time is when the box answered (or reset) it, on the box's clock.
	Time time.Time
}

// failed reports whether the call is one a client should retry: a fault
// that answered 429 or 5xx, or reset the connection.
func (c Call) failed() bool {
	return c.Fault == FaultReset || (c.Fault == FaultStatus && (c.Status == 429 || c.Status >= 500))
}

// callJSON is a Call's wire form.
type callJSON struct {
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Query      string    `json:"query,omitempty"`
	Endpoint   string    `json:"endpoint"`
	Org        string    `json:"org,omitempty"`
	Status     int       `json:"status"`
	Fault      FaultKind `json:"fault,omitempty"`
	RetryAfter string    `json:"retryAfter,omitempty"`
	Time       time.Time `json:"time"`
}

// MarshalJSON writes the call with lower-case keys and Retry-After as a
// duration ("2s").
func (c Call) MarshalJSON() ([]byte, error) {
	j := callJSON{c.Method, c.Path, c.Query, c.Endpoint, c.Org, c.Status, c.Fault, "", c.Time}
	if c.RetryAfter > 0 {
		j.RetryAfter = c.RetryAfter.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Call) UnmarshalJSON(b []byte) error {
	var j callJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Call{Method: j.Method, Path: j.Path, Query: j.Query, Endpoint: j.Endpoint, Org: j.Org, Status: j.Status, Fault: j.Fault, Time: j.Time}
	if j.RetryAfter != "" {
		d, err := time.ParseDuration(j.RetryAfter)
		if err != nil {
			return err
		}
		c.RetryAfter = d
	}
	return nil
}

// Calls returns the API calls received, oldest first (the latest MaxCalls).
func (b *Box) Calls() []Call {
	b.apiLocked()
	defer b.api.mu.Unlock()
	return append([]Call{}, b.api.calls...)
}
