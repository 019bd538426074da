package box_test

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
	"github.com/tartansim/tartansim/fixtures"
)

// connectionRecords returns body[0] of every connection event the recorder
// got about org, in order, with its event name under "event".
func connectionRecords(a *api, org string) []map[string]any {
	GinkgoHelper()
	var out []map[string]any
	for _, r := range a.rec.received() {
		var env struct {
			Event string           `json:"event"`
			OrgID string           `json:"orgId"`
			Body  []map[string]any `json:"body"`
		}
		Expect(json.Unmarshal(r.body, &env)).To(Succeed())
		if env.OrgID == org && (env.Event == fixtures.EventConnectionRequested || env.Event == fixtures.EventConnectionTerminated) {
			env.Body[0]["event"] = env.Event
			out = append(out, env.Body[0])
		}
	}
	return out
}

var _ = Describe("corporate-side events", Label("controls", "corporate"), func() {
	var a *api
	BeforeEach(func() { a = newAPI() })
	control := func(path, body string) answer {
		return a.doWith("POST", box.ControlPrefix+path, "application/json", body, http.Header{})
	}

	It("a rejected invite sends no webhook, shows as rejected, refuses what needs a connection, and can be invited again", func() {
		org := a.invite("nope")
		a.settle()
		Expect(control("orgs/"+org+"/reject", "").raw).To(MatchJSON(`{"rejected":true}`))
		a.settle()
		Expect(connectionRecords(a, org)).To(HaveLen(1), "only the invite: Tartan documents no rejection event")

		rows := data(a.do("GET", "/api/vendor/connections/?status=rejected", "", ""))
		Expect(rows).To(HaveLen(1))
		Expect(rows[0]).To(HaveKeyWithValue("org_id", org))
		Expect(rows[0]).To(HaveKeyWithValue("application_connection_status", "Rejected"))
		Expect(data(a.do("GET", "/api/vendor/connections/?status=pending", "", ""))).To(BeEmpty())
		Expect(a.do("GET", "/api/org_details/"+org+"/", "", "").doc).To(HaveKeyWithValue("invite_status", "rejected"))

		Expect(control("orgs/"+org+"/accept", "").doc).To(HaveKeyWithValue("message", "org has rejected the invite"))
		Expect(control("orgs/"+org+"/sync", "").status).To(Equal(400))
		Expect(control("orgs/"+org+"/reject", "").status).To(Equal(400), "nothing pending to reject")
		ct, body := multipartForm("client_org", org)
		Expect(a.do("POST", "/api/terminate_connection/", ct, body).doc).To(HaveKeyWithValue("message", "Connection not found"))
		a.settle()
		Expect(connectionRecords(a, org)).To(HaveLen(1), "refusals sent nothing")

		Expect(a.invite("nope")).To(Equal(org), "the same remote_org_id")
		a.settle()
		Expect(connectionRecords(a, org)).To(HaveLen(2), "invited again")
		Expect(data(a.do("GET", "/api/vendor/connections/?status=pending", "", ""))).To(HaveLen(1))
	})

	It("a corporate that terminates from its side sends connection.events.terminated by its admin", func() {
		org := a.invite("leaving")
		a.accept(org)
		Expect(control("orgs/"+org+"/terminate", "").raw).To(MatchJSON(`{"terminated":true}`))
		a.settle()
		recs := connectionRecords(a, org)
		Expect(recs).To(HaveLen(2))
		Expect(recs[1]).To(HaveKeyWithValue("event", fixtures.EventConnectionTerminated))
		Expect(recs[1]).To(HaveKeyWithValue("status", fixtures.StatusTerminated))
		Expect(recs[1]).To(HaveKeyWithValue("terminatedBy", "hr@leaving.in"), "the corporate's HR admin, not the vendor's user")
		Expect(recs[1]["hrms"]).To(BeAssignableToTypeOf(0.0))
		Expect(data(a.do("GET", "/api/vendor/connections/", "", ""))).To(BeEmpty())
		Expect(a.do("GET", "/api/org_details/"+org+"/", "", "").doc).To(HaveKeyWithValue("invite_status", "terminated"))
		Expect(control("orgs/"+org+"/terminate", "").status).To(Equal(400), "already terminated")
		Expect(control("orgs/nobody/terminate", "").status).To(Equal(404))
	})

	It("a corporate terminating during a sync is refused as Terminate connection is, and sends nothing", func(sc SpecContext) {
		org := a.invite("busy-side")
		a.settle()
		release := a.rec.holdAll()
		DeferCleanup(release)
		Expect(a.srv.Box.Accept(org)).To(Succeed())
		a.rec.awaitArrival(sc)
		Expect(a.srv.Box.TerminateByCorporate(org)).To(MatchError(box.ErrSyncInProgress))
		release()
		a.settle()
		Expect(connectionRecords(a, org)).To(HaveLen(1))
	})

	It("an invite from Tartan's console reaches the consumer for an org it never asked for, with remote_org_id null", func() {
		ans := control("invite", `{"org_name":"Walk-in Traders","email":"hr@walkin.in","employees":3}`)
		Expect(ans.status).To(Equal(200), ans.raw)
		org := ans.doc["orgId"].(string)
		a.settle()
		recs := connectionRecords(a, org)
		Expect(recs).To(HaveLen(1))
		Expect(recs[0]).To(HaveKeyWithValue("remote_org_id", BeNil()))
		Expect(recs[0]).To(HaveKeyWithValue("invitedBy", a.srv.Box.Vendor().Inviter))
		Expect(recs[0]).To(HaveKeyWithValue("orgName", "Walk-in Traders"))
		a.accept(org)
		Expect(list(a, "org="+org).doc["pageInfo"]).To(HaveKeyWithValue("totalItems", 3.0))

		for body, field := range map[string]string{
			`{"email":"hr@x.in"}`:                               "org_name",
			`{"org_name":"X","email":"nobody"}`:                 "email",
			`{"org_name":"X","email":"hr@x.in","employees":-1}`: "employees",
			`{"org_name":"X","email":"hr@x.in","crm":1}`:        "crm",
		} {
			Expect(control("invite", body).doc).To(HaveKeyWithValue("field", field), body)
		}
		Expect(a.srv.Box.Orgs()).To(HaveLen(1), "refused invites made nothing")
	})
})

var _ = Describe("corporate-side events and the truth", Label("e2e", "corporate"), func() {
	It("converges with a consumer that holds what each event told it", func() {
		c, _, srv := withReference(4)
		// An org from Tartan's console, then ended from the corporate's side.
		org, err := srv.Box.ConsoleInvite("Walk-in Traders", "hr@walkin.in", 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Org(org)).To(boxtest.Converge(0))
		Expect(c.State(org).Employees).To(HaveLen(4))
		Expect(srv.Box.TerminateByCorporate(org)).To(Succeed())
		Expect(srv.Org(org)).To(boxtest.Converge(0))
		Expect(c.State(org).ConnectionStatus).To(Equal(fixtures.StatusTerminated))

		// This box accepts at once: an accepted corporate has no invite
		// left to reject, and the refusal changes nothing.
		other, err := srv.Box.ConsoleInvite("Never Mind Ltd", "hr@nevermind.in", 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Box.Reject(other)).To(MatchError(box.ErrNotPending))
		Expect(srv.Org(other)).To(boxtest.Converge(0))
	})
})

var _ = Describe("corporate-side events in the journal", Label("persist", "corporate"), func() {
	It("come back after a restart: a rejection, a console invite and a corporate's termination, with the same webhooks", func() {
		p := newPersisted(box.AcceptAfter(box.Never))
		rejected, _, err := p.b.Invite(box.Invitation{Email: "hr@nope.in", OrgName: "Nope Ltd", FullName: "N", RemoteOrgID: "nope"})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.b.Reject(rejected)).To(Succeed())
		walkIn, err := p.b.ConsoleInvite("Walk-in Traders", "hr@walkin.in", 3)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.b.Accept(walkIn)).To(Succeed())
		p.idle()
		Expect(p.b.TerminateByCorporate(walkIn)).To(Succeed())
		p.idle()
		before := view(p.b, true)
		p.restart()
		Expect(p.b.Restored().Discarded).To(BeEmpty())
		Expect(view(p.b, true)).To(Equal(before))
		Expect(p.b.Accept(rejected)).To(MatchError(box.ErrRejected), "still rejected")
		Expect(p.b.TerminateByCorporate(walkIn)).To(MatchError(box.ErrTerminated), "still terminated")
	})
})
