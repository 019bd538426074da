package box_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
	"github.com/tartansim/tartansim/fixtures"
)

// bigDelta is what changes a few seconds after a large initial sync was
// queued: enough employees, spread over the whole sync, that a delta
// stamped older than their initial records would lose some of them.
var bigDelta = fixtures.Delta{Joiners: 5, Promotions: 20, Transfers: 10, ManagerChanges: 10, Leavers: 10}

// byEmployee keys records by employeeId, each as plain JSON values (the
// consumer holds numbers as json.Number).
func byEmployee(recs []map[string]any) map[string]map[string]any {
	GinkgoHelper()
	raw, err := json.Marshal(recs)
	Expect(err).NotTo(HaveOccurred())
	var plain []map[string]any
	Expect(json.Unmarshal(raw, &plain)).To(Succeed())
	out := make(map[string]map[string]any, len(plain))
	for _, m := range plain {
		id, _ := m["employeeId"].(string)
		out[id] = m
	}
	return out
}

// differing lists the employees whose record held differs from the one
// listed, and those one of them lacks.
func differing(held, listed map[string]map[string]any) []string {
	var out []string
	for id, rec := range listed {
		switch h, ok := held[id]; {
		case !ok:
			out = append(out, id+": missing")
		case !reflect.DeepEqual(h, rec):
			out = append(out, id+": differs")
		}
	}
	for id := range held {
		if _, ok := listed[id]; !ok {
			out = append(out, id+": not in employee_list")
		}
	}
	slices.Sort(out)
	return out
}

// employeeList reads every page of the box's employee_list (source db).
func employeeList(srv *boxtest.Server, org string) []map[string]any {
	GinkgoHelper()
	a := &api{srv: srv}
	var out []map[string]any
	for page := 1; page <= 1000; page++ {
		ans := list(a, "org="+org+"&page_size=100&page="+itoa(page))
		Expect(ans.status).To(Equal(200), ans.raw)
		out = append(out, data(ans)...)
		if next, _ := ans.doc["pageInfo"].(map[string]any)["next"].(bool); !next {
			return out
		}
	}
	Fail("employee_list never ended")
	return nil
}

// expectStampsInOrder checks that no webhook about org was stamped ahead of
// the box's clock when it was built, and that the stamps never go back.
func expectStampsInOrder(srv *boxtest.Server, org string) {
	GinkgoHelper()
	last := ""
	for _, d := range srv.Box.Deliveries() {
		if d.OrgID != org {
			continue
		}
		Expect(d.TimeStamp <= fixtures.Stamp(d.Made)).To(BeTrue(), "delivery %d stamped %s, built at %s", d.Seq, d.TimeStamp, d.Made)
		Expect(d.TimeStamp >= last).To(BeTrue(), "delivery %d stamped %s, after one stamped %s", d.Seq, d.TimeStamp, last)
		last = d.TimeStamp
	}
}

var _ = Describe("timeStamps", Label("stamps"), func() {
	It("are never ahead of the clock: a delta right after a 2,000-employee initial sync reaches the reference consumer whole, as employee_list has it", func() {
		c, clock, srv := withReference(2000)
		org, err := srv.Invite(ctx(), "hr@vast.in", "Vast Industries Ltd", "Meera Iyer", "vast-1")
		Expect(err).NotTo(HaveOccurred())
		clock.Advance(5 * time.Second) // the initial sync's 201 webhooks are still being sent
		s, err := srv.Box.SyncWith(org, bigDelta)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Updated).To(Equal(bigDelta.Changes()))

		Expect(srv.Org(org)).To(boxtest.Converge(0))
		listed := employeeList(srv, org)
		Expect(listed).To(HaveLen(2005))
		Expect(differing(byEmployee(c.State(org).Employees), byEmployee(listed))).To(BeEmpty())
		expectStampsInOrder(srv, org)
	})

	It("let a consumer that follows employee_list converge: the truth is what employee_list says", func() {
		f := withInviter(box.AcceptAfter(0), box.Employees(500))
		org, err := f.inv.Invite("vast-2", "hr@vaster.in", "Vaster Industries Ltd")
		Expect(err).NotTo(HaveOccurred())
		f.clock.Advance(5 * time.Second)
		_, err = f.srv.Box.SyncWith(org, bigDelta)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.srv.Box.Idle(ctx())).To(Succeed())
		Expect(f.inv.Reconcile(org)).To(Equal(505))
		_, err = f.srv.Box.Sync(org) // nothing changed: a session to judge the reconciled state
		Expect(err).NotTo(HaveOccurred())
		Expect(f.srv.Org(org)).To(boxtest.Converge(0))
		expectStampsInOrder(f.srv, org)
	})

	It("are the box's clock when each webhook is built, to the second, whatever the sync's size", func() {
		a := newAPI(box.AcceptAfter(0))
		a.clock.Advance(1500 * time.Millisecond)
		org := a.invite("when")
		a.settle()
		for _, d := range a.srv.Box.Deliveries() {
			Expect(d.TimeStamp).To(Equal("2026-03-02 09:00:01"), "delivery %d", d.Seq)
		}
		a.clock.Advance(time.Hour)
		_, err := a.srv.Box.SyncWith(org, fixtures.Delta{Joiners: 25})
		Expect(err).NotTo(HaveOccurred())
		ds := a.srv.Box.Deliveries()
		Expect(ds[len(ds)-1].TimeStamp).To(Equal("2026-03-02 10:00:01"))
		expectStampsInOrder(a.srv, org)
	})
})
