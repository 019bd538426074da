package conformance_test

// Proof that every check can fail: consumers with one realistic integrator
// bug each, played against all the checks. Each must fail exactly the check
// about its bug and pass every other one, as the reference consumer passes
// them all; so a check is neither blind (it catches the bug) nor loose (it
// blames nothing else).
//
// Most broken consumers are the reference consumer with the buggy code in
// front of it, or with its state reported as the bug leaves it: the
// reference serves as their storage and business logic, so that the bug is
// the only difference. Their probe tells the truth about what they hold.
// One (the last-writer-wins consumer) is written from scratch, as an
// integrator would write it from Tartan's documentation.
//
// TARTAN_MATRIX=1 go test -v ./conformance/ -ginkgo.v prints the verdict matrix.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("broken consumers", Label("broken"), Ordered, ContinueOnFailure, func() {
	var (
		seed   uint64
		played []outcome
	)
	BeforeAll(func() {
		seed = uint64(GinkgoRandomSeed())
	})
	AfterAll(func() {
		if os.Getenv("TARTAN_MATRIX") == "1" {
			fmt.Fprintf(GinkgoWriter, "seed %d\n\n%s", seed, matrix(played))
		}
	})

	It("cover every check: each check has a consumer that fails it", func() {
		covered := map[string]bool{}
		for _, s := range subjects() {
			for _, id := range s.fails {
				_, known := conformance.Lookup(id)
				Expect(known).To(BeTrue(), "%s names an unknown check %s", s.name, id)
				covered[id] = true
			}
		}
		for _, c := range conformance.Checks() {
			Expect(covered).To(HaveKey(c.ID), "no broken consumer fails %s", c.ID)
		}
	})

	for _, s := range subjects() {
		what := "passes every check"
		if s.noProbe {
			what = "passes every check it can be judged on, and the others SKIP"
		}
		if len(s.fails) > 0 {
			what = "fails exactly " + strings.Join(s.fails, ", ")
		}
		labels := Label("reference")
		if len(s.fails) > 0 {
			labels = nil
			for _, id := range s.fails {
				if c, ok := conformance.Lookup(id); ok && !slices.Contains(labels, c.Label) {
					labels = append(labels, c.Label)
				}
			}
		}
		It(s.name+" "+what, labels, func() {
			// TARTAN_REPEAT=N plays the queue-based consumers N times, each
			// with its own seed: their verdicts must not depend on timing.
			for k := range repeats(s) {
				o := play(s, seed+uint64(k))
				played = append(played, o)
				Expect(o.verdicts()).To(Equal(expected(s)), o.explain())
			}
		})
	}
})

// subjects lists the consumers under test: the reference, then one or more
// broken consumers per check, in catalogue order, then those that store
// the data's quirks wrongly (broken_quirks_test.go) and the queue-based ones.
func subjects() []subject {
	return append([]subject{
		{
			name: "reference", bug: "none: the reference consumer", httpProbe: true,
			build: func(key []byte) (http.Handler, func(string) probe.State) {
				c := consumer.New(key)
				return c, c.State
			},
		},
		{
			name: "reference, no probe", bug: "none: the reference consumer, without its probe", noProbe: true,
			build: func(key []byte) (http.Handler, func(string) probe.State) {
				c := consumer.New(key)
				return c, c.State
			},
		},
		sigReserialised(),
		sigUnsignedPings(),
		sigVacuousAll(),
		sigSandboxKey(),
		sigApplyThenVerify(),
		sigTruncatedMAC(),
		sigExactHeaderName(),
		sigSyncOnly(),
		payUUIDRequestID(),
		payUnknownEvent500(),
		payStrictFields(),
		payStripTags(),
		payEnumColumn(),
		delSlowOffboarding(),
		delNoIdempotency(),
		delLateDuplicate409(),
		delLastWriterWins(),
		delGuardBeforeSlowWork(),
		delSessionFirst(),
		delFailFastPool(),
		delForgetsEarlierSessions(),
		delDropsOlderSessions(),
		delUpdateNeedsRow(),
		delNeedsConnection(),
		lifeArrivalOrderedConnection(),
		payStampsEmptyWithArrival(),
		lifeSeatCap(),
		lifeForgetsLeavers(),
		lifeIgnoresTermination(),
		lifeSilentPurge(),
		lifeDeclaredPurge(),
	}, append(quirkSubjects(), queueSubjects()...)...)
}

// repeats is how many times s is played: TARTAN_REPEAT (default 1) for the
// queue-based consumers, once for the others.
func repeats(s subject) int {
	n, err := strconv.Atoi(os.Getenv("TARTAN_REPEAT"))
	if err != nil || n < 1 || !isQueue(s) {
		return 1
	}
	return n
}

// decodeNumbers decodes a JSON object keeping numbers as written; anything
// else gives nil.
func decodeNumbers(raw []byte) map[string]any {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}
