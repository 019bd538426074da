package conformance

import (
	"net/http/httptest"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// An internal test, beside the suite of package conformance_test: Fail and
// Skip name verdicts here, so Ginkgo and Gomega are not dot-imported.
var _ = ginkgo.Describe("the judge of genuine deliveries", func() {
	ginkgo.It("does not hold a drop against the consumer when another fault hit the same webhook", func(ctx ginkgo.SpecContext) {
		key := []byte("judge-test-key")
		srv := httptest.NewServer(consumer.New(key).Handler())
		ginkgo.DeferCleanup(srv.Close)
		s, err := sender.New(srv.URL + consumer.WebhookPath)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ginkgo.DeferCleanup(s.Close)
		sc, err := scenarios.Parse("drop-and-case.yaml", []byte(`
name: drop-and-case
orgs: [{id: corp, employees: 12}]
steps:
  - initial-sync: {org: corp}
    faults:
      - {type: drop, webhooks: [2]}
      - {type: header-case, case: upper, webhooks: [2]}
  - eod: {}
`))
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		rep, err := scenarios.NewRunner(s, key, scenarios.Seed(3)).Run(ctx, sc)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		d := rep.Deliveries[1]
		gomega.Expect(d.Fault).To(gomega.Equal("drop+header-case:upper"))
		gomega.Expect(d.Attempts[0].Result.OK()).To(gomega.BeFalse(), "dropped")

		j := &evidence{rep: rep}
		j.genuineAcked()
		j.eodAcked()
		gomega.Expect(j.fails).To(gomega.BeEmpty())
		verdict, _, _ := j.verdict()
		gomega.Expect(verdict).To(gomega.Equal(Pass))
	})
})
