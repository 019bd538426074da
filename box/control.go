package box

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// Controls returns the mock-only controls, JSON endpoints under
// ControlPrefix (never under /api/, so that they cannot be taken for
// Tartan's), for the console, scripts and tests. They do what Tartan's
// console does and its API cannot:
//
//	POST {prefix}orgs/{org}/accept     the corporate accepts now
//	POST {prefix}orgs/{org}/sync       sync now; body (optional) {"joiners": 2, "promotions": 1, "transfers": 0, "manager-changes": 0, "leavers": 1}
//	POST {prefix}orgs/{org}/changes    change the HRMS only (same body); the next sync sends it
//	POST {prefix}orgs/{org}/reject     the corporate rejects its pending invite (no webhook: Tartan documents none)
//	POST {prefix}orgs/{org}/terminate  the corporate ends the connection from its side
//	POST {prefix}invite                {"org_name": "...", "email": "hr@...", "employees": N}: an invite from Tartan's console
//	GET  {prefix}orgs/{org}/verdict    the latest verdict
//	GET  {prefix}verdicts              every org's latest verdict
//	POST {prefix}fail                  {"fault": "drop"|"ack-lost", "next": N}
//	POST {prefix}eod                   re-send every delivery not acknowledged yet
//	GET  {prefix}deliveries            the delivery log (no bodies)
//	POST {prefix}send                  {"event": "sync.events.employee.add/delta"}: a test webhook of any catalogue event
//	POST|GET|DELETE {prefix}api/faults faults on Tartan's API; GET {prefix}api/calls, {prefix}api/verdict (see faults_control.go)
//
// A body is a JSON object of the keys shown, or nothing; any other key is
// refused by name. A body sent as another Content-Type than
// application/json (curl's -d) is taken only from a request that carries
// neither Origin nor Sec-Fetch-Site, which every browser sends, so that no
// web page can post a form to them. A refused control changes nothing.
// Answers are JSON; errors are {"message", "field"} (field left out when
// the fault is no field's) with 400, 404 or 415, never a 500.
//
// They carry no key check of their own: mount them where only the tester
// reaches (serve binds loopback, behind its console's checks).
func (b *Box) Controls() http.Handler {
	mux := http.NewServeMux()
	p := ControlPrefix
	mux.HandleFunc("POST "+p+"orgs/{org}/accept", b.orgAction(b.Accept, "accepted"))
	mux.HandleFunc("POST "+p+"orgs/{org}/sync", b.postSync)
	mux.HandleFunc("POST "+p+"orgs/{org}/changes", b.postChanges)
	mux.HandleFunc("POST "+p+"orgs/{org}/reject", b.orgAction(b.Reject, "rejected"))
	mux.HandleFunc("POST "+p+"orgs/{org}/terminate", b.orgAction(b.TerminateByCorporate, "terminated"))
	mux.HandleFunc("POST "+p+"invite", b.postConsoleInvite)
	mux.HandleFunc("GET "+p+"orgs/{org}/verdict", func(w http.ResponseWriter, r *http.Request) {
		v, err := b.Verdict(r.PathValue("org"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, v)
	})
	mux.HandleFunc("GET "+p+"verdicts", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, b.Verdicts()) })
	mux.HandleFunc("POST "+p+"fail", b.postFail)
	mux.HandleFunc("POST "+p+"eod", b.postEOD)
	mux.HandleFunc("POST "+p+"send", b.postSend)
	mux.HandleFunc("GET "+p+"deliveries", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, b.Deliveries()) })
	b.apiControls(mux, p) // faults_control.go
	mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &fieldError{Field: "path", Why: r.Method + " " + r.URL.Path + " is not a control", NotFound: true})
	})
	return mux
}

// maxCount bounds every count a control takes: the joiners of one call
// are generated at once.
const maxCount = 100_000

// readControl reads a control's body: nothing, or a JSON object of the
// given keys at most. It answers a refusal itself.
func readControl(w http.ResponseWriter, r *http.Request, keys ...string) (map[string]json.RawMessage, bool) {
	if !bodyTypeAccepted(r) {
		writeError(w, &fieldError{Status: http.StatusUnsupportedMediaType,
			Why: "A control's body is JSON: send it with Content-Type: application/json (another type is taken only from a request without Origin or Sec-Fetch-Site, such as curl's -d)."})
		return nil, false
	}
	body, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	fields, err := decodeControl(body, keys...)
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return fields, true
}

// decodeControl splits a control's body into its fields: nothing, or a
// JSON object of the given keys at most (the first other key, in sorted
// order, is refused by name).
func decodeControl(body []byte, keys ...string) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	fields, err := jsonFields(body)
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if !slices.Contains(keys, k) {
			if k == "" {
				k = `""` // a field is never named by nothing
			}
			return nil, &fieldError{Field: k, Why: unknownKey(keys)}
		}
	}
	return fields, nil
}

// unknownKey says what a control takes instead.
func unknownKey(keys []string) string {
	if len(keys) == 0 {
		return "is not a key of this control, which takes no body"
	}
	return "is not a key of this control, which takes " + strings.Join(keys, ", ")
}

// bodyTypeAccepted reports whether r's body may be read: none, JSON, or
// another type from a request no browser made.
func bodyTypeAccepted(r *http.Request) bool {
	if r.ContentLength == 0 {
		return true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		return true
	}
	return r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == ""
}

// countField reads fields[name], when given, into dst: a whole number from
// 0 to maxCount.
func countField(fields map[string]json.RawMessage, name string, dst *int) error {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	if json.Unmarshal(raw, dst) != nil || *dst < 0 || *dst > maxCount {
		return &fieldError{Field: name, Why: fmt.Sprintf("must be a whole number from 0 to %d", maxCount)}
	}
	return nil
}

// decodeDelta reads a control's HRMS changes, keyed as fixtures.DeltaKeys.
func decodeDelta(fields map[string]json.RawMessage) (fixtures.Delta, error) {
	var d fixtures.Delta
	for _, f := range []struct {
		key string
		dst *int
	}{{"joiners", &d.Joiners}, {"promotions", &d.Promotions}, {"transfers", &d.Transfers}, {"manager-changes", &d.ManagerChanges}, {"leavers", &d.Leavers}} {
		if err := countField(fields, f.key, f.dst); err != nil {
			return d, err
		}
	}
	return d, nil
}

// readDelta reads a control's optional body of HRMS changes; it answers a
// refusal itself.
func readDelta(w http.ResponseWriter, r *http.Request) (fixtures.Delta, bool) {
	fields, ok := readControl(w, r, fixtures.DeltaKeys...)
	if !ok {
		return fixtures.Delta{}, false
	}
	d, err := decodeDelta(fields)
	if err != nil {
		writeError(w, err)
		return d, false
	}
	return d, true
}

// orgAction is a control that takes no body and does act to the org,
// answering {done: true}.
func (b *Box) orgAction(act func(orgID string) error, done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := readControl(w, r); !ok {
			return
		}
		if err := act(r.PathValue("org")); err != nil {
			writeError(w, err)
			return
		}
		writeDoc(w, http.StatusOK, wire.NewObject(1).Add(done, true))
	}
}

func (b *Box) postConsoleInvite(w http.ResponseWriter, r *http.Request) {
	fields, ok := readControl(w, r, "email", "employees", "org_name")
	if !ok {
		return
	}
	var name, email string
	n := 0
	for _, err := range []error{stringField(fields, "org_name", &name, true), stringField(fields, "email", &email, true), countField(fields, "employees", &n)} {
		if err != nil {
			writeError(w, err)
			return
		}
	}
	id, err := b.ConsoleInvite(name, email, n)
	if err != nil {
		writeError(w, err)
		return
	}
	writeDoc(w, http.StatusOK, wire.NewObject(1).Add("orgId", id))
}

func (b *Box) postSync(w http.ResponseWriter, r *http.Request) {
	d, ok := readDelta(w, r)
	if !ok {
		return
	}
	s, err := b.SyncWith(r.PathValue("org"), d)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, s)
}

func (b *Box) postChanges(w http.ResponseWriter, r *http.Request) {
	d, ok := readDelta(w, r)
	if !ok {
		return
	}
	if err := b.Change(r.PathValue("org"), d); err != nil {
		writeError(w, err)
		return
	}
	writeDoc(w, http.StatusOK, wire.NewObject(1).Add("changed", true))
}

func (b *Box) postEOD(w http.ResponseWriter, r *http.Request) {
	if _, ok := readControl(w, r); !ok {
		return
	}
	writeDoc(w, http.StatusOK, wire.NewObject(1).Add("count", b.EOD()))
}

func (b *Box) postFail(w http.ResponseWriter, r *http.Request) {
	fields, ok := readControl(w, r, "fault", "next")
	if !ok {
		return
	}
	f, n, err := decodeFail(fields)
	if err != nil {
		writeError(w, err)
		return
	}
	b.FailNext(f, n)
	writeDoc(w, http.StatusOK, wire.NewObject(2).Add("fault", f.String()).Add("next", n))
}

func (b *Box) postSend(w http.ResponseWriter, r *http.Request) {
	fields, ok := readControl(w, r, "event")
	if !ok {
		return
	}
	var event string
	if err := stringField(fields, "event", &event, true); err != nil {
		writeError(w, err)
		return
	}
	k, err := fixtures.LookupKind(event)
	if err != nil {
		writeError(w, &fieldError{Field: "event", Why: "is not in the catalogue"})
		return
	}
	d, sent := b.SendTest(k)
	writeDoc(w, http.StatusOK, wire.NewObject(4).Add("seq", d.Seq).Add("requestId", d.RequestID).Add("orgId", d.OrgID).Add("sent", sent))
}

// decodeFail reads {"fault": "drop"|"ack-lost", "next": N}.
func decodeFail(fields map[string]json.RawMessage) (sender.Fault, int, error) {
	var name string
	if err := stringField(fields, "fault", &name, false); err != nil {
		return 0, 0, err
	}
	f, err := sender.ParseFault(name)
	if err != nil || f == sender.FaultNone {
		return 0, 0, &fieldError{Field: "fault", Why: "must be drop or ack-lost"}
	}
	n := -1
	if err := countField(fields, "next", &n); err != nil {
		return 0, 0, err
	}
	if n < 0 {
		return 0, 0, &fieldError{Field: "next", Why: "is required: a count from 0"}
	}
	return f, n, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, &fieldError{Why: "The answer could not be written as JSON."})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
