package box

import (
	"encoding/json"
	"errors"
	"net/http"

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
//	GET  {prefix}orgs/{org}/verdict    the latest verdict
//	GET  {prefix}verdicts              every org's latest verdict
//	POST {prefix}fail                  {"fault": "drop"|"ack-lost", "next": N}
//	POST {prefix}eod                   re-send every delivery not acknowledged yet
//	GET  {prefix}deliveries            the delivery log (no bodies)
//	POST {prefix}send                  {"event": "sync.events.employee.add/delta"}: a test webhook of any catalogue event
//
// They carry no key check of their own: mount them where only the tester
// reaches (serve binds loopback). Answers are JSON; errors are {"message",
// "field"} with 400 or 404, never a 500.
func (b *Box) Controls() http.Handler {
	mux := http.NewServeMux()
	p := ControlPrefix
	mux.HandleFunc("POST "+p+"orgs/{org}/accept", b.postAccept)
	mux.HandleFunc("POST "+p+"orgs/{org}/sync", b.postSync)
	mux.HandleFunc("POST "+p+"orgs/{org}/changes", b.postChanges)
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
	mux.HandleFunc("POST "+p+"eod", func(w http.ResponseWriter, r *http.Request) {
		writeDoc(w, http.StatusOK, wire.NewObject(1).Add("count", b.EOD()))
	})
	mux.HandleFunc("POST "+p+"send", b.postSend)
	mux.HandleFunc("GET "+p+"deliveries", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, b.Deliveries()) })
	mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &fieldError{Field: "path", Why: r.Method + " " + r.URL.Path + " is not a control", NotFound: true})
	})
	return mux
}

func (b *Box) postAccept(w http.ResponseWriter, r *http.Request) {
	if err := b.Accept(r.PathValue("org")); err != nil {
		writeError(w, err)
		return
	}
	writeDoc(w, http.StatusOK, wire.NewObject(1).Add("accepted", true))
}

// readDelta reads a control's optional body of HRMS changes; it answers the
// error itself.
func readDelta(w http.ResponseWriter, r *http.Request) (fixtures.Delta, bool) {
	var d fixtures.Delta
	body, ok := readBody(w, r)
	if !ok {
		return d, false
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &d); err != nil || d.Joiners < 0 || d.Promotions < 0 || d.Transfers < 0 || d.ManagerChanges < 0 || d.Leavers < 0 {
			writeError(w, &fieldError{Field: "body", Why: `must be {"joiners", "promotions", "transfers", "manager-changes", "leavers"}, counts from 0`})
			return d, false
		}
	}
	return d, true
}

func (b *Box) postSync(w http.ResponseWriter, r *http.Request) {
	d, ok := readDelta(w, r)
	if !ok {
		return
	}
	s, err := b.SyncWith(r.PathValue("org"), d)
	if err != nil {
		writeError(w, controlError(err))
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
		writeError(w, controlError(err))
		return
	}
	writeDoc(w, http.StatusOK, wire.NewObject(1).Add("changed", true))
}

func (b *Box) postFail(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	f, n, err := decodeFail(body)
	if err != nil {
		writeError(w, err)
		return
	}
	b.FailNext(f, n)
	writeDoc(w, http.StatusOK, wire.NewObject(2).Add("fault", f.String()).Add("next", n))
}

func (b *Box) postSend(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Event string `json:"event"`
	}
	_ = json.Unmarshal(body, &req)
	k, err := fixtures.LookupKind(req.Event)
	if err != nil {
		writeError(w, &fieldError{Field: "event", Why: "is not in the catalogue"})
		return
	}
	d, sent := b.SendTest(k)
	writeDoc(w, http.StatusOK, wire.NewObject(4).Add("seq", d.Seq).Add("requestId", d.RequestID).Add("orgId", d.OrgID).Add("sent", sent))
}

// decodeFail reads {"fault": "drop"|"ack-lost", "next": N}.
func decodeFail(body []byte) (sender.Fault, int, error) {
	var req struct {
		Fault string `json:"fault"`
		Next  *int   `json:"next"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, 0, &fieldError{Field: "body", Why: `must be {"fault": "drop" or "ack-lost", "next": N}`}
	}
	f, err := sender.ParseFault(req.Fault)
	if err != nil || f == sender.FaultNone {
		return 0, 0, &fieldError{Field: "fault", Why: "must be drop or ack-lost"}
	}
	if req.Next == nil || *req.Next < 0 {
		return 0, 0, &fieldError{Field: "next", Why: "is required: a count from 0"}
	}
	return f, *req.Next, nil
}

// controlError names the field of a Go API error.
func controlError(err error) error {
	switch {
	case errors.Is(err, ErrUnknownOrg):
		return err
	case errors.Is(err, fixtures.ErrNoCandidate):
		return &fieldError{Field: "body", Why: "asks for more changes than the corporate has employees for"}
	}
	return &fieldError{Field: "org", Why: err.Error()}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeDoc(w, http.StatusBadRequest, wire.NewObject(1).Add("message", err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
