package conformance_test

import (
	"context"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("a consumer that subscribed to some events", Label("events"), func() {
	play := func(list string) map[string]conformance.Result {
		sub, err := fixtures.ParseSubscription(list)
		Expect(err).NotTo(HaveOccurred())
		ref := consumer.New([]byte(appKey))
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		res, err := conformance.Run(context.Background(), conformance.Target{
			URL: srv.URL + consumer.WebhookPath, Key: []byte(appKey), Seed: uint64(GinkgoRandomSeed()), Events: sub,
			Probe: func(_ context.Context, org string) (probe.State, error) { return ref.State(org), nil },
		}, conformance.Options{})
		Expect(err).NotTo(HaveOccurred())
		out := map[string]conformance.Result{}
		for _, r := range res {
			out[r.ID] = r
		}
		return out
	}

	It("is judged on those events, and every check about another is SKIP with the reason", func() {
		got := play("connection.events.requested,connection.events.terminated")
		Expect(got["LIFE-CONNECTION"].Verdict).To(Equal(conformance.Pass))
		Expect(got["DEL-ACK-TIME"].Verdict).To(Equal(conformance.Pass), "its invite still goes")
		Expect(got["LIFE-SYNC"].Verdict).To(Equal(conformance.Skip))
		Expect(got["LIFE-SYNC"].Reason).To(Equal("needs sync.events.employee.add/initial and sync.events.employee.add/delta and sync.events.employee.update, which the subscription leaves out"))
		for _, c := range conformance.Checks() {
			if len(c.Needs()) > 0 && c.ID != "LIFE-CONNECTION" {
				Expect(got[c.ID].Verdict).To(Equal(conformance.Skip), c.ID)
			}
		}
	})

	It("never makes a check PASS that was not played: nothing sent is SKIP", func() {
		got := play("none")
		for _, c := range conformance.Checks() {
			Expect(got[c.ID].Verdict).To(Equal(conformance.Skip), c.ID)
		}
		Expect(got["DEL-ACK-TIME"].Reason).To(Equal("the subscription leaves nothing of this check to send"))
	})

	It("passes every check for the subscription to every event", func() {
		for id, r := range play("all") {
			Expect(r.Verdict).To(Equal(conformance.Pass), "%s: %s", id, r.Reason)
		}
	})
})
