// Package spec runs the conformance checks as Ginkgo specs, and gives
// Gomega matchers for deliveries, consumer state and verdicts. It is the
// Ginkgo front end of package conformance: the same checks, the same
// verdicts for the same consumer and seed as tartansim conformance.
//
// # In your own suite
//
// Paste this into a suite_test.go next to your consumer. It judges the
// consumer your tests start, through a Go function that reads its state
// (or pass probe.HTTP(url, nil) for a probe over HTTP):
//
//	package billing_test
//
//	import (
//		"context"
//		"net/http/httptest"
//		"testing"
//
//		. "github.com/onsi/ginkgo/v2"
//		. "github.com/onsi/gomega"
//
//		"github.com/tartansim/tartansim/conformance"
//		"github.com/tartansim/tartansim/conformance/spec"
//		"github.com/tartansim/tartansim/consumer"
//
//		"example.com/billing/webhooks"
//	)
//
//	func TestWebhooks(t *testing.T) {
//		RegisterFailHandler(Fail)
//		RunSpecs(t, "webhooks")
//	}
//
//	var target conformance.Target
//
//	var _ = BeforeSuite(func() {
//		key := []byte("test-app-key")
//		app := webhooks.New(key) // your consumer, an http.Handler
//		srv := httptest.NewServer(app)
//		DeferCleanup(srv.Close)
//		target = conformance.Target{
//			URL: srv.URL + "/hooks/tartan",
//			Key: key,
//			// What the consumer holds about an org, as contract v1.
//			Probe: func(ctx context.Context, orgID string) (probe.State, error) {
//				return app.TartanState(ctx, orgID)
//			},
//			// Seed 0: each run uses GinkgoRandomSeed(); -ginkgo.seed=N replays one.
//		}
//	})
//
//	var _ = spec.Declare(func() conformance.Target { return target })
//
// Then:
//
//	go test -count=1 .                                       # every check
//	go test -count=1 . -ginkgo.label-filter='signature'      # one area
//	go test -count=1 . -ginkgo.label-filter='DEL-STALE'      # one check
//	go test -count=1 . -ginkgo.junit-report=conformance.xml  # for CI
//
// Without a probe, the checks that need state are skipped with their
// reason, never passed. A run in which every check that ran was skipped
// judged nothing, and the suite fails at its end with "nothing was judged:
// …"; with some skipped, a report entry says how many. A consumer that is
// not running aborts the suite with one sentence ("could not reach …:
// connection refused").
//
// With ginkgo -p, every process runs the BeforeSuite and judges a consumer
// of its own, which is fine: the checks are independent. To share one
// consumer (a container, a database), start it in a SynchronizedBeforeSuite
// and give every process its URL and an HTTP probe, as tartansim's own
// suite_test.go does.
//
// # Matchers
//
// Every matcher's failure message is a template that shows what happened on
// the wire: the delivery's exact headers (the signature in full; a key is
// never in a delivery) and body (cut after 600 bytes), every answer with
// its status and the start of its body, the seed, and a curl line that
// sends the same bytes again:
//
//	printf '%s' '{"requestId":"…",…}' | curl -sS -X POST 'http://127.0.0.1:8080/webhook' \
//	  -H 'content-type: application/json' -H 'tartan-signature: 9f2c…' --data-binary @-
//
// BeAcknowledged, BeRejected and BeAppliedOnce take a delivery: a Sent (from
// Deliveries, which carries the report's target and seed) or a bare
// *scenarios.Delivery. ConvergeTo takes a probe.State, SettleTo a
// Probed, PassConformance a conformance.Result:
//
//	r, err := check.Run(ctx, target)
//	Expect(err).NotTo(HaveOccurred())
//	Expect(r).To(spec.PassConformance())
//	for _, d := range spec.Deliveries(r.Report) {
//		if d.Forged {
//			Expect(d).To(spec.BeRejected())
//		}
//	}
//	org := r.Report.Orgs[0].OrgID
//	st, err := target.Probe(ctx, org)
//	Expect(err).NotTo(HaveOccurred())
//	Expect(st).To(spec.ConvergeTo(r.Report.Truth().Org(org)))
//
// ConvergeTo judges one state as it is. A consumer that applies later,
// from a queue, needs time: SettleTo reads its probe until the state
// equals the truth and holds, within a budget, as the checks themselves
// do:
//
//	Expect(spec.Probed{Probe: target.Probe, OrgID: org}).To(spec.SettleTo(r.Report.Truth().Org(org), 10*time.Second))
//
// A password or query values in the target URL are shown as xxxxx, as the
// command line does.
package spec
