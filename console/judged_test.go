package console

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/judge"
)

var _ = Describe("a run that judged nothing", Label("runs", "judged"), func() {
	It("is NOTHING_JUDGED, not PASS, when the subscription leaves every check out", func() {
		h := start(Override(Patch{Events: ptr([]string{"record.employee.remark"})}))
		r := runToEnd(h, RunRequest{Conformance: true})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Checks).To(HaveLen(len(conformance.Checks())))
		for _, c := range r.Checks {
			Expect(c.Verdict).To(Equal(string(conformance.Skip)), c.ID)
		}
		Expect(r.Verdict).To(Equal(VerdictNothingJudged))
		Expect(r.Summary).To(MatchFields(IgnoreExtras, Fields{"Passed": BeZero(), "Failed": BeZero(), "Skipped": Equal(len(conformance.Checks()))}))
		Expect(r.Summary.Outcome()).To(Equal(judge.NothingJudged))
		Expect(r.Note).To(HavePrefix("Nothing was judged: all 21 checks were skipped, e.g. SIG-VALID: "))
	})

	It("is NOTHING_JUDGED when a scenario sent nothing", func() {
		h := start(Override(Patch{Events: ptr([]string{})}))
		r := runToEnd(h, RunRequest{Scenario: "onboarding"})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Verdict).To(Equal(VerdictNothingJudged))
		Expect(r.Summary).To(MatchFields(IgnoreExtras, Fields{"Passed": BeZero(), "Failed": BeZero(), "Skipped": Equal(1)}))
		Expect(r.Note).To(HavePrefix("Nothing was judged: scenario onboarding sent nothing: the subscription leaves out all "))
		Expect(h.srv.Log().Counts().Total).To(BeZero())
	})

	It("says how many were skipped when some were judged", func() {
		f := newFlaky() // answers 200 to all, and has no probe
		h := start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
		r := runToEnd(h, RunRequest{Conformance: true, Checks: []string{"SIG-VALID", "SIG-MISSING", "LIFE-SYNC"}})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Summary.Skipped).To(BeNumerically(">=", 1), "LIFE-SYNC needs a probe")
		Expect(r.Summary.Passed + r.Summary.Failed + r.Summary.Skipped).To(Equal(3))
		Expect(r.Verdict).To(Equal(verdictOf(r.Summary)))
		Expect(r.Verdict).NotTo(Equal(VerdictNothingJudged))
		var runs []Run
		Expect(h.call(http.MethodGet, "/api/console/runs", nil, &runs)).To(Equal(http.StatusOK))
		Expect(runs[0].Summary).To(Equal(r.Summary))
	})

	DescribeTable("its verdict follows from what it counted",
		func(t judge.Tally, want string) { Expect(verdictOf(t)).To(Equal(want)) },
		Entry("nothing at all", judge.Tally{}, VerdictNothingJudged),
		Entry("only skips", judge.Tally{Skipped: 3}, VerdictNothingJudged),
		Entry("a pass among skips", judge.Tally{Passed: 1, Skipped: 17}, VerdictPass),
		Entry("a fail beats passes", judge.Tally{Passed: 17, Failed: 1}, VerdictFail),
		Entry("a fail among skips", judge.Tally{Failed: 1, Skipped: 17}, VerdictFail),
	)
})
