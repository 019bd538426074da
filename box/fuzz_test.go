package box

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tartansim/tartansim/fixtures"
)

// Every request decoder answers any input with a value or a *fieldError
// naming a field, and never panics.

func wantFieldError(t *testing.T, err error) {
	t.Helper()
	var fe *fieldError
	if err != nil && (!errors.As(err, &fe) || fe.Field == "") {
		t.Fatalf("error %v (%T) names no field", err, err)
	}
}

func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{
		`{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha"}`,
		`{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha","remote_org_id":"x","corporate_reference_data":{"a":[1,{"b":null}]},"data_model_flags":{"detail_info_fields":{"pan":0}}}`,
		`{"email":null}`, `[]`, `"x"`, `{"email":7}`, "\xef\xbb\xbf{}", `{"data_model_flags":{"a":{"b":1e309}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		inv, err := decodeToken(body)
		wantFieldError(t, err)
		if err != nil {
			return
		}
		if inv.Email == "" || inv.OrgName == "" || inv.FullName == "" || !strings.Contains(inv.Email, "@") {
			t.Fatalf("accepted an invitation without its required fields: %+v", inv)
		}
		_, _, err = fieldSet(inv.Flags)
		wantFieldError(t, err)
	})
}

func FuzzDecodeTerminate(f *testing.F) {
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"client_org\"\r\n\r\norg-1\r\n--x--\r\n"))
	f.Add("application/x-www-form-urlencoded", []byte("client_org=org-1"))
	f.Add("application/json", []byte(`{"client_org":"org-1"}`))
	f.Add("", []byte(`{"client_org":5}`))
	f.Add("multipart/form-data", []byte("--\r\n"))
	f.Add("application/x-www-form-urlencoded", []byte("%zz"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		v, err := decodeTerminate(contentType, body)
		wantFieldError(t, err)
		if err == nil && strings.TrimSpace(v) == "" {
			t.Fatal("accepted an empty client_org")
		}
	})
}

func FuzzParseListQuery(f *testing.F) {
	for _, s := range []string{
		"org=o", "org=o&page=2&page_size=100&updated_after=2026-03-03&source=hrms&filter=status:active",
		"org=o&page=9223372036854775807&page_size=1", "page=-1", "org=o&filter=:", "org=o&updated_after=2026-03-03T17:30:00%2B05:30",
		"org=o&source=DB&filter=employeeId:TRT-0042:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, err := parseListQuery(q)
		wantFieldError(t, err)
		if err != nil {
			return
		}
		if lq.org == "" || lq.page.number < 1 || lq.page.size < 1 || lq.page.size > MaxPageSize {
			t.Fatalf("accepted a bad query: %+v", lq)
		}
		for _, total := range []int{0, 1, 99, 1000} {
			start, end, info := paginate(total, lq.page)
			if start < 0 || end < start || end > total || info.Items != end-start {
				t.Fatalf("paginate(%d, %+v) = %d, %d, %+v", total, lq.page, start, end, info)
			}
		}
	})
}

func FuzzDecodeResend(f *testing.F) {
	for _, s := range []string{
		`{"search_type":"sync_session","sync_session_id":"abc"}`,
		`{"search_type":"sync_session_counter","sync_session_id":"abc","webhook_counter":3,"status":"failed"}`,
		`{"search_type":"timestamp_range","start_time":"2026-03-02 08:00:00","end_time":"2026-03-02T10:00:00Z"}`,
		`{"search_type":"org","org_id":"o"}`, `{"search_type":"request_id","request_id":"r"}`,
		`{"search_type":"sync_session_counter","sync_session_id":"a","webhook_counter":1.5}`, `{}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := decodeResend(body)
		wantFieldError(t, err)
		if err == nil && q.searchType == "timestamp_range" && q.end.Before(q.start) {
			t.Fatal("accepted a range that ends before it starts")
		}
	})
}

func FuzzDecodeFail(f *testing.F) {
	for _, s := range []string{`{"fault":"drop","next":3}`, `{"fault":"ack-lost","next":0}`, `{"fault":"none","next":1}`, `{"next":-1}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := decodeControl(body, "fault", "next")
		wantFieldError(t, err)
		if err != nil {
			return
		}
		_, n, err := decodeFail(fields)
		wantFieldError(t, err)
		if err == nil && n < 0 {
			t.Fatal("accepted a negative count")
		}
	})
}

func FuzzDecodeDelta(f *testing.F) {
	for _, s := range []string{`{"joiners":2,"leavers":1}`, `{"manager-changes":1e9}`, `{"hires":3}`, `{"promotions":-1}`, `{"transfers":null}`, ``, `[]`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := decodeControl(body, fixtures.DeltaKeys...)
		wantFieldError(t, err)
		if err != nil {
			return
		}
		d, err := decodeDelta(fields)
		wantFieldError(t, err)
		for _, n := range []int{d.Joiners, d.Promotions, d.Transfers, d.ManagerChanges, d.Leavers} {
			if err == nil && (n < 0 || n > maxCount) {
				t.Fatalf("accepted a count of %d", n)
			}
		}
	})
}

func FuzzParseSalaryQuery(f *testing.F) {
	for _, s := range []string{
		"org=o&vendor_org=v&type=ctc_monthly&from_date=01-2026&to_date=02-2026",
		"org=o&vendor_org=v&type=monthly&from_date=13-2025", "org=o&vendor_org=v", "type=ctc", "org=o&vendor_org=v&type=CTC&from_date=01-0001",
		"org=o&vendor_org=v&type=monthly&from_date=12-9999&to_date=01-0001",
	} {
		f.Add(s)
	}
	now := time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		sq, err := parseSalaryQuery(q)
		wantFieldError(t, err)
		if err != nil {
			return
		}
		if !sq.ctc && !sq.monthly {
			t.Fatalf("accepted a query asking for nothing: %q", raw)
		}
		ms, err := sq.months(now, &fixtures.Employee{DOJ: "2020-01-15"})
		wantFieldError(t, err)
		if len(ms) > MaxSalaryMonths {
			t.Fatalf("%d months for %q", len(ms), raw)
		}
	})
}
