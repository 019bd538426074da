package conformance_test

import (
	"context"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/internal/consumertest"
	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("a consumer that starves", Label("delivery"), func() {
	It("FAILs the burst with what timed out, and the run stops there: the checks left are not judged", func() {
		seed := uint64(GinkgoRandomSeed())
		srv := consumertest.NewStarving([]byte(appKey), 4)
		DeferCleanup(srv.Close)
		webhook, probeURL := srv.URL+consumer.WebhookPath, srv.URL+consumer.ProbePath
		// The premise: the requests the pool does serve are answered within
		// the timeout, so that their connections stay open and hold every
		// handler, whatever the machine's load (at 100 ms, a loaded machine
		// under the race detector answered one late, the sender closed its
		// connection and freed a handler).
		t := conformance.Target{
			URL: webhook, Key: []byte(appKey), Seed: seed, Timeout: time.Second,
			Probe: probe.HTTP(probeURL, &http.Client{Timeout: time.Second}),
		}
		// The bound: without the stop, every check would wait out every
		// timeout, far longer than this.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		res, err := conformance.Run(ctx, t, conformance.Options{})
		Expect(err).NotTo(HaveOccurred(), "seed %d: a starved consumer is a FAIL, not an outage", seed)
		Expect(res).To(HaveLen(len(conformance.Checks())))
		byID := map[string]conformance.Result{}
		for _, r := range res {
			byID[r.ID] = r
		}
		burst := byID["DEL-BURST"]
		Expect(burst.Verdict).To(Equal(conformance.Fail), "seed %d: %s", seed, burst.Reason)
		Expect(burst.Starved).To(BeTrue())
		Expect(burst.Reason).To(ContainSubstring("the consumer stopped answering"))
		Expect(burst.Details).To(ContainElement(HavePrefix("the state probe timed out as well")), "seed %d", seed)
		notJudged := 0
		for _, r := range res {
			switch {
			case r.ID == "DEL-BURST" || r.ID == "DEL-ACK-TIME":
			case r.Verdict == conformance.Skip:
				Expect(r.Reason).To(HavePrefix("not judged: the consumer stopped answering during DEL-BURST"))
				notJudged++
			default:
				Fail(r.ID + " was judged after the run stopped: " + string(r.Verdict) + " " + r.Reason)
			}
		}
		Expect(notJudged).To(Equal(len(res) - 2))
		Expect(conformance.Tally(res).Failed).To(BeNumerically(">=", 1))
	})
})
