package box_test

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/fixtures"
)

var _ = Describe("the mock-only controls", Label("controls"), func() {
	var a *api
	BeforeEach(func() { a = newAPI() })
	control := func(method, path, body string) answer {
		return a.doWith(method, box.ControlPrefix+path, "application/json", body, http.Header{})
	}

	It("accept, sync with changes, change the HRMS, fail the next N, run the EOD batch and list the deliveries, over HTTP", func() {
		org := a.invite("driven")
		Expect(control("POST", "orgs/"+org+"/accept", "").status).To(Equal(200))
		a.settle()
		ans := control("POST", "orgs/"+org+"/sync", `{"joiners":2,"leavers":1}`)
		Expect(ans.status).To(Equal(200), ans.raw)
		Expect(ans.doc).To(HaveKeyWithValue("newRecords", 2.0))
		Expect(ans.doc).To(HaveKeyWithValue("eventType", fixtures.TypeDelta))
		a.settle()
		Expect(control("POST", "orgs/"+org+"/changes", `{"promotions":1}`).status).To(Equal(200))
		Expect(data(list(a, "org="+org+"&page_size=100"))).To(HaveLen(29))
		Expect(control("POST", "fail", `{"fault":"drop","next":2}`).raw).To(MatchJSON(`{"fault":"drop","next":2}`))
		Expect(control("POST", "orgs/"+org+"/sync", ``).doc).To(HaveKeyWithValue("updatedRecords", 1.0))
		Expect(control("POST", "eod", ``).raw).To(MatchJSON(`{"count":2}`))
		a.settle()
		var log []box.Delivery
		Expect(json.Unmarshal([]byte(control("GET", "deliveries", "").raw), &log)).To(Succeed())
		Expect(log).To(HaveLen(len(a.srv.Box.Deliveries())))
		for _, d := range log {
			Expect(d.Attempts[len(d.Attempts)-1].OK()).To(BeTrue())
		}
		Expect(control("POST", "send", `{"event":"sync.events.employee.add/delta"}`).doc).To(HaveKeyWithValue("sent", true))
		v := control("GET", "orgs/"+org+"/verdict", "")
		Expect(v.doc).To(HaveKeyWithValue("reason", "no state probe"))
		Expect(v.doc).To(HaveKeyWithValue("converged", false))
	})

	It("change nothing when refused: more leavers than employees is 400, and the next sync sends no leaver", func() {
		org := a.invite("whole")
		a.accept(org)
		hrms := data(list(a, "org="+org+"&page_size=100&source=hrms"))
		ans := control("POST", "orgs/"+org+"/sync", `{"joiners":2,"promotions":1,"leavers":28}`) // 27 employees
		Expect(ans.status).To(Equal(400), ans.raw)
		Expect(ans.doc).To(Equal(map[string]any{"field": "leavers",
			"message": "leavers is 28, but only 26 active employees are left for it: each change is to a different employee"}))
		ans = control("POST", "orgs/"+org+"/changes", `{"joiners":1,"hires":3}`)
		Expect(ans.status).To(Equal(400), ans.raw)
		Expect(data(list(a, "org="+org+"&page_size=100&source=hrms"))).To(Equal(hrms))
		ans = control("POST", "orgs/"+org+"/sync", "")
		Expect(ans.status).To(Equal(200), ans.raw)
		Expect(ans.doc).To(HaveKeyWithValue("newRecords", 0.0))
		Expect(ans.doc).To(HaveKeyWithValue("updatedRecords", 0.0))
	})

	It("answer a refusal of the Go API in their own words: not accepted, terminated, unknown", func() {
		org := a.invite("words")
		for _, c := range []struct {
			path, body string
			want       map[string]any
		}{
			{"orgs/" + org + "/sync", "", map[string]any{"field": "org", "message": "org has not accepted the invite yet"}},
			{"orgs/nobody/changes", `{"joiners":1}`, map[string]any{"field": "org", "message": "org is not a corporate connected to you"}},
		} {
			Expect(control("POST", c.path, c.body).doc).To(Equal(c.want))
		}
		Expect(a.srv.Box.Terminate(org)).To(Succeed())
		Expect(control("POST", "orgs/"+org+"/accept", "").doc).To(Equal(map[string]any{"field": "org", "message": "org has terminated the connection"}))
	})

	DescribeTable("take a body of another Content-Type only from a request no browser made",
		func(h http.Header, status int) {
			org := a.invite("curl")
			a.accept(org)
			n := len(a.srv.Box.Deliveries())
			ans := a.doWith("POST", box.ControlPrefix+"orgs/"+org+"/sync", "application/x-www-form-urlencoded", `{"joiners":1}`, h)
			Expect(ans.status).To(Equal(status), ans.raw)
			a.settle()
			if status != 200 {
				Expect(ans.doc).To(Equal(map[string]any{"message": "A control's body is JSON: send it with Content-Type: application/json (another type is taken only from a request without Origin or Sec-Fetch-Site, such as curl's -d)."}))
				Expect(a.srv.Box.Deliveries()).To(HaveLen(n))
				return
			}
			Expect(ans.doc).To(HaveKeyWithValue("newRecords", 1.0))
		},
		Entry("curl -d: neither Origin nor Sec-Fetch-Site", http.Header{}, 200),
		Entry("a page of another site: Origin", http.Header{"Origin": {"https://evil.example"}}, 415),
		Entry("a page of this site: Origin", http.Header{"Origin": {"http://127.0.0.1"}}, 415),
		Entry("a browser: Sec-Fetch-Site", http.Header{"Sec-Fetch-Site": {"same-origin"}}, 415),
	)

	DescribeTable("answer bad input with 400 or 404 naming the field",
		func(method, path, body string, status int, field string) {
			org := a.invite("bad")
			a.settle()
			before := a.srv.Box.Deliveries()
			ans := control(method, stringsReplace(path, "ORG", org), body)
			Expect(ans.status).To(Equal(status), ans.raw)
			Expect(ans.doc["field"]).To(Equal(field))
			Expect(ans.doc["message"]).To(HavePrefix(field+" "), "the message names the field")
			Expect(ans.doc).To(HaveLen(2), "one shape: message and field")
			Expect(ans.raw).NotTo(ContainSubstring("box:"), "no internal prefix")
			a.settle()
			Expect(a.srv.Box.Deliveries()).To(Equal(before), "a refused control sends nothing")
		},
		Entry("accept an unknown org", "POST", "orgs/nobody/accept", "", 404, "org"),
		Entry("sync before the corporate accepted", "POST", "orgs/ORG/sync", "", 400, "org"),
		Entry("sync with a negative count", "POST", "orgs/ORG/sync", `{"joiners":-1}`, 400, "joiners"),
		Entry("sync with a count that is not a whole number", "POST", "orgs/ORG/sync", `{"promotions":1.5}`, 400, "promotions"),
		Entry("sync with a body that is not an object", "POST", "orgs/ORG/sync", `[1]`, 400, "body"),
		Entry("more leavers than employees", "POST", "orgs/ORG/changes", `{"leavers":500}`, 400, "leavers"),
		Entry("an unknown key to sync", "POST", "orgs/ORG/sync", `{"hires":3}`, 400, "hires"),
		Entry("an unknown key to changes", "POST", "orgs/ORG/changes", `{"joiners":1,"hires":3}`, 400, "hires"),
		Entry("an unknown key to accept", "POST", "orgs/ORG/accept", `{"now":true}`, 400, "now"),
		Entry("an unknown key to eod", "POST", "eod", `{"org":"x"}`, 400, "org"),
		Entry("an unknown key to fail", "POST", "fail", `{"fault":"drop","next":1,"count":2}`, 400, "count"),
		Entry("an unknown key to send", "POST", "send", `{"event":"x","orgs":1}`, 400, "orgs"),
		Entry("fail with a count that is not one", "POST", "fail", `{"fault":"drop","next":"two"}`, 400, "next"),
		Entry("fail with no fault", "POST", "fail", `{"next":1}`, 400, "fault"),
		Entry("fail with no count", "POST", "fail", `{"fault":"drop"}`, 400, "next"),
		Entry("send an unknown event", "POST", "send", `{"event":"x"}`, 400, "event"),
		Entry("an unknown control", "GET", "nothing", "", 404, "path"),
		Entry("the verdict of an unknown org", "GET", "orgs/nobody/verdict", "", 404, "org"),
	)
})
