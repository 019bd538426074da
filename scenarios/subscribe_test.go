package scenarios_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/scenarios"
)

var _ = Describe("a subscription", Label("events"), func() {
	const life = `name: life
orgs:
  - id: corp
    employees: 25
steps:
  - at: day 1 09:00
    invite: {org: corp}
  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: drop, webhooks: [2]}
  - at: day 1 14:00
    delta-sync: {org: corp, joiners: 2, promotions: 3}
  - at: day 1 23:59
    eod: {}
  - at: day 2 10:00
    terminate: {org: corp}
`
	sub := func(list string) fixtures.Subscription {
		s, err := fixtures.ParseSubscription(list)
		Expect(err).NotTo(HaveOccurred())
		return s
	}

	It("sends only the events subscribed to, and judges the consumer on them", func(ctx SpecContext) {
		t := newTarget(refHandler)
		rep, err := runner(t, scenarios.Subscribe(sub("connection.events.requested,connection.events.terminated"))).Run(ctx, parse(life))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Passed()).To(BeTrue(), "%v", rep.Problems)
		Expect(rep.Deliveries).To(HaveLen(2))
		Expect(t.requests()).To(HaveLen(2))
		for i, d := range rep.Deliveries {
			Expect(d.Seq).To(Equal(i+1), "numbered as sent")
			Expect(d.Event).To(HavePrefix("connection.events."))
		}
		Expect(rep.Orgs[0].Employees).To(BeZero(), "the truth holds what was sent")
		Expect(rep.Orgs[0].Status).To(Equal("CONNECTION_TERMINATED"))
		Expect(rep.Steps[1].Unsubscribed).To(Equal(4), "the initial sync's initiated and three batches")
		Expect(rep.Steps[3].Resent).To(BeEmpty(), "the dropped batch was never sent, so nothing failed")
	})

	It("re-sends at EOD only what it sent, and builds the same bytes as without it", func(ctx SpecContext) {
		at := scenarios.Start(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)) // the same stamps in both runs
		all := newTarget(refHandler)
		full, err := runner(all, at).Run(ctx, parse(life))
		Expect(err).NotTo(HaveOccurred())
		some := newTarget(refHandler)
		part, err := runner(some, at, scenarios.Subscribe(sub("sync.events.employee.add"))).Run(ctx, parse(life))
		Expect(err).NotTo(HaveOccurred())
		Expect(part.Passed()).To(BeTrue(), "%v", part.Problems)
		var want []string
		for _, d := range full.Deliveries {
			if d.Event == fixtures.EventEmployeeAdd {
				want = append(want, string(d.Body))
			}
		}
		var got []string
		for _, d := range part.Deliveries {
			got = append(got, string(d.Body))
		}
		Expect(got).To(Equal(want))
		Expect(part.Steps[3].Resent).To(HaveLen(1), "the dropped batch is an add")
	})

	It("sends nothing to a consumer that subscribed to nothing, and it converges on nothing", func(ctx SpecContext) {
		t := newTarget(refHandler)
		rep, err := runner(t, scenarios.Subscribe(fixtures.Subscribe())).Run(ctx, parse(life))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Deliveries).To(BeEmpty())
		Expect(t.requests()).To(BeEmpty())
		Expect(rep.Passed()).To(BeTrue())
	})
})
