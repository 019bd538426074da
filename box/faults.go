package box

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tartansim/tartansim/wire"
)

// Endpoints names the endpoints of Tartan's API that faults are armed on,
// as APIFault.Endpoint and Call.Endpoint say them; "*" is every one.
var Endpoints = []string{"token", "terminate_connection", "vendor_connections", "employee_list", "resend", "employee_details", "data_model_flags", "org_details", "salary_details"}

// endpointPaths maps each endpoint's path under /api/ (before its own
// parameter, when it has one) to its name.
var endpointPaths = map[string]string{
	"sdk/token": "token", "terminate_connection": "terminate_connection", "vendor/connections": "vendor_connections",
	"v2/employee_list": "employee_list", "webhooks/resend": "resend", "employee_details": "employee_details",
	"sdk/data_model_flags": "data_model_flags", "org_details": "org_details", "v2/salary_details": "salary_details",
}

// endpointOf names the endpoint a path calls, or "" for none of ours.
func endpointOf(path string) string {
	p := strings.Trim(strings.TrimPrefix(path, "/api/"), "/")
	if n, ok := endpointPaths[p]; ok {
		return n
	}
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return endpointPaths[p[:i]]
	}
	return ""
}

// Fault limits: what a fault may ask for.
const (
	// MaxRetryAfter bounds an APIFault's RetryAfter.
	MaxRetryAfter = time.Hour
	// MaxFaultDelay bounds an APIFault's Delay.
	MaxFaultDelay = 5 * time.Minute
	// MaxCalls is how many API calls the box keeps (the latest).
	MaxCalls = 10_000
)

// APIFault is a fault armed on Tartan's API: the calls it takes are
// answered with Status (and Retry-After in whole seconds for 429 and 503),
// or have their connection reset, after Delay. It takes the Next calls to
// Endpoint, or a seeded Fraction of them for as long as it is armed.
type APIFault struct {
	// Endpoint is one of Endpoints, or "*" for every one.
	Endpoint string
	// Status is 429, 500, 502 or 503; 0 with Reset or a Delay alone (the
	// call is then answered as usual, late).
	Status int
	// RetryAfter is the Retry-After of a 429 or 503, in whole seconds (0:
	// none sent).
	RetryAfter time.Duration
	// Reset closes the connection without an answer.
	Reset bool
	// Delay holds the call this long first.
	Delay time.Duration
	// Shift, on employee_list only, runs a sync of the page's corporate
	// (its HRMS changed as Churn says) just before a page after the first
	// is read, then answers it as usual: the list shifts between two page
	// reads. It takes only reads of page 2 or later.
	Shift bool
	// Next is how many calls it still takes; Fraction (0 < f <= 1), when
	// set instead, takes each call with that chance, drawn from the box's
	// seed.
	Next     int
	Fraction float64
}

// apiFaultJSON is APIFault's wire form, the control's keys.
type apiFaultJSON struct {
	Endpoint   string  `json:"endpoint"`
	Status     int     `json:"status,omitempty"`
	RetryAfter string  `json:"retryAfter,omitempty"`
	Reset      bool    `json:"reset"`
	Delay      string  `json:"delay,omitempty"`
	Shift      bool    `json:"shift,omitempty"`
	Next       int     `json:"next,omitempty"`
	Fraction   float64 `json:"fraction,omitempty"`
}

// apiFaultKeys are the keys of POST .../api/faults and of a SPEC.
var apiFaultKeys = []string{"endpoint", "status", "retryAfter", "reset", "delay", "shift", "next", "fraction"}

// MarshalJSON writes the fault as the control takes it.
func (f APIFault) MarshalJSON() ([]byte, error) {
	j := apiFaultJSON{Endpoint: f.Endpoint, Status: f.Status, Reset: f.Reset, Shift: f.Shift, Next: f.Next, Fraction: f.Fraction}
	if f.RetryAfter > 0 {
		j.RetryAfter = f.RetryAfter.String()
	}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// Check refuses a fault that cannot be armed, naming the key at fault.
func (f APIFault) Check() error {
	switch {
	case f.Endpoint != "*" && !slices.Contains(Endpoints, f.Endpoint):
		return &fieldError{Field: "endpoint", Why: "must be * or one of " + strings.Join(Endpoints, ", ")}
	case f.Status != 0 && !slices.Contains([]int{429, 500, 502, 503}, f.Status):
		return &fieldError{Field: "status", Why: "must be 429, 500, 502 or 503"}
	case f.Reset && f.Status != 0:
		return &fieldError{Field: "reset", Why: "answers nothing, so it takes no status"}
	case f.RetryAfter < 0 || f.RetryAfter > MaxRetryAfter || f.RetryAfter%time.Second != 0:
		return &fieldError{Field: "retryAfter", Why: "must be whole seconds from 0s to 1h, as HTTP's Retry-After carries"}
	case f.RetryAfter > 0 && f.Status != 429 && f.Status != 503:
		return &fieldError{Field: "retryAfter", Why: "goes only with status 429 or 503"}
	case f.Delay < 0 || f.Delay > MaxFaultDelay:
		return &fieldError{Field: "delay", Why: "must be from 0s to 5m"}
	case f.Shift && (f.Endpoint != "employee_list" || f.Status != 0 || f.Reset):
		return &fieldError{Field: "shift", Why: "goes only with endpoint employee_list, without status or reset"}
	case f.Status == 0 && !f.Reset && f.Delay == 0 && !f.Shift:
		return &fieldError{Field: "status", Why: "is required unless reset, shift or a delay is given"}
	case f.Fraction != 0 && f.Next != 0:
		return &fieldError{Field: "fraction", Why: "is instead of next: give one"}
	case f.Fraction < 0 || f.Fraction > 1:
		return &fieldError{Field: "fraction", Why: "must be more than 0 and at most 1"}
	case f.Next < 0 || f.Next > maxCount:
		return &fieldError{Field: "next", Why: fmt.Sprintf("must be a whole number from 1 to %d", maxCount)}
	case f.Fraction == 0 && f.Next == 0:
		return &fieldError{Field: "next", Why: "is required (a count from 1), or a fraction instead"}
	}
	return nil
}

// decodeAPIFault reads a fault from a control's fields.
func decodeAPIFault(fields map[string]json.RawMessage) (APIFault, error) {
	var f APIFault
	if err := stringField(fields, "endpoint", &f.Endpoint, true); err != nil {
		return f, err
	}
	if err := countField(fields, "status", &f.Status); err != nil {
		return f, err
	}
	if err := countField(fields, "next", &f.Next); err != nil {
		return f, err
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"retryAfter", &f.RetryAfter}, {"delay", &f.Delay}} {
		var s string
		if err := stringField(fields, d.key, &s, false); err != nil {
			return f, err
		}
		if s == "" {
			continue
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return f, &fieldError{Field: d.key, Why: "must be a duration such as 2s"}
		}
		*d.dst = v
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"reset", &f.Reset}, {"shift", &f.Shift}} {
		if raw, ok := fields[b.key]; ok && string(raw) != "null" && json.Unmarshal(raw, b.dst) != nil {
			return f, &fieldError{Field: b.key, Why: "must be true or false"}
		}
	}
	if raw, ok := fields["fraction"]; ok && string(raw) != "null" && (json.Unmarshal(raw, &f.Fraction) != nil || f.Fraction <= 0) {
		return f, &fieldError{Field: "fraction", Why: "must be more than 0 and at most 1"}
	}
	return f, f.Check()
}

// ParseAPIFaults reads serve's --api-faults SPEC: faults separated by
// ";", each keys of the control as key=value separated by ",", e.g.
//
//	endpoint=employee_list,status=429,retryAfter=2s,next=3;endpoint=*,reset=true,fraction=0.1
//
// Its error names the key at fault.
func ParseAPIFaults(spec string) ([]APIFault, error) {
	var out []APIFault
	for part := range strings.SplitSeq(spec, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		fields := map[string]json.RawMessage{}
		for kv := range strings.SplitSeq(part, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, &fieldError{Field: kv, Why: "is not key=value"}
			}
			if k = strings.TrimSpace(k); k == "" {
				return nil, &fieldError{Field: `""`, Why: "is not a key: say key=value"}
			}
			if _, dup := fields[k]; dup {
				return nil, &fieldError{Field: k, Why: "is given twice in one fault"}
			}
			switch k {
			case "endpoint", "retryAfter", "delay":
				fields[k], _ = json.Marshal(v)
			default:
				fields[k] = json.RawMessage(v)
			}
		}
		if _, err := decodeControl(mustJSON(fields), apiFaultKeys...); err != nil {
			return nil, err
		}
		f, err := decodeAPIFault(fields)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, &fieldError{Field: "endpoint", Why: "is required: the spec names no fault"}
	}
	return out, nil
}

func mustJSON(fields map[string]json.RawMessage) []byte {
	b, _ := json.Marshal(fields)
	return b
}

// ArmAPIFaults arms faults from the start (see ArmAPIFault).
func ArmAPIFaults(fs ...APIFault) Option {
	return func(c *config) error {
		for _, f := range fs {
			if err := f.Check(); err != nil {
				return fmt.Errorf("%w: ArmAPIFaults: %v", ErrBadOption, err)
			}
		}
		c.apiFaults = append(c.apiFaults, fs...)
		return nil
	}
}

// apiState is the box's faults and call log, under its own lock so that
// no API call waits on the box's.
type apiState struct {
	mu     sync.Mutex
	faults []APIFault
	calls  []Call
	rng    *rand.Rand
	once   sync.Once
}

// apiLocked locks the box's API state, arming the faults of ArmAPIFaults
// on first use; the caller unlocks b.api.mu.
func (b *Box) apiLocked() {
	b.api.once.Do(func() {
		b.api.faults = append([]APIFault(nil), b.cfg.apiFaults...)
		b.api.rng = rand.New(rand.NewPCG(b.cfg.seed, 0xfa_017))
	})
	b.api.mu.Lock()
}

// ArmAPIFault arms f after the faults already armed; a call takes the
// first armed fault that matches it.
func (b *Box) ArmAPIFault(f APIFault) error {
	if err := f.Check(); err != nil {
		return err
	}
	b.apiLocked()
	defer b.api.mu.Unlock()
	b.api.faults = append(b.api.faults, f)
	return nil
}

// APIFaults returns the faults still armed, with the calls each still takes.
func (b *Box) APIFaults() []APIFault {
	b.apiLocked()
	defer b.api.mu.Unlock()
	return append([]APIFault{}, b.api.faults...)
}

// DisarmAPIFaults disarms every fault; it returns how many were armed.
func (b *Box) DisarmAPIFaults() int {
	b.apiLocked()
	defer b.api.mu.Unlock()
	n := len(b.api.faults)
	b.api.faults = nil
	return n
}

// takeFault returns the fault a call to endpoint meets, if any, consuming it.
func (b *Box) takeFault(endpoint string, laterPage bool) (APIFault, bool) {
	b.apiLocked()
	defer b.api.mu.Unlock()
	for i, f := range b.api.faults {
		if (f.Endpoint != "*" && f.Endpoint != endpoint) || (f.Shift && !laterPage) {
			continue
		}
		if f.Fraction > 0 {
			if b.api.rng.Float64() < f.Fraction {
				return f, true
			}
			continue
		}
		b.api.faults[i].Next--
		if b.api.faults[i].Next == 0 {
			b.api.faults = slices.Delete(b.api.faults, i, i+1)
		}
		return f, true
	}
	return APIFault{}, false
}

// faulty wraps Tartan's API: it records every call and answers the ones
// an armed fault takes before they reach the API, so a fault changes
// nothing.
func (b *Box) faulty(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Endpoint: endpointOf(r.URL.Path)}
		c.Org = b.orgOfCall(r, c.Endpoint)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		f, hit := b.takeFault(c.Endpoint, page > 1)
		if hit && f.Delay > 0 {
			select {
			case <-b.cfg.clock.After(f.Delay):
			case <-r.Context().Done():
				c.Time, c.Fault = b.cfg.clock.Now(), FaultGone
				b.record(c)
				return
			}
		}
		c.Time = b.cfg.clock.Now()
		switch {
		case hit && f.Reset:
			c.Fault = FaultReset
			b.record(c)
			reset(w)
		case hit && f.Status != 0:
			c.Status, c.Fault, c.RetryAfter = f.Status, FaultStatus, f.RetryAfter
			b.record(c)
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
			}
			writeDoc(w, f.Status, wire.NewObject(1).Add("message", http.StatusText(f.Status)))
		default:
			if hit && f.Delay > 0 {
				c.Fault = FaultDelay
			}
			if hit && f.Shift {
				if _, err := b.SyncWith(r.URL.Query().Get("org"), b.cfg.churn); err == nil {
					c.Fault = FaultShift
				}
			}
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			api.ServeHTTP(sw, r)
			c.Status = sw.status
			b.record(c)
		}
	})
}

// orgOfCall is the org_id of the corporate a call names (see Call.Org).
// terminate_connection's body is read for client_org, when the call
// carries the API key, and put back for the handler.
func (b *Box) orgOfCall(r *http.Request, endpoint string) string {
	var id string
	switch endpoint {
	case "org_details":
		id = strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/org_details/"), "/")
	case "terminate_connection":
		if !b.authorized(r) {
			return "" // no body is read before the key is checked
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		if err == nil && len(body) <= MaxBody {
			id, _ = decodeTerminate(r.Header.Get("Content-Type"), body)
		}
	default:
		id = strings.TrimSpace(r.URL.Query().Get("org"))
	}
	if id == "" {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if o := b.lookup(id); o != nil {
		return o.id
	}
	return id
}

// reset closes the call's connection without an answer.
func reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(p)
}

func (b *Box) record(c Call) {
	b.apiLocked()
	defer b.api.mu.Unlock()
	if len(b.api.calls) >= MaxCalls {
		b.api.calls = slices.Delete(b.api.calls, 0, len(b.api.calls)-MaxCalls+1)
	}
	b.api.calls = append(b.api.calls, c)
}
