package box_test

import (
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

const (
	appKey = "box-test-app-key"
	apiKey = "box-test-api-key"
)

// monday is a Monday morning, a week from the schedule's next run.
var monday = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

// fixture is a box with a consumer behind it, on loopback.
type fixture struct {
	clock *clock.Fake
	srv   *boxtest.Server
	inv   *inviter
}

// withInviter starts the small inviting consumer and a box in front of it,
// on a fake clock: the corporate accepts an hour after the invite. The
// verdicts settle on that clock too; the inviter applies before it answers
// and its probe says pending 0, so a judgement reads once and never waits.
func withInviter(opts ...box.Option) *fixture {
	f := &fixture{clock: clock.NewFake(monday)}
	f.inv = newInviter([]byte(appKey), "", apiKey)
	csrv := httptest.NewServer(f.inv)
	DeferCleanup(csrv.Close)
	opts = append([]box.Option{
		box.Seed(uint64(GinkgoRandomSeed())), box.WithClock(f.clock), box.AcceptAfter(time.Hour),
		box.WithProbe(f.inv.Probe), box.Settle(judge.Settling{Clock: f.clock}),
	}, opts...)
	srv, err := boxtest.NewServer(csrv.URL, []byte(appKey), apiKey, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Close)
	f.srv, f.inv.api = srv, srv.URL
	return f
}

// withReference starts the reference consumer and a box of corporates of n
// employees in front of it, on a fake clock; the corporate accepts at once.
func withReference(n int) (*consumer.Consumer, *clock.Fake, *boxtest.Server) {
	GinkgoHelper()
	c := consumer.New([]byte(appKey))
	csrv := httptest.NewServer(c.Handler())
	DeferCleanup(csrv.Close)
	fake := clock.NewFake(monday)
	srv, err := boxtest.NewServer(csrv.URL+consumer.WebhookPath, []byte(appKey), apiKey,
		box.Seed(uint64(GinkgoRandomSeed())), box.WithClock(fake), box.AcceptAfter(0), box.Employees(n),
		box.WithProbe(probe.HTTP(csrv.URL+consumer.ProbePath, nil)))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Close)
	return c, fake, srv
}

// sent returns the box's deliveries about org, by event.
func (f *fixture) sent(orgID string) []box.Delivery {
	var out []box.Delivery
	for _, d := range f.srv.Box.Deliveries() {
		if d.OrgID == orgID {
			out = append(out, d)
		}
	}
	return out
}

var _ = Describe("the worked example", Label("e2e"), func() {
	It("invites on Generate SDK token, sends 105 employees in 11 webhooks once accepted, serves them to reconciliation, terminates, and converges", func() {
		f := withInviter()
		orgID, err := f.inv.Invite("acme-42", "hr@acme-textiles.in", "Acme Textiles Pvt Ltd")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.srv.Org(orgID)).To(boxtest.Converge(0))
		Expect(f.sent(orgID)).To(HaveLen(1))
		Expect(f.sent(orgID)[0].Event).To(Equal(fixtures.EventConnectionRequested))

		f.clock.Advance(time.Hour) // the corporate accepts
		Expect(f.srv.Org(orgID)).To(boxtest.Converge(0))
		ds := f.sent(orgID)
		Expect(ds).To(HaveLen(13)) // requested, initiated, 11 batches
		Expect(ds[1].Event).To(Equal(fixtures.EventSyncInitiated))
		var sizes []int
		for _, d := range ds[2:] {
			Expect(d.EventType).To(Equal(fixtures.TypeInitial))
			Expect(d.Attempts).To(HaveLen(1))
			Expect(d.Attempts[0].OK()).To(BeTrue())
			sizes = append(sizes, d.Records)
		}
		Expect(sizes).To(Equal([]int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 5}))

		Expect(f.inv.Reconcile(orgID)).To(Equal(105))
		Expect(f.srv.Org(orgID)).To(boxtest.Converge(0))

		status, body, err := f.inv.Terminate(orgID)
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(200), string(body))
		Expect(f.srv.Org(orgID)).To(boxtest.Converge(0))
		v, err := f.srv.Box.Verdict(orgID)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Acknowledged).To(Equal(14))
		Expect(v.Deliveries).To(Equal(14))
		st, _ := f.inv.Probe(ctx(), orgID)
		Expect(st.ConnectionStatus).To(Equal(fixtures.StatusTerminated))
		Expect(st.Employees).To(HaveLen(105))
	})
})

var _ = Describe("the reference consumer behind the box", Label("e2e"), func() {
	It("converges through an initial sync, a delta, failures and the EOD batch", func() {
		c, _, srv := withReference(23)
		orgID, err := srv.Invite(ctx(), "hr@mehta-steel.in", "Mehta Steel Ltd", "Ravi Mehta", "mehta-1")
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Org(orgID)).To(boxtest.Converge(0))
		Expect(c.State(orgID).Employees).To(HaveLen(23))

		srv.Box.FailNext(sender.FaultAckLost, 2)
		s, err := srv.Box.SyncWith(orgID, fixtures.Delta{Joiners: 2, Promotions: 1, Leavers: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(s.New).To(Equal(2))
		Expect(s.Updated).To(Equal(2))                 // the one promoted is not the leaver
		Expect(srv.Org(orgID)).To(boxtest.Converge(0)) // what it lost is not judged yet
		Expect(srv.Box.EOD()).To(Equal(2))
		Expect(srv.Org(orgID)).To(boxtest.Converge(0))
		v, err := srv.Box.Verdict(orgID)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Acknowledged).To(Equal(v.Deliveries))
		Expect(c.State(orgID).Employees).To(HaveLen(25))
	})
})

var _ = Describe("corporates of any size, at once", Label("e2e", "concurrency"), func() {
	It("converges a 5-employee corporate before a 10,000-employee one's initial sync is half sent", func(sc SpecContext) {
		f := withInviter(box.AcceptAfter(0))
		big, err := f.inv.InviteSized("big", "hr@big-corp.in", "Big Corp Ltd", 10_000)
		Expect(err).NotTo(HaveOccurred())
		small, err := f.inv.InviteSized("small", "hr@small-shop.in", "Small Shop LLP", 5)
		Expect(err).NotTo(HaveOccurred())

		v, err := f.srv.Box.AwaitVerdict(sc, small)
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Converged).To(BeTrue(), "%+v", v)
		Expect(v.Deliveries).To(Equal(3)) // requested, initiated, one batch of 5
		acked, made := 0, 0
		for _, d := range f.sent(big) {
			made++
			if d.Acknowledged() {
				acked++
			}
		}
		Expect(made).To(Equal(1002)) // requested, initiated, 1,000 batches of 10
		Expect(acked).To(BeNumerically("<", made/2), "the large sync was more than half sent when the small one had converged")
		// the large one's convergence is the worked example's, at 105: a
		// 10,000-employee one takes a minute under -race on a shared machine
	}, SpecTimeout(2*time.Minute))
})
