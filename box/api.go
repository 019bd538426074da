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
	route("GET", "/api/v2/salary_details/{employee_id}", b.serveSalary)
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

// connectionStatuses maps a connection's state to vendor/connections'
// status filter and to its application_connection_status, in Tartan's
// example's casing ("Active"); terminated connections are left out.
var connectionStatuses = map[string][2]string{
	fixtures.StatusInvited:  {"pending", "Pending"},
	fixtures.StatusAccepted: {"approved", "Active"},
	statusRejected:          {"rejected", "Rejected"},
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
		st, ok := connectionStatuses[o.status]
		if !ok || (want != "" && want != st[0]) {
			continue
		}
		rows = append(rows, b.connectionRow(o, st[1]))
	}
	b.mu.Unlock()
	start, end, info := paginate(len(rows), p)
	writeDoc(w, http.StatusOK, wire.NewObject(3).Add("message", "success").Add("pageInfo", info.object()).Add("data", append([]any{}, rows[start:end]...)))
}

// connectionRow is one row of vendor/connections. b.mu held.
func (b *Box) connectionRow(o *org, status string) *wire.Object {
	// The data points are the org's flags by Tartan's names: the ones it
	// requested (-1 or 1) are shared, since the simulated corporate shares
	// all it is asked; the ones at 0 were not requested.
	shared, notShared, notRequested := []any{}, []any{}, []any{}
	salary := false
	flagValues(o.flags, func(group, field string, v int) {
		if v == FlagDisabled {
			notRequested = append(notRequested, field)
			return
		}
		shared = append(shared, field)
		salary = salary || group == "ctc_details_fields" || group == "salary_monthly_details_fields"
	})
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
		Add("int_type", IntType).
		Add("email", o.email).
		Add("phone", nil).
		Add("is_international", false).
		Add("salary_details_flag", salary).
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

// inviteStatuses is org_details' invite_status, lower case as Tartan's
// example shows "accepted".
var inviteStatuses = map[string]string{
	fixtures.StatusInvited: "invited", fixtures.StatusAccepted: "accepted",
	fixtures.StatusTerminated: "terminated", statusRejected: "rejected",
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
	writeDoc(w, http.StatusOK, wire.NewObject(19).
		Add("id", o.num).
		Add("application", wire.NewObject(3).Add("app_name", b.vendor.Name).Add("app_key", Masked).Add("app_secret", Masked)).
		Add("uuid", o.id).
		Add("org_name", o.corp.Name).
		Add("org_cin", nullable(o.corp.CIN)).
		Add("website_url", "").
		Add("logo_url", "").
		Add("email_domain", nullString(o.corp.Domain)).
		Add("invite_status", inviteStatuses[o.status]).
		Add("created_on", isoTime(o.created)).
		Add("modified_on", isoTime(o.modified)).
		Add("is_client", true).
		Add("is_vendor", false).
		Add("brand_name", nil).
		Add("remote_org_id", nullString(o.corp.RemoteOrgID)).
		Add("hrms", hrms).
		Add("invited_by", b.vendorUserID).
		Add("created_by", b.vendorUserID))
}

// nullString is s, or nil (JSON null) when s is "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
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
