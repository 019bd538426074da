package box_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/fixtures"
)

// The proof: the box driven with Tartan's documented request examples, as
// they are, and every answer held against Tartan's documented answer
// (testdata/tartan): every documented key, its JSON type, null where the
// example may be null, and no key the example does not show (but the ones
// a spec names, each for a documented reason).

// tartanDoc reads a documented example from testdata/tartan, with
// "<employee-record.json>" standing for the documented record.
func tartanDoc(name string) any {
	GinkgoHelper()
	raw, err := os.ReadFile(filepath.Join("testdata", "tartan", name))
	Expect(err).NotTo(HaveOccurred())
	rec, err := os.ReadFile(filepath.Join("testdata", "tartan", "employee-record.json"))
	Expect(err).NotTo(HaveOccurred())
	raw = []byte(strings.ReplaceAll(string(raw), `"<employee-record.json>"`, string(rec)))
	var v any
	Expect(json.Unmarshal(raw, &v)).To(Succeed(), name)
	return v
}

// shape checks got against the documented example doc: the same keys (but
// extra, the paths of keys the box may add, and absent, the paths it may
// leave out), each of the documented JSON type; where the example shows
// null, got may be null or a string (Tartan's nullable fields are
// strings), unless nullable names the path's other type. It returns every
// mismatch, by path ("data[0].pageInfo.next").
type shape struct {
	extra, absent map[string]bool
	nullable      map[string]string // path: the JSON type besides null
	// null are the paths Tartan documents as nullable elsewhere than in
	// the example (an enum outside its values is null, WIRE's records).
	null map[string]bool
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func (s shape) check(path string, doc, got any) []string {
	dk, gk := kindOf(doc), kindOf(got)
	if dk == "null" {
		other := s.nullable[path]
		if other == "" {
			other = "string"
		}
		if gk != "null" && gk != other {
			return []string{fmt.Sprintf("%s: want null or %s, got %s", path, other, gk)}
		}
		return nil
	}
	if gk == "null" && s.null[path] {
		return nil
	}
	if dk != gk {
		return []string{fmt.Sprintf("%s: want %s, got %s (%v)", path, dk, gk, got)}
	}
	var out []string
	switch d := doc.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(d)) {
			p := join(path, k)
			v, ok := g[k]
			switch {
			case !ok && !s.absent[p]:
				out = append(out, p+": documented, missing")
			case ok:
				out = append(out, s.check(p, d[k], v)...)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := d[k]; !ok && !s.extra[join(path, k)] {
				out = append(out, join(path, k)+": not documented")
			}
		}
	case []any:
		for _, v := range got.([]any) {
			if len(d) > 0 {
				out = append(out, s.check(path+"[]", d[0], v)...)
			}
		}
	}
	return out
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func set(paths ...string) map[string]bool {
	m := map[string]bool{}
	for _, p := range paths {
		m[p] = true
	}
	return m
}

// conforms is a Gomega assertion that ans's body has the documented shape.
func conforms(ans answer, name string, s shape) {
	GinkgoHelper()
	var got any
	Expect(json.Unmarshal([]byte(ans.raw), &got)).To(Succeed(), ans.raw)
	Expect(s.check("", tartanDoc(name), got)).To(BeEmpty(), "%s against %s", ans.raw, name)
}

// enums are the record's enum keys, null for a source value outside the
// enum (Tartan's employee directory page).
var enums = []string{"status", "employmentType", "gender", "maritalStatus"}

// The record's keys Tartan's default flags leave out: marriageDate
// (employeeMetadata_marriageDate 0, so employeeMetadata is left out
// whole), dependents' dob and email.
var defaultAbsent = []string{"employeeMetadata", "dependentDetails[].dob", "dependentDetails[].email"}

// everything turns every flag on, for an org whose records and salary
// carry every documented key.
var everything = map[string]any{
	"detail_info_fields":            map[string]int{"employeeMetadata_marriageDate": 1},
	"dependent_details_fields":      map[string]int{"dependentDetails_dob": 1, "dependentDetails_email": 1},
	"ctc_details_fields":            map[string]int{"ctc_bonus_retention": 1},
	"salary_monthly_details_fields": allMonthly(),
}

func allMonthly() map[string]int {
	m := map[string]int{}
	for _, f := range []string{"basic", "dearnessAllowance", "hra", "medicalAllowance", "travelAllowance", "specialAllowance",
		"flexiBasketAllowance", "gratuity", "otherAllowance", "deductions_pf", "deductions_esi", "deductions_professionalTax",
		"deductions_labourWelfareFund", "deductions_tds", "deductions_medicalClaimDeduction", "deductions_groupTermInsuranceDeductions",
		"deductions_earlyWageDeduction", "deductions_misc", "bonus_joining", "bonus_referral", "bonus_retention", "bonus_performance",
		"bonus_relocation", "bonus_misc", "grossPay", "Reimbursements"} {
		m["monthly_"+f] = 1
	}
	return m
}

var _ = Describe("the proof: Tartan's documented examples", Label("api", "proof"), func() {
	var (
		a        *api
		org, all string // the documented token example's org; an org with every flag on
		vendor   string
	)
	BeforeEach(func() {
		a = newAPI()
		raw, err := os.ReadFile(filepath.Join("testdata", "tartan", "token-request.json"))
		Expect(err).NotTo(HaveOccurred())
		ans := a.do("POST", "/api/sdk/token/", "application/json", string(raw))
		Expect(ans.status).To(Equal(200), "Tartan's own Generate SDK Token example: %s", ans.raw)
		conforms(ans, "token-response.json", shape{})
		org = ans.doc["org_id"].(string)
		Expect(ans.doc["corporate_reference_data"]).To(Equal(map[string]any{"unique_id": "<string>"}))
		full := a.token(map[string]any{"email": "hr@everything.in", "org_name": "Everything", "fullname": "E", "data_model_flags": everything})
		Expect(full.status).To(Equal(200), full.raw)
		all = full.doc["org_id"].(string)
		a.accept(org)
		a.accept(all)
		vendor = a.srv.Box.Vendor().OrgID
	})

	It("sends connection.events.requested as Tartan's example: invitedBy the inviter, remote_org_id as given, or null", func() {
		var sent []answer
		for _, r := range a.rec.received() {
			var env map[string]any
			Expect(json.Unmarshal(r.body, &env)).To(Succeed())
			if env["event"] == fixtures.EventConnectionRequested {
				sent = append(sent, answer{raw: string(r.body), doc: env})
			}
		}
		Expect(sent).To(HaveLen(2))
		for _, s := range sent {
			// remote_org_id: null when none was given (Tartan's invite example and glossary)
			conforms(s, "connection-requested.json", shape{nullable: map[string]string{"body[].hrms": "number"}, null: set("body[].remote_org_id")})
			rec := s.doc["body"].([]any)[0].(map[string]any)
			Expect(rec["invitedBy"]).To(Equal(a.srv.Box.Vendor().Inviter))
		}
		Expect(sent[0].doc["body"].([]any)[0]).To(HaveKeyWithValue("remote_org_id", "<string>"))
		Expect(sent[1].doc["body"].([]any)[0]).To(HaveKeyWithValue("remote_org_id", BeNil()))
	})

	It("answers employee_list and employee_details with the documented records, less what the org's flags leave out", func() {
		for _, c := range []struct {
			org    string
			absent []string
		}{{org, defaultAbsent}, {all, nil}} {
			ans := list(a, "org="+c.org)
			Expect(ans.status).To(Equal(200), ans.raw)
			conforms(ans, "employee-list-response.json", shape{absent: set(prefixed("data[].", c.absent)...), null: set(prefixed("data[].", enums)...)})
			id := data(ans)[0]["employeeId"].(string)
			det := a.do("GET", "/api/employee_details/"+url.PathEscape(id)+"?org="+c.org+"&vendor_org="+vendor, "", "")
			Expect(det.status).To(Equal(200), det.raw)
			conforms(det, "employee-details-response.json", shape{absent: set(prefixed("data.", c.absent)...), null: set(prefixed("data.", enums)...)})
		}
	})

	It("answers data_model_flags with every documented flag at its documented default", func() {
		ans := a.do("GET", "/api/sdk/data_model_flags/", "", "")
		// The page was cut off after monthly_gratuity: the box's further
		// monthly flags are ours.
		var extra []string
		for k := range allMonthly() {
			extra = append(extra, "data.salary_monthly_details_fields."+k)
		}
		conforms(ans, "data-model-flags-response.json", shape{extra: set(extra...)})
		doc := tartanDoc("data-model-flags-response.json").(map[string]any)["data"].(map[string]any)
		got := ans.doc["data"].(map[string]any)
		for g, fields := range doc {
			for f, v := range fields.(map[string]any) {
				Expect(got[g]).To(HaveKeyWithValue(f, v), "%s.%s", g, f)
			}
		}
	})

	It("answers org_details, vendor/connections and terminate as documented", func() {
		od := a.do("GET", "/api/org_details/"+org+"/", "", "")
		Expect(od.status).To(Equal(200), od.raw)
		conforms(od, "org-details-response.json", shape{nullable: map[string]string{"invited_by": "number"}})
		Expect(od.doc["invite_status"]).To(Equal("accepted"))
		Expect(a.do("GET", "/api/org_details/"+all+"/", "", "").doc["remote_org_id"]).To(BeNil())

		vc := a.do("GET", "/api/vendor/connections/", "", "")
		Expect(vc.status).To(Equal(200), vc.raw)
		// csm_user and phone: the box has none to give (its corporates have no CSM or phone) [OURS]
		conforms(vc, "vendor-connections-response.json", shape{null: set("data[].csm_user", "data[].phone", "data[].hrms_code", "data[].last_successful_sync")})
		for _, row := range data(vc) {
			Expect(row["application_connection_status"]).To(Equal("Active"))
			Expect([]string{"HRMS", "Upload CSV", "SFTP", "Push API", "Custom"}).To(ContainElement(row["int_type"]))
		}

		ct, body := multipartForm("client_org", org)
		term := a.do("POST", "/api/terminate_connection/", ct, body)
		Expect(term.status).To(Equal(200), term.raw)
		conforms(term, "terminate-response.json", shape{})
	})

	It("answers salary details v2 with the documented ctc and monthly keys, from the same corporate", func() {
		emp := data(list(a, "org="+all))[0]["employeeId"].(string)
		ans := a.do("GET", "/api/v2/salary_details/"+url.PathEscape(emp)+"/?org="+all+"&vendor_org="+vendor+"&type=ctc_monthly&from_date=01-2026", "", "")
		Expect(ans.status).To(Equal(200), ans.raw)
		// ctc_basic, ctc_hra, ctc_grossPay are documented flags, on by
		// default, that the answer's example does not show; ctc_raw is off.
		conforms(ans, "salary-details-response.json", shape{extra: set("data.ctc.basic", "data.ctc.hra", "data.ctc.grossPay")})
		Expect(ans.doc["data"].(map[string]any)["monthly"]).To(HaveLen(2)) // January and February 2026, before the clock's March

		// The documented example's org: monthly flags off by default, so each month is only its month and year.
		emp = data(list(a, "org="+org))[0]["employeeId"].(string)
		def := a.do("GET", "/api/v2/salary_details/"+url.PathEscape(emp)+"/?org="+org+"&vendor_org="+vendor+"&type=monthly&from_date=02-2026", "", "")
		Expect(def.status).To(Equal(200), def.raw)
		Expect(def.doc["data"]).To(Equal(map[string]any{"monthly": []any{map[string]any{"month": 2.0, "year": 2026.0}}}))
	})
})

func prefixed(prefix string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = prefix + p
	}
	return out
}

var _ = Describe("salary details v2", Label("api"), func() {
	It("is the same for the same employee on every call, and refuses bad input naming the field", func() {
		a := newAPI()
		org := a.invite("pay")
		a.accept(org)
		vendor := a.srv.Box.Vendor().OrgID
		emp := data(list(a, "org="+org))[0]["employeeId"].(string)
		get := func(q string) answer {
			return a.do("GET", "/api/v2/salary_details/"+url.PathEscape(emp)+"?org="+org+"&vendor_org="+vendor+q, "", "")
		}
		first := get("&type=ctc")
		Expect(first.status).To(Equal(200), first.raw)
		Expect(get("&type=ctc").doc["data"]).To(Equal(first.doc["data"]))
		Expect(first.doc["data"]).NotTo(HaveKey("monthly"))
		for q, field := range map[string]string{
			"":                                "type",
			"&type=yearly":                    "type",
			"&type=monthly&from_date=2026-01": "from_date",
			"&type=monthly&to_date=13-2025":   "to_date",
			"&type=monthly&from_date=02-2026&to_date=01-2026": "to_date",
			"&type=monthly&from_date=01-2020":                 "from_date",
		} {
			ans := get(q)
			Expect(ans.status).To(Equal(400), q)
			Expect(ans.doc["field"]).To(Equal(field), q)
		}
		Expect(a.do("GET", "/api/v2/salary_details/nobody/?org="+org+"&vendor_org="+vendor+"&type=ctc", "", "").status).To(Equal(http.StatusNotFound))
		Expect(a.do("GET", "/api/v2/salary_details/"+emp+"/?org="+org+"&vendor_org=else&type=ctc", "", "").status).To(Equal(http.StatusNotFound))
	})
})

var _ = DescribeTable("the proof's shape check finds what differs from the documented example",
	func(doc, got string, s shape, want []string) {
		var d, g any
		Expect(json.Unmarshal([]byte(doc), &d)).To(Succeed())
		Expect(json.Unmarshal([]byte(got), &g)).To(Succeed())
		Expect(s.check("", d, g)).To(Equal(want))
	},
	Entry("the same shape", `{"a":1,"b":[{"c":"x"}]}`, `{"a":2,"b":[{"c":"y"},{"c":"z"}]}`, shape{}, []string(nil)),
	Entry("a key missing", `{"a":1,"b":2}`, `{"a":1}`, shape{}, []string{"b: documented, missing"}),
	Entry("a key absent by the flags", `{"a":1,"b":2}`, `{"a":1}`, shape{absent: set("b")}, []string(nil)),
	Entry("a key not documented", `{"a":1}`, `{"a":1,"z":true}`, shape{}, []string{"z: not documented"}),
	Entry("a type changed, in an array", `{"b":[{"c":"x"}]}`, `{"b":[{"c":7}]}`, shape{}, []string{"b[].c: want string, got number (7)"}),
	Entry("upper-case for lower-case keeps the type", `{"s":"accepted"}`, `{"s":"ACCEPTED"}`, shape{}, []string(nil)),
	Entry("null where the example shows a value", `{"s":"x"}`, `{"s":null}`, shape{}, []string{"s: want string, got null (<nil>)"}),
	Entry("\"\" where the example shows null", `{"r":null}`, `{"r":""}`, shape{}, []string(nil)),
	Entry("a number where the example shows null", `{"r":null}`, `{"r":1}`, shape{}, []string{"r: want null or string, got number"}),
)
