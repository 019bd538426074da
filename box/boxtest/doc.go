// Package boxtest starts Tartan in a box in-process for an integrator's own
// test suite, as httptest.NewServer starts a handler, and judges the
// consumer with a Gomega matcher.
//
//	srv, err := boxtest.NewServer(consumerWebhookURL, appKey, apiKey,
//		box.AcceptAfter(0), box.WithProbe(probe))
//	Expect(err).NotTo(HaveOccurred())
//	DeferCleanup(srv.Close)
//	os.Setenv("TARTAN_BASE_URL", srv.URL) // however the consumer finds Tartan
//
//	orgID := triggerOnboarding()                       // the consumer calls POST /api/sdk/token/
//	Expect(srv.Org(orgID)).To(boxtest.Converge(0))     // invited, accepted, initial sync applied
//	srv.Box.FailNext(sender.FaultDrop, 2)
//	_, _ = srv.Box.SyncWith(orgID, fixtures.Delta{Joiners: 3, Leavers: 1})
//	srv.Box.EOD()
//	Expect(srv.Org(orgID)).To(boxtest.Converge(0))
//
// Each box gets a seed of its own, made from the Ginkgo run's seed
// (-ginkgo.seed), its parallel process and how many boxes came before it:
// several boxes, in one suite or in the processes of ginkgo -p, can share
// one consumer without minting the same org ids or requestIds, and a run
// with the same -ginkgo.seed makes the same data again. Converge's failure
// message prints the box's seed; box.Seed(n) among the options fixes it.
//
// Converge waits for every session queued for the org to be sent and
// judged; a box on a *clock.Fake moves only when the test advances it.
package boxtest
