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
			Expect(d.Attempts[len(d.Attempts)-1].OK).To(BeTrue())
		}
		Expect(control("POST", "send", `{"event":"sync.events.employee.add/delta"}`).doc).To(HaveKeyWithValue("sent", true))
		v := control("GET", "orgs/"+org+"/verdict", "")
		Expect(v.doc).To(HaveKeyWithValue("reason", "no state probe"))
		Expect(v.doc).To(HaveKeyWithValue("converged", false))
	})

	DescribeTable("answer bad input with 400 or 404 naming the field",
		func(method, path, body string, status int, field string) {
			org := a.invite("bad")
			ans := control(method, stringsReplace(path, "ORG", org), body)
			Expect(ans.status).To(Equal(status), ans.raw)
			Expect(ans.doc["field"]).To(Equal(field))
		},
		Entry("accept an unknown org", "POST", "orgs/nobody/accept", "", 404, "org"),
		Entry("sync before the corporate accepted", "POST", "orgs/ORG/sync", "", 400, "org"),
		Entry("sync with a bad body", "POST", "orgs/ORG/sync", `{"joiners":-1}`, 400, "body"),
		Entry("more leavers than employees", "POST", "orgs/ORG/changes", `{"leavers":500}`, 400, "body"),
		Entry("fail with no fault", "POST", "fail", `{"next":1}`, 400, "fault"),
		Entry("fail with no count", "POST", "fail", `{"fault":"drop"}`, 400, "next"),
		Entry("send an unknown event", "POST", "send", `{"event":"x"}`, 400, "event"),
		Entry("an unknown control", "GET", "nothing", "", 404, "path"),
		Entry("the verdict of an unknown org", "GET", "orgs/nobody/verdict", "", 404, "org"),
	)
})
