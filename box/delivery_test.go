package box_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// bodiesOf returns the recorder's requests whose body equals d's.
func copiesOf(a *api, d box.Delivery) []received {
	var out []received
	for _, r := range a.rec.received() {
		if bytes.Equal(r.body, d.Body) {
			out = append(out, r)
		}
	}
	return out
}

var _ = Describe("failures on purpose and the EOD batch", Label("delivery"), func() {
	DescribeTable("re-send what failed with identical bytes and signature",
		func(sc SpecContext, f sender.Fault, written bool) {
			a := newAPI()
			org := a.invite("flaky")
			a.settle()
			a.srv.Box.FailNext(f, 3)
			a.accept(org)
			ds := a.srv.Box.Deliveries()
			failed := ds[1:4] // initiated and the first two batches
			for _, d := range failed {
				Expect(d.Acknowledged()).To(BeFalse())
				Expect(d.Attempts[0].Fault).To(Equal(f.String()))
				if !written {
					Expect(copiesOf(a, d)).To(BeEmpty()) // never written: it cannot arrive later
					continue
				}
				// an ack-lost request reaches the consumer, which may finish
				// reading it after the box has given up on the answer: wait
				// for that, as long as the spec may last
				Eventually(sc, func() []received { return copiesOf(a, d) }).Should(HaveLen(1))
			}
			Expect(ds[4].Acknowledged()).To(BeTrue())

			Expect(a.srv.Box.EOD()).To(Equal(3))
			a.settle()
			for _, d := range failed {
				got := copiesOf(a, d)
				Expect(got).NotTo(BeEmpty())
				last := got[len(got)-1]
				Expect(last.sig).To(Equal(sigOf(d)))
				Expect(sender.Verify([]byte(appKey), last.body, last.sig)).To(Succeed())
			}
			for _, d := range a.srv.Box.Deliveries() {
				Expect(d.Acknowledged()).To(BeTrue(), "delivery %d", d.Seq)
			}
			Expect(a.srv.Box.EOD()).To(Equal(0)) // nothing left to re-send
		},
		Entry("dropped", sender.FaultDrop, false),
		Entry("ack lost", SpecTimeout(time.Minute), sender.FaultAckLost, true), // a hang guard, never reached by a working box
	)

	It("runs the EOD batch by itself on its schedule, at 23:59 IST", func() {
		a := newAPI(box.EODSchedule(box.Daily(23, 59, wire.IST)))
		org := a.invite("night")
		a.settle()
		a.srv.Box.FailNext(sender.FaultDrop, 1)
		a.accept(org)
		Expect(a.srv.Box.Deliveries()[1].Acknowledged()).To(BeFalse())
		a.clock.Advance(8*time.Hour + 58*time.Minute) // 09:00 UTC is 14:30 IST: 23:28 IST
		a.settle()
		Expect(a.srv.Box.Deliveries()[1].Acknowledged()).To(BeFalse())
		a.clock.Advance(time.Hour)
		a.settle()
		Expect(a.srv.Box.Deliveries()[1].Acknowledged()).To(BeTrue())
	})

	It("re-sends a delivery at EOD once, in numbered batches: one whose EOD re-send failed waits for a resend by hand", func() {
		a := newAPI()
		org := a.invite("once")
		a.settle()
		a.srv.Box.FailNext(sender.FaultDrop, 1)
		a.accept(org)
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
		DeferCleanup(down.Close)
		Expect(a.srv.Box.SetTarget(down.URL)).To(Succeed())
		Expect(a.srv.Box.EOD()).To(Equal(1))
		a.settle()
		Expect(a.srv.Box.SetTarget(a.rec.srv.URL)).To(Succeed())
		Expect(a.srv.Box.EOD()).To(Equal(0)) // failed for good: the EOD rule re-sends once
		a.settle()
		Expect(a.srv.Box.Deliveries()[1].Acknowledged()).To(BeFalse())

		ans := a.do("POST", "/api/webhooks/resend", "application/json", `{"search_type":"org","org_id":"`+org+`","status":"failed"}`)
		Expect(ans.raw).To(MatchJSON(`{"success":true,"count":1}`))
		a.settle()
		d := a.srv.Box.Deliveries()[1]
		Expect(d.Acknowledged()).To(BeTrue())
		type seen struct {
			Kind     deliverylog.Kind
			EODBatch int64
			Status   int
			Fault    string
		}
		var got []seen
		for _, at := range d.Attempts {
			Expect(at.Source).To(Equal(deliverylog.FromAPI))
			Expect(at.Delivery).To(BeEquivalentTo(d.Seq))
			got = append(got, seen{at.Kind, at.EODBatch, at.Status, at.Fault})
		}
		Expect(got).To(Equal([]seen{
			{deliverylog.First, 0, 0, "drop"},
			{deliverylog.EOD, 1, http.StatusServiceUnavailable, ""},
			{deliverylog.Resend, 0, http.StatusOK, ""},
		}))
		Expect(a.srv.Box.EOD()).To(Equal(0))

		// the control's JSON: the log's attempts, without headers or body
		raw, err := json.Marshal(d)
		Expect(err).NotTo(HaveOccurred())
		var doc struct {
			Seq      int              `json:"seq"`
			Attempts []map[string]any `json:"attempts"`
		}
		Expect(json.Unmarshal(raw, &doc)).To(Succeed())
		Expect(doc.Seq).To(Equal(d.Seq))
		Expect(doc.Attempts).To(HaveLen(3))
		Expect(doc.Attempts[1]).To(HaveKeyWithValue("kind", "eod"))
		Expect(doc.Attempts[1]).To(HaveKeyWithValue("eodBatch", BeEquivalentTo(1)))
		Expect(doc.Attempts[1]).To(HaveKeyWithValue("source", "api"))
		Expect(doc.Attempts[1]).NotTo(HaveKey("body"))
		Expect(doc.Attempts[1]).NotTo(HaveKey("headers"))
	})
})

var _ = Describe("Resend", Label("api", "delivery"), func() {
	var (
		a   *api
		org string
		ds  []box.Delivery
	)
	BeforeEach(func() {
		a = newAPI()
		org = a.invite("again")
		a.settle()
		a.srv.Box.FailNext(sender.FaultDrop, 1)
		a.accept(org)
		ds = a.srv.Box.Deliveries()
	})
	resend := func(body string) answer { return a.do("POST", "/api/webhooks/resend", "application/json", body) }

	DescribeTable("re-sends the stored webhooks a search selects, identical bytes",
		func(body func() string, want func() []box.Delivery) {
			before := len(a.rec.received())
			ans := resend(body())
			Expect(ans.status).To(Equal(200), ans.raw)
			Expect(ans.raw).To(MatchJSON(`{"success":true,"count":` + itoa(len(want())) + `}`))
			a.settle()
			got := a.rec.received()[before:]
			Expect(got).To(HaveLen(len(want())))
			for i, d := range want() {
				Expect(got[i].body).To(Equal(d.Body))
				Expect(got[i].sig).To(Equal(sigOf(d)))
			}
		},
		Entry("by sync session", func() string { return `{"search_type":"sync_session","sync_session_id":"` + ds[1].SyncSessionID + `"}` },
			func() []box.Delivery { return ds[1:] }),
		Entry("by session and counter", func() string {
			return `{"search_type":"sync_session_counter","sync_session_id":"` + ds[2].SyncSessionID + `","webhook_counter":2}`
		}, func() []box.Delivery { return ds[2:3] }),
		Entry("failed ones of an org", func() string { return `{"search_type":"org","org_id":"` + org + `","status":"failed"}` },
			func() []box.Delivery { return ds[1:2] }),
		Entry("by request id", func() string { return `{"search_type":"request_id","request_id":"` + ds[0].RequestID + `"}` },
			func() []box.Delivery { return ds[:1] }),
		Entry("by time range", func() string {
			return `{"search_type":"timestamp_range","start_time":"2026-03-02 08:00:00","end_time":"2026-03-02T10:00:00Z","status":"success"}`
		}, func() []box.Delivery { return append([]box.Delivery{ds[0]}, ds[2:]...) }),
	)

	DescribeTable("refuses bad input with 400 or 404 naming the field, and sends nothing",
		func(body string, status int, field string) {
			before := len(a.rec.received())
			ans := resend(body)
			Expect(ans.status).To(Equal(status), ans.raw)
			Expect(ans.doc["field"]).To(Equal(field))
			a.settle()
			Expect(a.rec.received()).To(HaveLen(before))
		},
		Entry("no search_type", `{}`, 400, "search_type"),
		Entry("an unknown search_type", `{"search_type":"all"}`, 400, "search_type"),
		Entry("no sync_session_id", `{"search_type":"sync_session"}`, 400, "sync_session_id"),
		Entry("a counter of 0", `{"search_type":"sync_session_counter","sync_session_id":"x","webhook_counter":0}`, 400, "webhook_counter"),
		Entry("a bad start_time", `{"search_type":"timestamp_range","start_time":"noon","end_time":"2026-03-02"}`, 400, "start_time"),
		Entry("an end before the start", `{"search_type":"timestamp_range","start_time":"2026-03-03","end_time":"2026-03-02"}`, 400, "end_time"),
		Entry("a bad status", `{"search_type":"org","org_id":"x","status":"pending"}`, 400, "status"),
		Entry("an unknown org", `{"search_type":"org","org_id":"nobody"}`, 404, "org_id"),
	)
})

var _ = Describe("the schedule", Label("schedule"), func() {
	It("runs a delta sync every Monday at 03:18 UTC, with the HRMS's churn", func() {
		a := newAPI(box.AcceptAfter(0))
		org := a.invite("weekly")
		a.settle()
		n := len(a.srv.Box.Deliveries())
		a.clock.Advance(6 * 24 * time.Hour) // Sunday
		a.settle()
		Expect(a.srv.Box.Deliveries()).To(HaveLen(n))
		a.clock.Advance(24 * time.Hour) // Monday 09:00, past 03:18
		a.settle()
		ds := a.srv.Box.Deliveries()[n:]
		Expect(ds).To(HaveLen(3)) // initiated, one delta add, one update of two
		Expect(ds[0].Event).To(Equal(fixtures.EventSyncInitiated))
		Expect(ds[0].TimeStamp).To(Equal("2026-03-09 03:18:00"))
		Expect(ds[1].EventType).To(Equal(fixtures.TypeDelta))
		Expect(ds[2].Event).To(Equal(fixtures.EventEmployeeUpdate))
		Expect(ds[2].Records).To(Equal(2)) // a promotion and a leaver: two employees, whatever the seed
		a.clock.Advance(7 * 24 * time.Hour)
		a.settle()
		Expect(len(a.srv.Box.Deliveries())).To(BeNumerically(">", n+3))
		Expect(data(list(a, "org="+org+"&page_size=100"))).To(HaveLen(29))
	})

	It("sends 0 and 0 when nothing changed", func() {
		a := newAPI(box.AcceptAfter(0), box.Churn(fixtures.Delta{}))
		a.invite("quiet")
		a.settle()
		n := len(a.srv.Box.Deliveries())
		a.clock.Advance(7 * 24 * time.Hour)
		a.settle()
		ds := a.srv.Box.Deliveries()[n:]
		Expect(ds).To(HaveLen(1))
		var env struct {
			Body []map[string]int `json:"body"`
		}
		Expect(json.Unmarshal(ds[0].Body, &env)).To(Succeed())
		Expect(env.Body).To(Equal([]map[string]int{{"newRecords": 0, "updatedRecords": 0}}))
	})
})

var _ = Describe("the subscription", Label("subscription"), func() {
	It("sends only the subscribed events, while employee_list still holds what the syncs found", func() {
		sub, err := fixtures.ParseSubscription("connection.events.requested,connection.events.terminated")
		Expect(err).NotTo(HaveOccurred())
		a := newAPI(box.Events(sub))
		org := a.invite("picky")
		a.accept(org)
		Expect(a.srv.Box.Terminate(org)).To(Succeed())
		a.settle()
		var events []string
		for _, d := range a.srv.Box.Deliveries() {
			events = append(events, d.Event)
		}
		Expect(events).To(Equal([]string{fixtures.EventConnectionRequested, fixtures.EventConnectionTerminated}))
		Expect(a.rec.received()).To(HaveLen(2))
		Expect(data(list(a, "org="+org+"&page_size=100"))).To(HaveLen(27))
	})
})

var _ = Describe("verdicts", Label("verdict"), func() {
	It("finds what a consumer that ignores corporates it did not invite is missing, and says so in the control API", func() {
		f := withInviter(box.AcceptAfter(0), box.Employees(12))
		mine, err := f.inv.Invite("mine", "hr@mine.in", "Mine Ltd")
		Expect(err).NotTo(HaveOccurred())
		theirs, _, err := f.srv.Box.Invite(box.Invitation{Email: "hr@theirs.in", OrgName: "Theirs Ltd", FullName: "T"})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.srv.Org(mine)).To(boxtest.Converge(0))

		m := boxtest.Converge(0)
		ok, err := m.Match(f.srv.Org(theirs))
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		msg := m.FailureMessage(f.srv.Org(theirs))
		Expect(msg).To(ContainSubstring("connectionStatus is \"\", want \"CONNECTION_INVITED\""))
		Expect(msg).To(ContainSubstring("is missing employee"))
		Expect(msg).To(ContainSubstring("seed"))

		ans := (&api{srv: f.srv}).do("GET", box.ControlPrefix+"orgs/"+theirs+"/verdict", "", "")
		Expect(ans.status).To(Equal(200))
		Expect(ans.doc).To(HaveKeyWithValue("judged", true))
		Expect(ans.doc).To(HaveKeyWithValue("converged", false))
		Expect(ans.doc["differences"]).NotTo(BeEmpty())
		all := (&api{srv: f.srv}).do("GET", box.ControlPrefix+"verdicts", "", "")
		Expect(all.raw).To(ContainSubstring(`"converged":true`))
	})

	It("says judging while a judgement is due or in progress, and keeps its interface: judged, converged, sessions, acknowledged, deliveries, differences []", func(sc SpecContext) {
		empty := func(_ context.Context, org string) (probe.State, error) {
			return probe.State{OrgID: org, Employees: []map[string]any{}, Pending: probe.NoPending()}, nil
		}
		a := newAPI(box.WithProbe(empty))
		org := a.invite("judging")
		a.settle()
		_, err := a.srv.Box.AwaitVerdict(ctx(), org)
		Expect(err).NotTo(HaveOccurred())
		release := a.rec.holdAll()
		DeferCleanup(release)
		Expect(a.srv.Box.Accept(org)).To(Succeed())
		a.rec.awaitArrival(sc) // the initial sync is being sent: its judgement is due
		v := a.do("GET", box.ControlPrefix+"orgs/"+org+"/verdict", "", "")
		Expect(v.doc).To(HaveKeyWithValue("judging", true))
		Expect(v.doc).To(HaveKeyWithValue("sessions", 1.0))
		release()
		got, err := a.srv.Box.AwaitVerdict(ctx(), org)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Judging).To(BeFalse())
		v = a.do("GET", box.ControlPrefix+"orgs/"+org+"/verdict", "", "")
		for _, k := range []string{"judged", "judging", "converged", "sessions", "acknowledged", "deliveries", "differences"} {
			Expect(v.doc).To(HaveKey(k))
		}
		Expect(v.doc).To(HaveKeyWithValue("judged", true))
		Expect(v.doc).To(HaveKeyWithValue("judging", false))
		Expect(v.doc).To(HaveKeyWithValue("converged", false)) // the probe holds nothing
		Expect(v.doc["differences"]).NotTo(BeEmpty())
		Expect(v.doc).To(HaveKeyWithValue("sessions", 2.0))

		b := newAPI() // no probe: never judged, and judging only until its "not judged" verdict is made
		other := b.invite("unjudged")
		b.settle()
		_, err = b.srv.Box.AwaitVerdict(ctx(), other)
		Expect(err).NotTo(HaveOccurred())
		for _, raw := range []string{b.do("GET", box.ControlPrefix+"orgs/"+other+"/verdict", "", "").raw, b.do("GET", box.ControlPrefix+"verdicts", "", "").raw} {
			Expect(raw).To(ContainSubstring(`"judging":false`))
			Expect(raw).To(ContainSubstring(`"differences":[]`))
		}
	}, SpecTimeout(time.Minute))

	It("is not judged without a probe, and the matcher says why", func() {
		a := newAPI(box.AcceptAfter(0))
		org := a.invite("unprobed")
		v, err := a.srv.Box.AwaitVerdict(ctx(), org)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Judged).To(BeFalse())
		Expect(v.Reason).To(Equal("no state probe"))
		_, err = boxtest.Converge(0).Match(a.srv.Org(org))
		Expect(err).To(MatchError(ContainSubstring("no state probe")))
	})

	It("is not fooled by an acknowledgement the consumer did not apply", func() {
		c := newInviter([]byte(appKey), "", apiKey)
		lossy := &lossyHandler{next: c}
		csrv := httptest.NewServer(lossy)
		DeferCleanup(csrv.Close)
		fake := clock.NewFake(monday) // the box and its verdicts; the probe says pending 0, so nothing waits on it
		srv, err := boxtest.NewServer(csrv.URL, []byte(appKey), apiKey, box.WithClock(fake),
			box.AcceptAfter(0), box.Employees(15), box.WithProbe(c.Probe), box.Settle(judge.Settling{Clock: fake}))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
		c.api = srv.URL
		org, err := c.Invite("lossy", "hr@lossy.in", "Lossy Ltd")
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Org(org)).NotTo(boxtest.Converge(0))
		v, _ := srv.Box.Verdict(org)
		Expect(v.Differences).To(ContainElement(ContainSubstring("is missing employee")))
		Expect(c.Reconcile(org)).To(Equal(15)) // reconciling mends it; the next session shows it
		_, err = srv.Box.Sync(org)
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Org(org)).To(boxtest.Converge(0))
	})
})

var _ = Describe("settings changed while the box runs", Label("delivery"), func() {
	It("take effect from the next webhook: target, layout, subscription and probe", func() {
		a := newAPI()
		a.invite("first")
		a.settle()
		Expect(string(a.rec.received()[0].body)).NotTo(ContainSubstring(`", "`))

		other := newRecorder()
		Expect(a.srv.Box.SetTarget(other.srv.URL)).To(Succeed())
		a.srv.Box.SetLayout(wire.Python)
		a.invite("second")
		a.settle()
		Expect(a.rec.received()).To(HaveLen(1))
		Expect(other.received()).To(HaveLen(1))
		Expect(string(other.received()[0].body)).To(ContainSubstring(`"event": "connection.events.requested"`))
		Expect(a.srv.Box.SetTarget("not a url")).To(HaveOccurred())

		a.srv.Box.SetEvents(fixtures.Subscribe())
		third := a.invite("third")
		a.settle()
		Expect(other.received()).To(HaveLen(1))

		inv := newInviter([]byte(appKey), a.srv.URL, apiKey)
		a.srv.Box.SetProbe(inv.Probe)
		a.srv.Box.SetEvents(fixtures.All)
		Expect(a.srv.Box.Terminate(third)).To(Succeed())
		v, err := a.srv.Box.AwaitVerdict(ctx(), third)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Judged).To(BeTrue()) // the inviter never invited it, so holds nothing
		Expect(v.Converged).To(BeFalse())
		Expect(v.Differences).To(ContainElement(ContainSubstring("CONNECTION_TERMINATED")))
	})
})
