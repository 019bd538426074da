package box_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
)

// api is a box behind a recorder, called over loopback.
type api struct {
	rec   *recorder
	clock *clock.Fake
	srv   *boxtest.Server
}

func newAPI(opts ...box.Option) *api {
	a := &api{rec: newRecorder(), clock: clock.NewFake(monday)}
	opts = append([]box.Option{box.Seed(uint64(GinkgoRandomSeed())), box.WithClock(a.clock), box.AcceptAfter(box.Never), box.Employees(27)}, opts...)
	srv, err := boxtest.NewServer(a.rec.srv.URL, []byte(appKey), apiKey, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Close)
	a.srv = srv
	return a
}

// answer is an API answer, decoded.
type answer struct {
	status int
	raw    string
	doc    map[string]any
}

// do calls the API with the key in the first documented form.
func (a *api) do(method, path, contentType, body string) answer {
	return a.doWith(method, path, contentType, body, http.Header{"Authorization": {apiKey}})
}

func (a *api) doWith(method, path, contentType, body string, h http.Header) answer {
	GinkgoHelper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header = h.Clone()
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	ans := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &ans.doc)
	Expect(ans.raw).NotTo(ContainSubstring(appKey), "an answer must never carry the app key")
	Expect(ans.raw).NotTo(ContainSubstring(apiKey), "an answer must never carry the API key")
	return ans
}

func (a *api) token(fields map[string]any) answer {
	b, _ := json.Marshal(fields)
	return a.do("POST", "/api/sdk/token/", "application/json", string(b))
}

// invite mints a token for a fresh corporate and returns its org_id.
func (a *api) invite(remote string) string {
	GinkgoHelper()
	ans := a.token(map[string]any{"email": "hr@" + remote + ".in", "org_name": remote + " Pvt Ltd", "fullname": "Asha Rao", "remote_org_id": remote})
	Expect(ans.status).To(Equal(200), ans.raw)
	return ans.doc["org_id"].(string)
}

// settle waits until every queued webhook has been sent.
func (a *api) settle() {
	GinkgoHelper()
	Expect(a.srv.Box.Idle(ctx())).To(Succeed())
}

func (a *api) accept(orgID string) {
	GinkgoHelper()
	Expect(a.srv.Box.Accept(orgID)).To(Succeed())
	a.settle()
}

func multipartForm(field, value string) (string, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField(field, value)
	_ = w.Close()
	return w.FormDataContentType(), buf.String()
}

func list(a *api, query string) answer { return a.do("GET", "/api/v2/employee_list?"+query, "", "") }

func data(ans answer) []map[string]any {
	var out []map[string]any
	for _, d := range ans.doc["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

var _ = Describe("the API key", Label("api", "auth"), func() {
	DescribeTable("is accepted in each documented form",
		func(h http.Header) {
			a := newAPI()
			ans := a.doWith("GET", "/api/vendor/connections/", "", "", h)
			Expect(ans.status).To(Equal(200), ans.raw)
		},
		Entry("Authorization: <key>", http.Header{"Authorization": {apiKey}}),
		Entry("Authorization: Token <key>", http.Header{"Authorization": {"Token " + apiKey}}),
		Entry("username: <key>", http.Header{"Username": {apiKey}}),
	)

	DescribeTable("missing or wrong is 401 and changes nothing",
		func(h http.Header) {
			a := newAPI()
			body := `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`
			ans := a.doWith("POST", "/api/sdk/token/", "application/json", body, h)
			Expect(ans.status).To(Equal(401))
			Expect(ans.raw).To(MatchJSON(`{"detail":"Invalid token."}`))
			a.settle()
			Expect(a.srv.Box.Orgs()).To(BeEmpty())
			Expect(a.rec.received()).To(BeEmpty())
		},
		Entry("missing", http.Header{}),
		Entry("wrong", http.Header{"Authorization": {"Token not-the-key"}}),
		Entry("the app key instead", http.Header{"Authorization": {appKey}}),
		Entry("a prefix of the key", http.Header{"Authorization": {apiKey[:len(apiKey)-1]}}),
		Entry("another scheme", http.Header{"Authorization": {"Bearer " + apiKey}}),
	)
})

var _ = Describe("Generate SDK token", Label("api"), func() {
	It("invites a new corporate: org_id, an HS256 JWT lasting 3600s, the reference data echoed, and connection.events.requested signed with the app key", func() {
		a := newAPI()
		ans := a.token(map[string]any{"email": "hr@acme.in", "org_name": "Acme & Sons Pvt Ltd", "fullname": "Asha Rao",
			"remote_org_id": "acme-1", "corporate_reference_data": map[string]any{"crm": "X-9", "tier": 2}})
		Expect(ans.status).To(Equal(200), ans.raw)
		Expect(ans.doc["exp"]).To(BeEquivalentTo(3600))
		Expect(ans.doc["corporate_reference_data"]).To(Equal(map[string]any{"crm": "X-9", "tier": float64(2)}))
		Expect(strings.Split(ans.doc["access_token"].(string), ".")).To(HaveLen(3))
		a.settle()
		got := a.rec.received()
		Expect(got).To(HaveLen(1))
		Expect(sender.Verify([]byte(appKey), got[0].body, got[0].sig)).To(Succeed())
		var env map[string]any
		Expect(json.Unmarshal(got[0].body, &env)).To(Succeed())
		Expect(env["event"]).To(Equal(fixtures.EventConnectionRequested))
		Expect(env["orgId"]).To(Equal(ans.doc["org_id"]))
		rec := env["body"].([]any)[0].(map[string]any)
		Expect(rec).To(HaveKeyWithValue("status", "CONNECTION_INVITED"))
		Expect(rec).To(HaveKeyWithValue("invitedBy", a.srv.Box.Vendor().Inviter)) // the inviter, not the invited HR
		Expect(rec).To(HaveKeyWithValue("remote_org_id", "acme-1"))
		Expect(rec).To(HaveKeyWithValue("orgName", "Acme & Sons Pvt Ltd"))
		Expect(rec).To(HaveKeyWithValue("hrms", BeNil()))
	})

	It("maps the same remote_org_id, or the same private domain, to the same org_id and fires nothing again", func() {
		a := newAPI()
		first := a.invite("acme")
		Expect(a.invite("acme")).To(Equal(first))
		byDomain := a.token(map[string]any{"email": "ops@sharma.in", "org_name": "Sharma", "fullname": "R"})
		again := a.token(map[string]any{"email": "hr@Sharma.in", "org_name": "Sharma", "fullname": "S"})
		Expect(again.doc["org_id"]).To(Equal(byDomain.doc["org_id"]))
		gmail1 := a.token(map[string]any{"email": "a@gmail.com", "org_name": "One", "fullname": "A"})
		gmail2 := a.token(map[string]any{"email": "b@gmail.com", "org_name": "Two", "fullname": "B"})
		Expect(gmail1.doc["org_id"]).NotTo(Equal(gmail2.doc["org_id"]))
		a.settle()
		Expect(a.rec.received()).To(HaveLen(4)) // acme, sharma, two gmail corporates
	})

	It("sizes a new corporate by corporate_reference_data.employees, and the others by the box's Employees", func() {
		a := newAPI()
		sized := func(remote string, ref map[string]any) float64 {
			ans := a.token(map[string]any{"email": "hr@" + remote + ".in", "org_name": remote, "fullname": "A", "remote_org_id": remote, "corporate_reference_data": ref})
			Expect(ans.status).To(Equal(200), ans.raw)
			org := ans.doc["org_id"].(string)
			a.accept(org)
			a.settle()
			return list(a, "org="+org+"&page_size=1").doc["pageInfo"].(map[string]any)["totalItems"].(float64)
		}
		Expect(sized("five", map[string]any{"employees": 5})).To(Equal(5.0))
		Expect(sized("one", map[string]any{"employees": 1, "crm": "X"})).To(Equal(1.0))
		Expect(sized("plain", map[string]any{"crm": "X"})).To(Equal(27.0))   // newAPI's box.Employees(27)
		Expect(sized("five", map[string]any{"employees": 9})).To(Equal(5.0)) // the same corporate keeps its people
	})

	DescribeTable("refuses bad input with 400 naming the field, and changes nothing",
		func(body, field string) {
			a := newAPI()
			ans := a.do("POST", "/api/sdk/token", "application/json", body)
			Expect(ans.status).To(Equal(400), ans.raw)
			Expect(ans.doc["field"]).To(Equal(field))
			Expect(ans.doc["message"]).To(ContainSubstring(field))
			a.settle()
			Expect(a.srv.Box.Orgs()).To(BeEmpty())
			Expect(a.rec.received()).To(BeEmpty())
		},
		Entry("not JSON", `{"email":`, "body"),
		Entry("an array", `[]`, "body"),
		Entry("no email", `{"org_name":"A","fullname":"B"}`, "email"),
		Entry("an email that is not one", `{"email":"nobody","org_name":"A","fullname":"B"}`, "email"),
		Entry("no org_name", `{"email":"a@b.in","fullname":"B"}`, "org_name"),
		Entry("a blank fullname", `{"email":"a@b.in","org_name":"A","fullname":"  "}`, "fullname"),
		Entry("a number for remote_org_id", `{"email":"a@b.in","org_name":"A","fullname":"B","remote_org_id":7}`, "remote_org_id"),
		Entry("reference data not an object", `{"email":"a@b.in","org_name":"A","fullname":"B","corporate_reference_data":[1]}`, "corporate_reference_data"),
		Entry("0 employees", `{"email":"a@b.in","org_name":"A","fullname":"B","corporate_reference_data":{"employees":0}}`, "corporate_reference_data.employees"),
		Entry("a fraction of an employee", `{"email":"a@b.in","org_name":"A","fullname":"B","corporate_reference_data":{"employees":2.5}}`, "corporate_reference_data.employees"),
		Entry("employees as a string", `{"email":"a@b.in","org_name":"A","fullname":"B","corporate_reference_data":{"employees":"10"}}`, "corporate_reference_data.employees"),
		Entry("too many employees", `{"email":"a@b.in","org_name":"A","fullname":"B","corporate_reference_data":{"employees":100001}}`, "corporate_reference_data.employees"),
		Entry("an unknown flag group", `{"email":"a@b.in","org_name":"A","fullname":"B","data_model_flags":{"salary":{"x":1}}}`, "data_model_flags.salary"),
		Entry("a flag of 2", `{"email":"a@b.in","org_name":"A","fullname":"B","data_model_flags":{"detail_info_fields":{"pan":2}}}`, "data_model_flags.detail_info_fields.pan"),
		Entry("employeeId disabled", `{"email":"a@b.in","org_name":"A","fullname":"B","data_model_flags":{"detail_info_fields":{"employeeId":0}}}`, "data_model_flags.detail_info_fields.employeeId"),
		Entry("an un-prefixed bank field", `{"email":"a@b.in","org_name":"A","fullname":"B","data_model_flags":{"bank_details_fields":{"ifscCode":1}}}`, "data_model_flags.bank_details_fields.ifscCode"),
		Entry("the first bad field in sorted order, whatever the body's order", `{"email":"a@b.in","org_name":"A","fullname":"B","data_model_flags":{"salary_monthly_details_fields":{"zz":1},"ctc_details_fields":{"ctc_zz":1,"ctc_aa":1},"detail_info_fields":{"pan":2}}}`, "data_model_flags.ctc_details_fields.ctc_aa"),
	)

	It("names the same field of a body with several bad ones on every call", func() {
		a := newAPI()
		body := `{"email":"a@b.in","org_name":"A","fullname":"B","data_model_flags":{"dependent_details_fields":{"x":1,"b":1,"q":1,"a":1,"m":1}}}`
		for range 20 {
			Expect(a.do("POST", "/api/sdk/token", "application/json", body).doc["field"]).To(Equal("data_model_flags.dependent_details_fields.a"))
		}
	})

	It("leaves the fields flagged 0 out of the org's records, in webhooks and in employee_list alike", func() {
		a := newAPI()
		ans := a.token(map[string]any{"email": "hr@flags.in", "org_name": "Flags", "fullname": "F",
			"data_model_flags": map[string]any{"detail_info_fields": map[string]int{"pan": 0, "fatherName": 0, "employeeMetadata_marriageDate": 1},
				"bank_details_fields":      map[string]int{"bankDetails_ifscCode": 0},
				"dependent_details_fields": map[string]int{"dependentDetails_email": 1}}})
		Expect(ans.status).To(Equal(200), ans.raw)
		org := ans.doc["org_id"].(string)
		a.accept(org)
		var env struct {
			Body []map[string]any `json:"body"`
		}
		got := a.rec.received()
		Expect(json.Unmarshal(got[len(got)-1].body, &env)).To(Succeed())
		for _, recs := range [][]map[string]any{env.Body, data(list(a, "org="+org))} {
			Expect(recs).NotTo(BeEmpty())
			for _, r := range recs {
				Expect(r).NotTo(HaveKey("pan"))
				Expect(r).NotTo(HaveKey("fatherName"))
				Expect(r["bankDetails"]).To(HaveKey("accountNumber"))
				Expect(r["bankDetails"]).NotTo(HaveKey("ifscCode"))
				Expect(r["employeeMetadata"]).To(HaveKey("marriageDate"))
				for _, d := range r["dependentDetails"].([]any) {
					Expect(d).To(HaveKey("email"))  // turned on
					Expect(d).NotTo(HaveKey("dob")) // off by Tartan's default
				}
				Expect(r).To(HaveKey("aadhar"))
			}
		}
		row := data(a.do("GET", "/api/vendor/connections/", "", ""))[0]
		Expect(row["not_requested_data_points"]).To(ContainElements("pan", "fatherName", "bankDetails_ifscCode", "dependentDetails_dob", "monthly_basic"))
		Expect(row["not_requested_data_points"]).NotTo(ContainElement("employeeMetadata_marriageDate"))
		Expect(row["shared_data_points"]).To(ContainElements("aadhar", "bankDetails_accountNumber", "dependentDetails_email", "employeeMetadata_marriageDate", "ctc_basic"))
		Expect(row["not_shared_data_points"]).To(BeEmpty())
		Expect(row["salary_details_flag"]).To(BeTrue())
		flags := a.do("GET", "/api/sdk/data_model_flags/?org="+org, "", "")
		Expect(flags.status).To(Equal(200))
		Expect(flags.doc["data"]).To(HaveKeyWithValue("detail_info_fields", HaveKeyWithValue("pan", BeEquivalentTo(0))))
	})
})

var _ = Describe("Terminate connection", Label("api"), func() {
	It("is refused with 400 while a sync is in progress, and sends no webhook", func(sc SpecContext) {
		a := newAPI()
		org := a.invite("busy")
		a.settle()
		release := a.rec.holdAll()
		DeferCleanup(release)
		Expect(a.srv.Box.Accept(org)).To(Succeed())
		a.rec.awaitArrival(sc) // sync.events.initiated is at the consumer
		ct, body := multipartForm("client_org", org)
		ans := a.do("POST", "/api/terminate_connection/", ct, body)
		Expect(ans.status).To(Equal(400))
		Expect(ans.doc["message"]).To(ContainSubstring("sync is in progress"))
		release()
		a.settle()
		for _, d := range a.srv.Box.Deliveries() {
			Expect(d.Event).NotTo(Equal(fixtures.EventConnectionTerminated))
		}
		ans = a.do("POST", "/api/terminate_connection/", ct, body)
		Expect(ans.status).To(Equal(200), ans.raw)
		Expect(ans.raw).To(MatchJSON(`{"message":"Connection terminated successfully","data":null}`))
		a.settle()
		ds := a.srv.Box.Deliveries()
		Expect(ds[len(ds)-1].Event).To(Equal(fixtures.EventConnectionTerminated))
	}, SpecTimeout(time.Minute))

	DescribeTable("takes client_org as the org UUID or remote_org_id, in a multipart form, an urlencoded form or JSON",
		func(encode func(org, remote string) (string, string)) {
			a := newAPI()
			org := a.invite("ending")
			ct, body := encode(org, "ending")
			ans := a.do("POST", "/api/terminate_connection", ct, body)
			Expect(ans.status).To(Equal(200), ans.raw)
			a.settle()
			got := a.rec.received()
			Expect(got).To(HaveLen(2))
			var env struct {
				Event string           `json:"event"`
				Body  []map[string]any `json:"body"`
			}
			Expect(json.Unmarshal(got[1].body, &env)).To(Succeed())
			Expect(env.Event).To(Equal(fixtures.EventConnectionTerminated))
			Expect(env.Body[0]).To(HaveKeyWithValue("status", "CONNECTION_TERMINATED"))
			Expect(env.Body[0]).To(HaveKeyWithValue("terminatedBy", a.srv.Box.Vendor().Inviter))
			// terminated: now unknown
			Expect(a.do("POST", "/api/terminate_connection", ct, body).raw).To(MatchJSON(`{"message":"Connection not found"}`))
		},
		Entry("multipart, by UUID", func(org, _ string) (string, string) { return multipartForm("client_org", org) }),
		Entry("urlencoded, by remote_org_id", func(_, remote string) (string, string) {
			return "application/x-www-form-urlencoded", url.Values{"client_org": {remote}}.Encode()
		}),
		Entry("JSON, by UUID", func(org, _ string) (string, string) { return "application/json", `{"client_org":"` + org + `"}` }),
	)

	DescribeTable("refuses bad input with 400 and sends nothing",
		func(ct, body, want string) {
			a := newAPI()
			ans := a.do("POST", "/api/terminate_connection/", ct, body)
			Expect(ans.status).To(Equal(400), ans.raw)
			Expect(ans.raw).To(ContainSubstring(want))
			a.settle()
			Expect(a.rec.received()).To(BeEmpty())
		},
		Entry("no client_org", "application/json", `{}`, "client_org"),
		Entry("an empty form", "application/x-www-form-urlencoded", ``, "client_org"),
		Entry("a broken multipart body", "multipart/form-data; boundary=x", "--x\r\nbroken", "client_org"),
		Entry("an unknown org", "application/json", `{"client_org":"no-such-org"}`, "Connection not found"),
	)
})

var _ = Describe("your connections", Label("api"), func() {
	It("lists invited corporates as pending and accepted ones as approved, leaves terminated ones out, and pages them", func() {
		a := newAPI()
		one, two, three := a.invite("one"), a.invite("two"), a.invite("three")
		a.accept(two)
		Expect(a.srv.Box.Terminate(three)).To(Succeed())
		ans := a.do("GET", "/api/vendor/connections/", "", "")
		Expect(ans.status).To(Equal(200))
		rows := data(ans)
		Expect(rows).To(HaveLen(2))
		Expect(rows[0]).To(HaveKeyWithValue("org_id", one))
		Expect(rows[0]).To(HaveKeyWithValue("application_connection_status", "Pending"))
		Expect(rows[0]).To(HaveKeyWithValue("int_type", "HRMS"))
		Expect(rows[0]).To(HaveKeyWithValue("last_successful_sync", BeNil()))
		Expect(rows[1]).To(HaveKeyWithValue("application_connection_status", "Active"))
		Expect(rows[1]).To(HaveKeyWithValue("last_successful_sync", "2nd March, 02:30 PM")) // 09:00 UTC is 14:30 IST
		Expect(rows[1]["hrms_code"]).To(BeAssignableToTypeOf(""))
		Expect(data(a.do("GET", "/api/vendor/connections?status=approved", "", ""))).To(HaveLen(1))
		Expect(data(a.do("GET", "/api/vendor/connections?status=rejected", "", ""))).To(BeEmpty())
		paged := a.do("GET", "/api/vendor/connections?page=2&page_size=1", "", "")
		Expect(paged.doc["pageInfo"]).To(Equal(map[string]any{"totalPages": 2.0, "totalItems": 2.0, "items": 1.0, "next": false, "previous": true}))
		Expect(a.do("GET", "/api/vendor/connections?status=gone", "", "").doc["field"]).To(Equal("status"))
	})
})

var _ = Describe("employee_list", Label("api", "truth"), func() {
	var (
		a   *api
		org string
	)
	BeforeEach(func() {
		a = newAPI()
		org = a.invite("people")
		a.accept(org)
	})

	It("serves exactly the records the syncs sent, field for field, in the order sent", func() {
		var sent []json.RawMessage
		for _, r := range a.rec.received() {
			var env struct {
				Event string            `json:"event"`
				Body  []json.RawMessage `json:"body"`
			}
			Expect(json.Unmarshal(r.body, &env)).To(Succeed())
			if env.Event == fixtures.EventEmployeeAdd {
				sent = append(sent, env.Body...)
			}
		}
		Expect(sent).To(HaveLen(27))
		ans := list(a, "org="+org+"&page_size=100")
		var listed struct {
			Data []json.RawMessage `json:"data"`
		}
		Expect(json.Unmarshal([]byte(ans.raw), &listed)).To(Succeed())
		Expect(listed.Data).To(HaveLen(27))
		for i := range sent {
			Expect(string(listed.Data[i])).To(Equal(string(sent[i]))) // same bytes: same keys, order, values, quirks
		}
	})

	It("holds what a sync sent even when the consumer never got it, and source=hrms runs ahead of the last sync", func() {
		Expect(a.srv.Box.Change(org, fixtures.Delta{Joiners: 3, Leavers: 1})).To(Succeed())
		Expect(data(list(a, "org="+org+"&page_size=100&source=hrms"))).To(HaveLen(30))
		Expect(data(list(a, "org="+org+"&page_size=100"))).To(HaveLen(27))
		Expect(data(list(a, "org="+org+"&source=hrms&filter=status:not%20active"))).To(HaveLen(1))
		Expect(data(list(a, "org="+org+"&filter=STATUS:NOT%20ACTIVE"))).To(BeEmpty())

		a.srv.Box.FailNext(sender.FaultDrop, 100)
		s, err := a.srv.Box.Sync(org)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.New).To(Equal(3))
		Expect(s.Updated).To(Equal(1))
		a.settle()
		Expect(data(list(a, "org="+org+"&page_size=100"))).To(HaveLen(30))
		Expect(data(list(a, "org="+org+"&filter=status:Not%20Active"))).To(HaveLen(1))
		for _, d := range a.srv.Box.Deliveries()[len(a.srv.Box.Deliveries())-3:] {
			Expect(d.Acknowledged()).To(BeFalse())
		}
	})

	It("returns only what changed after updated_after, in each time format", func() {
		a.clock.Advance(48 * time.Hour)
		_, err := a.srv.Box.SyncWith(org, fixtures.Delta{Promotions: 2})
		Expect(err).NotTo(HaveOccurred())
		a.settle()
		for _, after := range []string{"2026-03-03", "2026-03-03 12:00:00", "2026-03-03T17:30:00+05:30"} {
			Expect(data(list(a, "org="+org+"&updated_after="+url.QueryEscape(after)))).To(HaveLen(2), after)
		}
		Expect(data(list(a, "org="+org+"&updated_after=2026-03-01&page_size=100"))).To(HaveLen(27))
	})

	It("pages with booleans for next and previous, and a page past the end is empty", func() {
		p1 := list(a, "org="+org+"&page_size=10")
		Expect(p1.doc["pageInfo"]).To(Equal(map[string]any{"totalPages": 3.0, "totalItems": 27.0, "items": 10.0, "next": true, "previous": false}))
		Expect(p1.doc).To(HaveKey("requestId"))
		p3 := list(a, "org="+org+"&page_size=10&page=3")
		Expect(p3.doc["pageInfo"]).To(HaveKeyWithValue("items", 7.0))
		past := list(a, "org="+org+"&page=99")
		Expect(past.status).To(Equal(200))
		Expect(past.doc["data"]).To(BeEmpty())
	})

	DescribeTable("refuses bad queries with 400 or 404 naming the field",
		func(query string, status int, field string) {
			ans := list(a, query)
			Expect(ans.status).To(Equal(status), ans.raw)
			Expect(ans.doc["field"]).To(Equal(field))
		},
		Entry("no org", "page=1", 400, "org"),
		Entry("an unknown org", "org=nobody", 404, "org"),
		Entry("page 0", "org=ORG&page=0", 400, "page"),
		Entry("page -1", "org=ORG&page=-1", 400, "page"),
		Entry("page x", "org=ORG&page=x", 400, "page"),
		Entry("page_size 101", "org=ORG&page_size=101", 400, "page_size"),
		Entry("a bad updated_after", "org=ORG&updated_after=yesterday", 400, "updated_after"),
		Entry("a bad source", "org=ORG&source=crm", 400, "source"),
		Entry("a filter without a colon", "org=ORG&filter=active", 400, "filter"),
		Entry("a filter on no field", "org=ORG&filter=salary:1", 400, "filter"),
	)
})

var _ = Describe("employee_details, data_model_flags and org_details", Label("api"), func() {
	It("serve one employee by id or employeeId, the flags, and the corporate with its keys masked", func() {
		a := newAPI()
		org := a.invite("details")
		a.accept(org)
		rec := data(list(a, "org="+org))[3]
		vendor := a.srv.Box.Vendor().OrgID
		for _, id := range []string{rec["id"].(string), rec["employeeId"].(string)} {
			ans := a.do("GET", "/api/employee_details/"+url.PathEscape(id)+"?org="+org+"&vendor_org="+vendor, "", "")
			Expect(ans.status).To(Equal(200), ans.raw)
			Expect(ans.doc["data"]).To(Equal(rec))
		}
		missing := a.do("GET", "/api/employee_details/nobody/?org="+org+"&vendor_org="+vendor, "", "")
		Expect(missing.status).To(Equal(404))
		Expect(missing.doc).To(HaveKeyWithValue("message", "Employee not found"))
		Expect(missing.doc).To(HaveKey("requestId"))
		Expect(a.do("GET", "/api/employee_details/1?org="+org, "", "").doc["field"]).To(Equal("vendor_org"))
		Expect(a.do("GET", "/api/employee_details/1?vendor_org="+vendor, "", "").doc["field"]).To(Equal("org"))
		Expect(a.do("GET", "/api/employee_details/1?org="+org+"&vendor_org=someone-else", "", "").status).To(Equal(404))

		flags := a.do("GET", "/api/sdk/data_model_flags", "", "")
		Expect(flags.status).To(Equal(200))
		Expect(flags.doc["message"]).To(Equal("Data model flags retrieved successfully"))
		Expect(flags.doc["data"]).To(HaveKey("detail_info_fields"))
		Expect(flags.doc["data"]).To(HaveKey("salary_monthly_details_fields"))

		od := a.do("GET", "/api/org_details/"+org+"/", "", "")
		Expect(od.status).To(Equal(200), od.raw)
		Expect(od.doc).To(HaveKeyWithValue("uuid", org))
		Expect(od.doc).To(HaveKeyWithValue("remote_org_id", "details"))
		Expect(od.doc).To(HaveKeyWithValue("invite_status", "accepted"))
		Expect(od.doc["created_on"]).To(Equal("2026-03-02T09:00:00.000Z"))
		Expect(od.doc["hrms"]).To(BeAssignableToTypeOf(""))
		Expect(od.doc["application"]).To(Equal(map[string]any{"app_name": a.srv.Box.Vendor().Name, "app_key": box.Masked, "app_secret": box.Masked}))
		Expect(a.do("GET", "/api/org_details/nobody/", "", "").status).To(Equal(404))
	})

	It("serves every path with and without its trailing slash and never redirects a POST", func() {
		a := newAPI()
		for _, p := range []string{"/api/vendor/connections", "/api/vendor/connections/", "/api/sdk/data_model_flags", "/api/sdk/data_model_flags/"} {
			Expect(a.do("GET", p, "", "").status).To(Equal(200), p)
		}
		for _, p := range []string{"/api/sdk/token", "/api/sdk/token/", "/api/webhooks/resend", "/api/webhooks/resend/", "/api/terminate_connection", "/api/terminate_connection/"} {
			Expect(a.do("POST", p, "application/json", `{}`).status).To(Equal(400), p)
		}
		Expect(a.do("GET", "/api/nothing/here", "", "").status).To(Equal(404))
		huge := `{"email":"a@b.in","org_name":"A","fullname":"` + strings.Repeat("x", box.MaxBody) + `"}`
		Expect(a.do("POST", "/api/sdk/token/", "application/json", huge).status).To(Equal(413))
		a.settle()
		Expect(a.srv.Box.Orgs()).To(BeEmpty())
	})
})
