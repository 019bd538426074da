package box

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// The request decoders: each turns bytes or a query into a value, or into
// a *fieldError naming the field at fault. None of them can panic on any
// input (see the fuzz targets).

// decodeToken reads Generate SDK token's JSON body.
func decodeToken(body []byte) (Invitation, error) {
	fields, err := jsonFields(body)
	if err != nil {
		return Invitation{}, err
	}
	var inv Invitation
	for _, f := range []struct {
		name     string
		dst      *string
		required bool
	}{{"email", &inv.Email, true}, {"org_name", &inv.OrgName, true}, {"fullname", &inv.FullName, true}, {"remote_org_id", &inv.RemoteOrgID, false}} {
		if err := stringField(fields, f.name, f.dst, f.required); err != nil {
			return Invitation{}, err
		}
	}
	if notEmail(inv.Email) {
		return Invitation{}, &fieldError{Field: "email", Why: "is not an email address"}
	}
	if raw, ok := fields["corporate_reference_data"]; ok && string(raw) != "null" {
		v, err := wire.Decode(raw)
		if _, isObj := v.(*wire.Object); err != nil || !isObj {
			return Invitation{}, &fieldError{Field: "corporate_reference_data", Why: "must be a JSON object"}
		}
		inv.ReferenceData = v
		n, err := employeesOf(raw)
		if err != nil {
			return Invitation{}, err
		}
		inv.Employees = n
	}
	if raw, ok := fields["data_model_flags"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &inv.Flags); err != nil {
			return Invitation{}, &fieldError{Field: "data_model_flags", Why: "must be groups of field: -1, 0 or 1"}
		}
	}
	return inv, nil
}

// notEmail reports whether s cannot be an email address.
func notEmail(s string) bool { return !strings.Contains(s, "@") || strings.ContainsAny(s, " \t\r\n") }

// employeesOf reads corporate_reference_data.employees, the size of the
// corporate to simulate: a whole number from 1 to MaxEmployees, or absent
// (0). raw is a JSON object.
func employeesOf(raw []byte) (int, error) {
	var ref struct {
		Employees json.RawMessage `json:"employees"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil || ref.Employees == nil || string(ref.Employees) == "null" {
		return 0, nil
	}
	bad := &fieldError{Field: "corporate_reference_data.employees", Why: fmt.Sprintf("must be a whole number from 1 to %d", MaxEmployees)}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(ref.Employees)), 10, 64)
	if err != nil || v < 1 || v > MaxEmployees {
		return 0, bad
	}
	return int(v), nil
}

// jsonFields splits a JSON object into its fields.
func jsonFields(body []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, &fieldError{Field: "body", Why: "must be a JSON object"}
	}
	return fields, nil
}

// stringField reads fields[name] into dst: a string, non-empty when required.
func stringField(fields map[string]json.RawMessage, name string, dst *string, required bool) error {
	raw, ok := fields[name]
	if ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, dst); err != nil {
			return &fieldError{Field: name, Why: "must be a string"}
		}
		*dst = strings.TrimSpace(*dst)
	}
	if required && *dst == "" {
		return &fieldError{Field: name, Why: "is required"}
	}
	return nil
}

// decodeTerminate reads Terminate connection's client_org from a multipart
// form, an urlencoded form or a JSON body, as contentType says.
func decodeTerminate(contentType string, body []byte) (string, error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	var v string
	switch mt {
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(MaxBody)
		if err != nil {
			return "", &fieldError{Field: "client_org", Why: "is required (the multipart form could not be read)"}
		}
		defer func() { _ = form.RemoveAll() }()
		if vals := form.Value["client_org"]; len(vals) > 0 {
			v = vals[0]
		}
	case "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return "", &fieldError{Field: "client_org", Why: "is required (the form could not be read)"}
		}
		v = q.Get("client_org")
	default:
		fields, err := jsonFields(body)
		if err != nil {
			return "", &fieldError{Field: "client_org", Why: "is required (send a multipart form, an urlencoded form or JSON)"}
		}
		if err := stringField(fields, "client_org", &v, true); err != nil {
			return "", err
		}
	}
	if v = strings.TrimSpace(v); v == "" {
		return "", &fieldError{Field: "client_org", Why: "is required"}
	}
	return v, nil
}

// page is a validated page request.
type page struct{ number, size int }

// parsePage reads page and page_size from q.
func parsePage(q url.Values, defSize int) (page, error) {
	p := page{number: 1, size: defSize}
	for _, f := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &p.number, 0}, {"page_size", &p.size, MaxPageSize}} {
		s := q.Get(f.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 1:
			return page{}, &fieldError{Field: f.name, Why: "must be a whole number from 1"}
		case f.max > 0 && n > f.max:
			return page{}, &fieldError{Field: f.name, Why: "must be at most " + strconv.Itoa(f.max)}
		}
		*f.dst = n
	}
	return p, nil
}

// pageInfo is the pagination wrapper.
type pageInfo struct {
	TotalPages, TotalItems, Items int
	Next, Previous                bool
}

// paginate returns the bounds of page p among total items and its pageInfo.
// A page past the end is empty: start == end.
func paginate(total int, p page) (start, end int, info pageInfo) {
	pages := (total + p.size - 1) / p.size
	start = min(total, (p.number-1)*p.size)
	if p.number-1 > total/p.size { // no overflow for huge page numbers
		start = total
	}
	end = min(total, start+p.size)
	return start, end, pageInfo{TotalPages: pages, TotalItems: total, Items: end - start, Next: p.number < pages, Previous: p.number > 1}
}

func (pi pageInfo) object() *wire.Object {
	return wire.NewObject(5).Add("totalPages", pi.TotalPages).Add("totalItems", pi.TotalItems).
		Add("items", pi.Items).Add("next", pi.Next).Add("previous", pi.Previous)
}

// listQuery is employee_list's query.
type listQuery struct {
	org          string
	page         page
	updatedAfter time.Time // zero: no bound
	hrms         bool      // source=hrms
	filter       *filter
}

// filter is field:value, matched case-insensitively.
// filter is employee_list's filter=field:value, for one request.
type filter struct {
	field, value string
	at           int // where field was in the last record: records of one org share their keys' order
}

func parseListQuery(q url.Values) (listQuery, error) {
	lq := listQuery{org: strings.TrimSpace(q.Get("org"))}
	if lq.org == "" {
		return lq, &fieldError{Field: "org", Why: "is required"}
	}
	var err error
	if lq.page, err = parsePage(q, DefaultPageSize); err != nil {
		return lq, err
	}
	if s := q.Get("updated_after"); s != "" {
		if lq.updatedAfter, err = parseTime(s); err != nil {
			return lq, &fieldError{Field: "updated_after", Why: "must be YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339"}
		}
	}
	if lq.hrms, err = parseSource(q.Get("source")); err != nil {
		return lq, err
	}
	if s := q.Get("filter"); s != "" {
		if lq.filter, err = parseFilter(s); err != nil {
			return lq, err
		}
	}
	return lq, nil
}

// parseSource reads source: "" or db is false, hrms true.
func parseSource(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "db":
		return false, nil
	case "hrms":
		return true, nil
	}
	return false, &fieldError{Field: "source", Why: "must be db or hrms"}
}

// parseFilter reads field:value; the field is a record key, in any case.
func parseFilter(s string) (*filter, error) {
	field, value, ok := strings.Cut(s, ":")
	field = strings.TrimSpace(field)
	if !ok || field == "" {
		return nil, &fieldError{Field: "filter", Why: "must be field:value, e.g. status:active"}
	}
	for _, k := range fixtures.RecordKeys {
		if strings.EqualFold(k, field) {
			return &filter{field: k, value: strings.TrimSpace(value)}, nil
		}
	}
	return nil, &fieldError{Field: "filter", Why: "names " + strconv.Quote(field) + ", which is not a field of an employee record"}
}

// matches reports whether rec's field, as text, equals the filter's value
// in any case; null matches "null", a missing field nothing.
func (f *filter) matches(rec *wire.Object) bool {
	v, ok := f.get(rec)
	if !ok {
		return false
	}
	var s string
	switch x := v.(type) {
	case nil:
		s = "null"
	case string:
		s = x
	case int:
		s = strconv.Itoa(x)
	case bool:
		s = strconv.FormatBool(x)
	default:
		s = string(wire.Encode(x, wire.Compact))
	}
	return strings.EqualFold(s, f.value)
}

// get is rec's value of f's field, looked for first where the last record
// had it.
func (f *filter) get(rec *wire.Object) (any, bool) {
	if f.at < rec.Len() {
		if k, v := rec.At(f.at); k == f.field {
			return v, true
		}
	}
	for i := range rec.Len() {
		if k, v := rec.At(i); k == f.field {
			f.at = i
			return v, true
		}
	}
	return nil, false
}

// parseTime reads YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (UTC) or RFC 3339.
func parseTime(s string) (time.Time, error) {
	for _, l := range []string{fixtures.DateLayout, fixtures.TimeLayout, time.RFC3339Nano} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, show.Refuse("box", "not a time")
}

// resendQuery is what Resend re-sends.
type resendQuery struct {
	searchType, session, requestID, orgID string
	counter                               int
	start, end                            time.Time
	status                                string // "", failed or success
}

var searchTypes = []string{"sync_session", "sync_session_counter", "timestamp_range", "org", "request_id"}

func decodeResend(body []byte) (resendQuery, error) {
	fields, err := jsonFields(body)
	if err != nil {
		return resendQuery{}, err
	}
	var q resendQuery
	if err := stringField(fields, "search_type", &q.searchType, true); err != nil {
		return q, err
	}
	if err := stringField(fields, "status", &q.status, false); err != nil {
		return q, err
	}
	if q.status != "" && q.status != "failed" && q.status != "success" {
		return q, &fieldError{Field: "status", Why: "must be failed or success"}
	}
	need := func(name string, dst *string) error { return stringField(fields, name, dst, true) }
	switch q.searchType {
	case "sync_session":
		err = need("sync_session_id", &q.session)
	case "sync_session_counter":
		if err = need("sync_session_id", &q.session); err == nil {
			raw, ok := fields["webhook_counter"]
			if !ok || json.Unmarshal(raw, &q.counter) != nil || q.counter < 1 {
				err = &fieldError{Field: "webhook_counter", Why: "is required: a whole number from 1"}
			}
		}
	case "timestamp_range":
		for _, f := range []struct {
			name string
			dst  *time.Time
		}{{"start_time", &q.start}, {"end_time", &q.end}} {
			var s string
			if err = need(f.name, &s); err != nil {
				break
			}
			if *f.dst, err = parseTime(s); err != nil {
				err = &fieldError{Field: f.name, Why: "must be YYYY-MM-DD HH:MM:SS or RFC 3339"}
				break
			}
		}
		if err == nil && q.end.Before(q.start) {
			err = &fieldError{Field: "end_time", Why: "is before start_time"}
		}
	case "org":
		err = need("org_id", &q.orgID)
	case "request_id":
		err = need("request_id", &q.requestID)
	default:
		err = &fieldError{Field: "search_type", Why: "must be one of " + strings.Join(searchTypes, ", ")}
	}
	return q, err
}
