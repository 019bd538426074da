package box

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/wire"
)

// apiMux routes Tartan's API, every path with and without its trailing
// slash, behind the API key.
func (b *Box) apiMux() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		mux.HandleFunc(method+" "+path+"/{$}", h)
	}
	route("POST", "/api/sdk/token", b.serveToken)
	route("POST", "/api/terminate_connection", b.serveTerminate)
	route("GET", "/api/vendor/connections", b.serveConnections)
	route("GET", "/api/v2/employee_list", b.serveEmployeeList)
	route("POST", "/api/webhooks/resend", b.serveResend)
	route("GET", "/api/employee_details/{id}", b.serveEmployeeDetails)
	route("GET", "/api/sdk/data_model_flags", b.serveFlags)
	route("GET", "/api/org_details/{org}", b.serveOrgDetails)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &fieldError{Field: "path", Why: r.URL.Path + " is not an endpoint of this API", NotFound: true})
	})
	return b.requireKey(mux)
}

// writeDoc writes doc as compact JSON.
func writeDoc(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(wire.Encode(doc, wire.Compact))
}

// writeError answers a refused request in one shape, {"message", "field"}
// (field left out when the fault is no field's), with 4xx: errors of the Go
// API map onto the field they are about (see refusal).
func writeError(w http.ResponseWriter, err error) {
	fe := refusal(err)
	doc := wire.NewObject(2).Add("message", fe.Error())
	if fe.Field != "" {
		doc.Add("field", fe.Field)
	}
	writeDoc(w, fe.status(), doc)
}

// readBody reads at most MaxBody bytes; more is 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, &fieldError{Status: http.StatusRequestEntityTooLarge, Why: "The body is larger than 1 MiB, or could not be read."})
		return nil, false
	}
	return body, true
}

func (b *Box) serveToken(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	inv, err := decodeToken(body)
	if err != nil {
		writeError(w, err)
		return
	}
	id, _, err := b.Invite(inv)
	if err != nil {
		writeError(w, err)
		return
	}
	ref := inv.ReferenceData
	if ref == nil {
		ref = wire.NewObject(0)
	}
	writeDoc(w, http.StatusOK, wire.NewObject(4).
		Add("org_id", id).
		Add("access_token", b.accessToken(id, b.cfg.clock.Now().Unix())).
		Add("exp", TokenLifetime).
		Add("corporate_reference_data", ref))
}

func (b *Box) serveTerminate(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	client, err := decodeTerminate(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeError(w, err)
		return
	}
	switch err := b.Terminate(client); {
	case errors.Is(err, ErrSyncInProgress):
		writeDoc(w, http.StatusBadRequest, wire.NewObject(1).Add("message", msgSyncInProgress))
	case err != nil:
		writeDoc(w, http.StatusBadRequest, wire.NewObject(1).Add("message", msgConnectionNotFound))
	default:
		writeDoc(w, http.StatusOK, wire.NewObject(2).Add("message", msgTerminated).Add("data", nil))
	}
}

func (b *Box) serveConnections(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	want := strings.ToLower(q.Get("status"))
	switch want {
	case "", "pending", "approved", "rejected":
	default:
		writeError(w, &fieldError{Field: "status", Why: "must be pending, approved or rejected"})
		return
	}
	p, err := parsePage(q, DefaultConnectionsPageSize)
	if err != nil {
		writeError(w, err)
		return
	}
	b.mu.Lock()
	var rows []any
	for _, id := range b.order {
		o := b.orgs[id]
		st := map[string]string{fixtures.StatusInvited: "pending", fixtures.StatusAccepted: "approved"}[o.status]
		if st == "" || (want != "" && want != st) {
			continue
		}
		rows = append(rows, b.connectionRow(o, st))
	}
	b.mu.Unlock()
	start, end, info := paginate(len(rows), p)
	writeDoc(w, http.StatusOK, wire.NewObject(3).Add("message", "success").Add("pageInfo", info.object()).Add("data", append([]any{}, rows[start:end]...)))
}

// connectionRow is one row of vendor/connections. b.mu held.
func (b *Box) connectionRow(o *org, status string) *wire.Object {
	// Data points are the record's top-level keys the org's flags deliver or
	// leave out; the groups the box never sends are not requested.
	shared, notShared, notRequested := []any{}, []any{}, []any{}
	for _, fg := range flagGroups {
		grp, _ := o.flags.Get(fg.name)
		g, _ := grp.(*wire.Object)
		switch {
		case fg.name == "detail_info_fields":
			for _, f := range fg.fields {
				if v, _ := g.Get(f); v == FlagDisabled {
					notShared = append(notShared, f)
				} else {
					shared = append(shared, f)
				}
			}
		case fg.key == "":
			notRequested = append(notRequested, fg.name)
		case o.fs.Has(fg.key):
			shared = append(shared, fg.key)
		default:
			notShared = append(notShared, fg.key)
		}
	}
	var lastSync, hrms any
	if !o.lastSync.IsZero() {
		lastSync = connectionTime(o.lastSync)
	}
	if o.initial {
		hrms = itoa(o.corp.HRMS)
	}
	return wire.NewObject(17).
		Add("org_name", o.corp.Name).
		Add("org_id", o.id).
		Add("shared_data_points", shared).
		Add("not_shared_data_points", notShared).
		Add("not_requested_data_points", notRequested).
		Add("last_successful_sync", lastSync).
		Add("sync_frequency", "weekly").
		Add("hrms_code", hrms).
		Add("csm_user", nil).
		Add("application_status_timestamp", connectionTime(o.modified)).
		Add("created_by_user", b.vendor.Inviter).
		Add("int_type", "sdk").
		Add("email", o.email).
		Add("phone", nil).
		Add("is_international", false).
		Add("salary_details_flag", false).
		Add("application_connection_status", status)
}

func (b *Box) serveEmployeeList(w http.ResponseWriter, r *http.Request) {
	lq, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	recs, err := b.records(lq.org, lq.hrms)
	if err != nil {
		writeError(w, err)
		return
	}
	data := make([]any, 0, len(recs))
	for _, rec := range recs {
		if (!lq.updatedAfter.IsZero() && !rec.At.After(lq.updatedAfter)) || (lq.filter != nil && !lq.filter.matches(rec.Record)) {
			continue
		}
		data = append(data, rec.Record)
	}
	start, end, info := paginate(len(data), lq.page)
	writeDoc(w, http.StatusOK, wire.NewObject(4).
		Add("requestId", b.requestID()).
		Add("message", "success").
		Add("pageInfo", info.object()).
		Add("data", append([]any{}, data[start:end]...)))
}

func (b *Box) serveEmployeeDetails(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := r.PathValue("id")
	rid := b.requestID()
	orgID, vendor := strings.TrimSpace(q.Get("org")), strings.TrimSpace(q.Get("vendor_org"))
	hrms, err := parseSource(q.Get("source"))
	switch {
	case orgID == "":
		err = &fieldError{Field: "org", Why: "is required"}
	case vendor == "":
		err = &fieldError{Field: "vendor_org", Why: "is required"}
	case vendor != b.vendor.OrgID:
		err = &fieldError{Field: "vendor_org", Why: "is not your organisation", NotFound: true}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	recs, err := b.records(orgID, hrms)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, key := range []string{"id", "employeeId"} {
		for _, rec := range recs {
			if v, _ := rec.Record.Get(key); v == id {
				writeDoc(w, http.StatusOK, wire.NewObject(3).Add("requestId", rid).Add("message", "success").Add("data", rec.Record))
				return
			}
		}
	}
	writeDoc(w, http.StatusNotFound, wire.NewObject(3).Add("requestId", rid).Add("message", msgEmployeeNotFound).Add("field", "id"))
}

func (b *Box) serveFlags(w http.ResponseWriter, r *http.Request) {
	_, doc, _ := fieldSet(nil)
	if id := r.URL.Query().Get("org"); id != "" {
		b.mu.Lock()
		o := b.lookup(id)
		if o != nil {
			doc = o.flags
		}
		b.mu.Unlock()
		if o == nil {
			writeError(w, ErrUnknownOrg)
			return
		}
	}
	writeDoc(w, http.StatusOK, wire.NewObject(3).Add("status", "success").Add("message", "Data model flags retrieved successfully").Add("data", doc))
}

func (b *Box) serveOrgDetails(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.lookup(r.PathValue("org"))
	if o == nil {
		writeError(w, ErrUnknownOrg)
		return
	}
	var hrms any
	if o.initial {
		hrms = itoa(o.corp.HRMS)
	}
	invite := map[string]string{fixtures.StatusInvited: "INVITED", fixtures.StatusAccepted: "ACCEPTED", fixtures.StatusTerminated: "TERMINATED"}[o.status]
	writeDoc(w, http.StatusOK, wire.NewObject(11).
		Add("id", o.num).
		Add("uuid", o.id).
		Add("org_name", o.corp.Name).
		Add("org_cin", nullable(o.corp.CIN)).
		Add("invite_status", invite).
		Add("created_on", isoTime(o.created)).
		Add("modified_on", isoTime(o.modified)).
		Add("remote_org_id", o.corp.RemoteOrgID).
		Add("hrms", hrms).
		Add("email_domain", o.corp.Domain).
		Add("application", wire.NewObject(3).Add("name", b.vendor.Name).Add("app_key", Masked).Add("app_secret", Masked)))
}

func (b *Box) serveResend(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	q, err := decodeResend(body)
	if err != nil {
		writeError(w, err)
		return
	}
	n, err := b.resend(q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeDoc(w, http.StatusOK, wire.NewObject(2).Add("success", true).Add("count", n))
}
