package box_test

import (
	"encoding/json"
	"net/http/httptest"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// memJournal is a Journal in memory, as the console's store keeps one on
// disk.
type memJournal struct {
	mu      sync.Mutex
	entries [][]byte
}

func (j *memJournal) Load() ([][]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([][]byte, len(j.entries))
	for i, e := range j.entries {
		out[i] = append([]byte(nil), e...)
	}
	return out, nil
}

func (j *memJournal) Append(es ...[]byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, e := range es {
		j.entries = append(j.entries, append([]byte(nil), e...))
	}
	return nil
}

func (j *memJournal) Reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = nil
	return nil
}

// persisted is a box in front of the reference consumer, kept in a
// journal, on a fake clock: restart closes it and makes it again on the
// same journal, as tartansim serve does on the same store.
type persisted struct {
	j     *memJournal
	clock *clock.Fake
	url   string
	probe probe.Func
	opts  []box.Option
	b     *box.Box
}

func newPersisted(opts ...box.Option) *persisted {
	GinkgoHelper()
	c := consumer.New([]byte(appKey))
	csrv := httptest.NewServer(c.Handler())
	DeferCleanup(csrv.Close)
	p := &persisted{j: &memJournal{}, clock: clock.NewFake(monday), url: csrv.URL + consumer.WebhookPath,
		probe: probe.HTTP(csrv.URL+consumer.ProbePath, nil), opts: opts}
	p.start()
	return p
}

func (p *persisted) start() {
	GinkgoHelper()
	opts := append([]box.Option{box.Seed(uint64(GinkgoRandomSeed())), box.WithClock(p.clock), box.AcceptAfter(0),
		box.Employees(23), box.WithProbe(p.probe), box.Settle(judge.Settling{Clock: p.clock}), box.Persist(p.j)}, p.opts...)
	b, err := box.New(p.url, []byte(appKey), apiKey, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Close)
	p.b = b
}

func (p *persisted) restart() {
	GinkgoHelper()
	p.b.Close()
	p.clock.Advance(time.Minute)
	p.start()
}

func (p *persisted) idle() {
	GinkgoHelper()
	Expect(p.b.Idle(ctx())).To(Succeed())
}

// view is what a box shows of its corporates and deliveries, in JSON;
// without when each attempt was made, where to, how long it took and its number (sends to two corporates race) when timed is
// false (two boxes send at different wall-clock times).
func view(b *box.Box, timed bool) string {
	GinkgoHelper()
	type delivery struct {
		Seq       int
		RequestID string
		Body      string
		Acked     bool
		Attempts  []deliverylog.Attempt
	}
	var ds []delivery
	for _, d := range b.Deliveries() {
		if !timed {
			for i := range d.Attempts {
				d.Attempts[i].Time, d.Attempts[i].Latency, d.Attempts[i].Result, d.Attempts[i].Target, d.Attempts[i].ID = time.Time{}, 0, "", "", 0
			}
		}
		ds = append(ds, delivery{d.Seq, d.RequestID, string(d.Body), d.Acknowledged(), d.Attempts})
	}
	js, err := json.Marshal(map[string]any{"orgs": b.Orgs(), "deliveries": ds})
	Expect(err).NotTo(HaveOccurred())
	return string(js)
}

var _ = Describe("a box kept in a journal", Label("persist"), func() {
	// history is what the spec does before a restart; more what it does after.
	history := func(b *box.Box, clk *clock.Fake) []string {
		GinkgoHelper()
		ref, err := wire.Decode([]byte(`{"plan":"gold","seats":12.50}`))
		Expect(err).NotTo(HaveOccurred())
		a, _, err := b.Invite(box.Invitation{Email: "hr@alpha.in", OrgName: "Alpha Pvt Ltd", FullName: "Asha Rao", RemoteOrgID: "alpha", ReferenceData: ref})
		Expect(err).NotTo(HaveOccurred())
		clk.Advance(time.Second)
		z, _, err := b.Invite(box.Invitation{Email: "hr@zeta.in", OrgName: "Zeta Ltd", FullName: "Z", Employees: 4})
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Idle(ctx())).To(Succeed())
		clk.Advance(time.Hour)
		b.FailNext(sender.FaultDrop, 2)
		_, err = b.SyncWith(a, fixtures.Delta{Joiners: 2, Promotions: 1, Leavers: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Idle(ctx())).To(Succeed())
		Expect(b.Change(z, fixtures.Delta{Promotions: 1})).To(Succeed()) // in the HRMS, not synced yet
		Expect(b.Terminate(z)).To(Succeed())
		Expect(b.Idle(ctx())).To(Succeed())
		return []string{a, z}
	}
	more := func(b *box.Box, clk *clock.Fake, orgs []string) {
		GinkgoHelper()
		clk.Advance(time.Hour)
		Expect(b.EOD()).To(Equal(2))
		_, err := b.SyncWith(orgs[0], fixtures.Delta{Joiners: 1, Transfers: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Idle(ctx())).To(Succeed())
	}

	It("comes back after a restart with the same corporates, records, deliveries and outcomes, and goes on as if it had never stopped", func() {
		p := newPersisted()
		orgs := history(p.b, p.clock)
		before := view(p.b, true)
		lists := map[string]string{}
		for _, org := range orgs {
			lists[org] = listed(p.b, org)
		}
		p.restart()
		Expect(p.b.Restored()).To(Equal(box.Restored{Corporates: 2, Deliveries: len(p.b.Deliveries())}))
		Expect(view(p.b, true)).To(Equal(before))
		for _, org := range orgs {
			Expect(listed(p.b, org)).To(Equal(lists[org]), "employee_list of %s, db and hrms", org)
		}
		for _, org := range orgs {
			v, err := p.b.AwaitVerdict(ctx(), org)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Judged).To(BeTrue())
		}
		more(p.b, p.clock, orgs)
		after := view(p.b, false)

		// the same history and more on one box that never stopped
		q := newPersisted()
		Expect(history(q.b, q.clock)).To(Equal(orgs))
		q.clock.Advance(time.Minute) // the restart's minute
		more(q.b, q.clock, orgs)
		Expect(after).To(Equal(view(q.b, false)))
		v, err := p.b.AwaitVerdict(ctx(), orgs[0])
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Converged).To(BeTrue(), v.String())
	})

	It("counts a send in flight at the stop as failed, and the next EOD batch re-sends it", func(sc SpecContext) {
		rec := newRecorder()
		p := &persisted{j: &memJournal{}, clock: clock.NewFake(monday), url: rec.srv.URL}
		p.opts = []box.Option{box.WithProbe(nil)}
		p.start()
		release := rec.holdAll()
		DeferCleanup(release)
		_, _, err := p.b.Invite(box.Invitation{Email: "hr@busy.in", OrgName: "Busy Ltd", FullName: "B"})
		Expect(err).NotTo(HaveOccurred())
		rec.awaitArrival(sc) // the invite's webhook is in flight, the initial sync queued
		made := len(p.b.Deliveries())
		p.b.Close() // the send in flight is cut short, unanswered
		release()
		p.restart()
		r := p.b.Restored()
		Expect(r.Deliveries).To(Equal(made))
		Expect(r.Interrupted).To(BeNumerically(">", 0))
		for _, d := range p.b.Deliveries() {
			Expect(d.Acknowledged()).To(BeFalse())
			Expect(d.Attempts).NotTo(BeEmpty(), "delivery %d has no attempt", d.Seq)
		}
		Expect(p.b.EOD()).To(Equal(made))
		p.idle()
		for _, d := range p.b.Deliveries() {
			Expect(d.Acknowledged()).To(BeTrue(), "delivery %d", d.Seq)
		}
	}, SpecTimeout(time.Minute))

	It("lets an invite waiting for its corporate accept when the rest of AcceptAfter has passed", func() {
		p := newPersisted(box.AcceptAfter(10 * time.Minute))
		org, _, err := p.b.Invite(box.Invitation{Email: "hr@later.in", OrgName: "Later Ltd", FullName: "L"})
		Expect(err).NotTo(HaveOccurred())
		p.clock.Advance(4 * time.Minute)
		p.restart() // a minute passes while it is stopped
		p.clock.Advance(4*time.Minute + 59*time.Second)
		p.idle()
		Expect(sessionsOf(p.b, org)).To(Equal(1)) // the invite only
		p.clock.Advance(time.Second)
		Eventually(func() int { p.idle(); return sessionsOf(p.b, org) }).Should(Equal(2))
	})

	It("starts anew, and says why, from a history another version made", func() {
		p := newPersisted()
		history(p.b, p.clock)
		p.b.Close()
		p.j.mu.Lock()
		var e map[string]any
		Expect(json.Unmarshal(p.j.entries[4], &e)).To(Succeed())
		e["sum"] = "0000000000000000"
		p.j.entries[4], _ = json.Marshal(e)
		p.j.mu.Unlock()
		p.start()
		Expect(p.b.Restored().Discarded).To(ContainSubstring("another version of tartansim"))
		Expect(p.b.Orgs()).To(BeEmpty())
		Expect(p.b.Deliveries()).To(BeEmpty())
		p.restart() // and the new history is the journal's now
		Expect(p.b.Restored().Discarded).To(BeEmpty())
	})
})

func sessionsOf(b *box.Box, org string) int {
	v, err := b.Verdict(org)
	Expect(err).NotTo(HaveOccurred())
	return v.Sessions
}

// listed is org's records as employee_list lists them, from the db
// and from the HRMS.
func listed(b *box.Box, org string) string {
	GinkgoHelper()
	var out string
	for _, source := range []string{"db", "hrms"} {
		req := httptest.NewRequest("GET", "/api/v2/employee_list?org="+org+"&page_size=100&source="+source, nil)
		req.Header.Set("Authorization", apiKey)
		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, req)
		Expect(rec.Code).To(Equal(200), rec.Body.String())
		out += rec.Body.String() + "\n"
	}
	return out
}
