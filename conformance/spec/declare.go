//lint:file-ignore ST1001 the file declares Ginkgo specs; it reads as the DSL it writes

package spec

import (
	"context"
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/show"
)

// Suite is the name of the container Declare adds: the first words of every
// conformance spec's full name.
const Suite = "Tartan webhook conformance"

// Declare adds the conformance checks to the Ginkgo suite being built: a
// Describe(Suite) with one It per check of conformance.Checks, named by the
// check's ID and title ("SIG-MISSING rejects a delivery without
// tartan-signature with 4xx, and it has no effect") and labelled with its
// area and its ID, so that -ginkgo.label-filter='signature' or 'DEL-STALE'
// selects checks exactly as tartansim conformance --label-filter does. It
// returns true, so that it can stand at the top level of a test file as
// var _ = spec.Declare(…).
//
// Each spec calls get when it runs, never while the tree is built, so get
// may return what a BeforeSuite prepared (a server it started, a key read
// from the environment). Each spec plays its check against the Target get
// returns, with the ctx of the spec (an interrupt or a spec timeout stops
// it), and then:
//
//   - PASS: the spec passes;
//   - SKIP: the spec is skipped with the check's reason, e.g. "needs a state
//     probe to judge that a forged delivery had no effect";
//   - FAIL: the spec fails with PassConformance's message: the reason, the
//     evidence, the seed, the delivery at fault with a curl line that sends
//     it again, and how to rerun the check alone.
//
// A Target with Seed 0 gets the seed of the Ginkgo run, GinkgoRandomSeed()
// (printed at the start of every run as "Random Seed: N"; -ginkgo.seed=N
// replays it); every check of one run shares the seed, in every parallel
// process. A Timeout of 0 is conformance.DefaultTimeout; a nil Probe makes
// the checks that need state SKIP.
//
// When the target cannot be reached at all (connection refused, DNS, TLS),
// or the state probe cannot, the first spec to find out aborts the suite
// with one sentence, "could not reach http://127.0.0.1:8080/webhook:
// connection refused", and the other specs do not run (in parallel runs,
// on any process), instead of failing one by one. A Target without a URL
// or a key aborts the suite the same way. Any other error (a probe that
// answers 500, a state that is not contract v1) fails the spec.
//
// The checks are independent: each plays its own org, so Ginkgo may run
// them in any order and in parallel (ginkgo -p) against one consumer.
// AbortSuite stops the whole suite, your own specs included: an
// unreachable consumer leaves nothing worth judging.
//
// A run in which every conformance spec that ran was skipped judged
// nothing, and that is never a pass: Declare also adds a ReportAfterSuite
// that then fails the suite with "nothing was judged: all 21 checks were
// skipped, e.g. …" (a label filter that leaves every check out is not such
// a run). So Declare must stand at the top level of the suite, where
// Ginkgo allows a ReportAfterSuite; called more than once, it adds that
// node once.
func Declare(get func() conformance.Target) bool {
	if get == nil {
		panic("spec: Declare needs a function that returns the target")
	}
	declareJudged()
	return Describe(Suite, func() {
		for _, c := range conformance.Checks() {
			It(c.ID+" "+c.Title, Label(c.Label, c.ID), func(ctx SpecContext) {
				play(ctx, c, get())
			})
		}
	})
}

// play runs one check as a spec.
func play(ctx context.Context, c conformance.Check, t conformance.Target) {
	defaulted := t.Seed == 0
	if defaulted {
		t.Seed = ginkgoSeed()
	}
	var bad *conformance.OptionError
	if err := t.Validate(); errors.As(err, &bad) {
		AbortSuite(targetSentence(bad))
	}
	r, err := c.Run(ctx, t)
	if ctx.Err() != nil {
		return // interrupted or timed out: Ginkgo reports it
	}
	if err != nil {
		if sentence, ok := unreachable(t, err); ok {
			AbortSuite(sentence)
		}
		Fail(fmt.Sprintf("%s could not be judged: %s (seed %d)", c.ID, show.Reason(err), t.Seed))
	}
	recordVerdict(r.Verdict)
	if r.Verdict == conformance.Skip {
		Skip(r.Reason)
	}
	Expect(r).To(PassConformance(), rerunHint(c, t.Seed, defaulted))
}

// targetSentence is the sentence that aborts the suite for a Target that
// cannot be played.
func targetSentence(e *conformance.OptionError) string {
	switch e.Field {
	case "URL":
		if e.Value == "" {
			return "the conformance target has no URL: the function given to spec.Declare must return the consumer's webhook URL"
		}
	case "Key":
		return "the conformance target has no app key: the function given to spec.Declare must return the key the consumer verifies with"
	}
	sentence := "the conformance target's " + e.Field
	if e.Value != "" {
		sentence += " " + e.Value
	}
	return sentence + " " + e.Why
}

// ginkgoSeed is the run's seed, never 0 (a seed of 0 means "none").
func ginkgoSeed() uint64 {
	if s := uint64(GinkgoRandomSeed()); s != 0 {
		return s
	}
	return 1
}

// rerunHint is the line above a failure: how to run this check alone, as a
// spec, with the same data.
func rerunHint(c conformance.Check, seed uint64, defaulted bool) string {
	if defaulted {
		return fmt.Sprintf("rerun this spec alone: go test -count=1 -ginkgo.label-filter=%s -ginkgo.seed=%d", show.Quote(c.ID), seed)
	}
	return fmt.Sprintf("rerun this spec alone: -ginkgo.label-filter=%s, with the Target's Seed %d", show.Quote(c.ID), seed)
}

// unreachable turns an error that means "nothing could be reached" into
// the one sentence that aborts the suite.
func unreachable(t conformance.Target, err error) (string, bool) {
	if errors.Is(err, conformance.ErrUnreachable) {
		why := err.Error() // an error of another making: all of it
		var ue *conformance.UnreachableError
		if errors.As(err, &ue) {
			why = ue.Why
		}
		return fmt.Sprintf("could not reach %s: %s", show.URL(t.URL), why), true
	}
	// An HTTP probe that gets no answer fails every check that needs
	// state the same way: stop at the first.
	var pe *probe.Error
	if errors.As(err, &pe) {
		return pe.Error(), true
	}
	return "", false
}
