package serve_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
)

var _ = Describe("the console's workbench over the box", Label("serve"), func() {
	It("recovers every failure since a time as one action, Tartan's own resend, which counts in the verdict", func() {
		_, base := start([]box.Option{box.AcceptAfter(box.Never)})
		before := time.Now().Add(-time.Second)
		code, _ := call("POST", base+"/_tartansim/fail", "", `{"fault":"drop","next":1}`)
		Expect(code).To(Equal(http.StatusOK))
		org := invite(base)
		Eventually(func() []string { return attempts(base, org) }, "10s", "20ms").Should(HaveLen(1))

		By("refusing a time it cannot read, naming it, and sending nothing")
		code, got := call("POST", base+"/api/console/recover", "", `{"since":"yesterday"}`)
		Expect(code).To(Equal(http.StatusBadRequest))
		Expect(got).To(HaveKeyWithValue("field", "since"))
		Consistently(func() []string { return attempts(base, org) }, "200ms", "20ms").Should(HaveLen(1))

		code, got = call("POST", base+"/api/console/recover", "", `{"since":"`+before.UTC().Format(time.RFC3339Nano)+`"}`)
		Expect(code).To(Equal(http.StatusAccepted), "%v", got)
		Expect(got).To(HaveKeyWithValue("handed", BeNumerically("==", 1)))
		var v map[string]any
		Eventually(func() any {
			_, v = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return v["acknowledged"]
		}, "10s", "20ms").Should(BeNumerically("==", 1), "%v", v)
		Eventually(func() []string { return attempts(base, org) }, "10s", "20ms").Should(Equal([]string{"api", "api"}))
		_, d := call("GET", base+"/api/console/deliveries/2", "", "")
		Expect(d).To(HaveKeyWithValue("kind", "resend"))

		By("finding nothing more to recover once it was acknowledged")
		code, got = call("POST", base+"/api/console/recover", "", `{"since":"`+before.UTC().Format(time.RFC3339Nano)+`"}`)
		Expect(code).To(Equal(http.StatusAccepted), "%v", got)
		Expect(got).To(HaveKeyWithValue("handed", BeNumerically("==", 0)))
	})

	It("filters the log by an org's name, and lists the corporates in full with the armed failures", func() {
		_, base := start([]box.Option{box.AcceptAfter(box.Never), box.Employees(9)})
		org := invite(base) // "Acme"
		code, _ := call("POST", base+"/api/sdk/token/", apiKey, `{"email":"hr@zeta.in","org_name":"Zeta Steel","fullname":"Ravi Iyer"}`)
		Expect(code).To(Equal(http.StatusOK))
		Eventually(func() []string { return attempts(base, org) }, "10s", "20ms").Should(HaveLen(1))
		_, page := call("GET", base+"/api/console/deliveries?org=acme", "", "")
		Expect(page["attempts"]).To(HaveLen(1))
		Expect(page["attempts"].([]any)[0]).To(HaveKeyWithValue("orgId", org))
		_, page = call("GET", base+"/api/console/deliveries?org=nobody", "", "")
		Expect(page["attempts"]).To(BeEmpty())

		code, _ = call("POST", base+"/_tartansim/fail", "", `{"fault":"ack-lost","next":2}`)
		Expect(code).To(Equal(http.StatusOK))
		code, got := call("GET", base+"/_tartansim/corporates", "", "")
		Expect(code).To(Equal(http.StatusOK))
		Expect(got["armed"]).To(Equal(map[string]any{"fault": "ack-lost", "next": 2.0}))
		cs := got["corporates"].([]any)
		Expect(cs).To(HaveLen(2))
		acme := cs[0].(map[string]any)
		Expect(acme).To(And(HaveKeyWithValue("orgId", org), HaveKeyWithValue("name", "Acme"), HaveKeyWithValue("remoteOrgId", "acme-1"),
			HaveKeyWithValue("connectionStatus", "CONNECTION_INVITED"), HaveKeyWithValue("employees", 9.0)))
		Expect(acme["verdict"]).To(HaveKeyWithValue("deliveries", 1.0))
	})
})
