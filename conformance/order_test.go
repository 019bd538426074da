package conformance_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/fixtures"
)

var _ = Describe("DEL-ORDER", Label("delivery"), func() {
	// Its title promises batches before sync.events.initiated and counters
	// out of order: under every seed, not only when the shuffle allows.
	It("sends a session's batches before its sync.events.initiated, counters out of order, under every seed", func() {
		s := subjects()[0] // the reference: it converges, so each seed is judged whole
		s.keep = func(c conformance.Check) bool { return c.ID == "DEL-ORDER" }
		base := uint64(GinkgoRandomSeed())
		for k := range uint64(20) {
			o := play(s, base+k)
			Expect(o.results).To(HaveLen(1))
			r := o.results[0]
			Expect(r.Verdict).To(Equal(conformance.Pass), o.explain())
			sessions := map[string][]int{} // syncSessionId → counters in send order
			initiatedAt := map[string]int{}
			for _, d := range r.Report.Deliveries {
				if d.SyncSessionID == "" {
					continue
				}
				if d.Event == fixtures.EventSyncInitiated {
					initiatedAt[d.SyncSessionID] = len(sessions[d.SyncSessionID])
				}
				sessions[d.SyncSessionID] = append(sessions[d.SyncSessionID], d.WebhookCounter)
			}
			for id, counters := range sessions {
				if len(counters) < 2 {
					delete(sessions, id) // the invite's: one webhook
				}
			}
			Expect(sessions).To(HaveLen(2), "seed %d: an initial and a delta session", base+k)
			for id, counters := range sessions {
				what := fmt.Sprintf("seed %d, session %s, counters %v", base+k, id, counters)
				Expect(counters).NotTo(BeSorted(), what)
				if at, ok := initiatedAt[id]; ok {
					Expect(at).To(BeNumerically(">", 0), "%s: sync.events.initiated went first", what)
				}
			}
		}
	})
})

// BeSorted matches a slice of ints in ascending order.
func BeSorted() OmegaMatcher {
	return WithTransform(func(c []int) bool {
		for i := 1; i < len(c); i++ {
			if c[i] < c[i-1] {
				return false
			}
		}
		return true
	}, BeTrue())
}
