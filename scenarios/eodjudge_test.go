package scenarios_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
)

var _ = Describe("an EOD batch in the middle of a scenario", Label("settle", "eod"), func() {
	// The org's second initial sync re-sends every employee, so the final
	// records converge whatever the EOD batch did, and the probe keeps no
	// applied counts: only a judgement right after the batch sees what it
	// lost.
	const resync = `name: eod-then-resync
orgs:
  - id: corp
    employees: 60
steps:
  - at: day 1 09:00
    invite: {org: corp}
  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: drop, webhooks: [2, 3, 4, 5, 6, 7]}
  - at: day 1 23:59
    eod: {concurrency: 6}
  - at: day 2 10:00
    initial-sync: {org: corp}
`
	It("is judged by state: work acknowledged and dropped is a problem, though a later step mends it", func(ctx SpecContext) {
		var lossy atomic.Bool // while set, the consumer answers 200 and applies nothing
		t := newTarget(func(c *consumer.Consumer) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if lossy.Load() {
					w.WriteHeader(http.StatusAccepted)
					return
				}
				c.ServeHTTP(w, r)
			})
		})
		noCounts := func(_ context.Context, orgID string) (probe.State, error) {
			st := t.ref.State(orgID)
			st.Applied = map[string]int{}
			return st, nil
		}
		rep, err := runner(t, scenarios.WithProbe(noCounts), scenarios.OnStep(func(_ *scenarios.Report, s *scenarios.StepReport) {
			lossy.Store(s.Index == 2) // during the EOD batch, step 3
		})).Run(ctx, parse(resync))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Orgs).To(HaveLen(1))
		Expect(rep.Orgs[0].Converged).To(BeTrue(), "the resync mends the state by the end: %v", rep.Orgs[0].Differences)
		Expect(rep.Problems).To(HaveLen(1))
		Expect(rep.Problems[0]).To(HavePrefix("after the EOD batch at day 1 23:59:00, org " + rep.Orgs[0].OrgID + " had not applied everything it acknowledged: is missing employee"))
	})

	It("passes a consumer that applies the batch", func(ctx SpecContext) {
		t := newTarget(refHandler)
		rep, err := runner(t).Run(ctx, parse(resync))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Problems).To(BeEmpty())
		Expect(strings.Join(rep.Problems, "\n")).To(BeEmpty())
	})
})
