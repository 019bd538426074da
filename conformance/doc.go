// Package conformance judges whether a consumer handles Tartan webhooks
// correctly: the checks of docs/conformance.md, each a small scenario played
// against the consumer and judged on one behaviour, with a verdict of PASS,
// FAIL or SKIP (never PASS without the evidence, e.g. a state probe).
//
// The same checks run from the command line (tartansim conformance) and as
// Ginkgo specs (package conformance/spec), with the same verdicts for the
// same consumer and seed:
//
//	results, err := conformance.Run(ctx, conformance.Target{
//		URL:   "http://127.0.0.1:8080/webhook",
//		Key:   key,
//		Probe: probe.HTTP("http://127.0.0.1:8080/probe", nil),
//		Seed:  42,
//	}, conformance.Options{})
//	for _, r := range results {
//		fmt.Println(r.ID, r.Verdict, r.Reason)
//	}
package conformance
