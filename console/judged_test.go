package console

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
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
		Expect(r.Summary).To(Equal(RunSummary{Skipped: len(conformance.Checks())}))
		Expect(r.Note).To(Equal("Nothing was judged: all 18 checks were SKIP."))
	})

	It("is NOTHING_JUDGED when a scenario sent nothing", func() {
		h := start(Override(Patch{Events: ptr([]string{})}))
		r := runToEnd(h, RunRequest{Scenario: "onboarding"})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Verdict).To(Equal(VerdictNothingJudged))
		Expect(r.Summary).To(Equal(RunSummary{Skipped: 1}))
		Expect(r.Note).To(ContainSubstring("nothing was sent"))
		Expect(h.srv.Log().Counts().Total).To(BeZero())
	})

	It("says how many were skipped when some were judged", func() {
		f := newFlaky() // answers 200 to all, and has no probe
		h := start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
		r := runToEnd(h, RunRequest{Conformance: true, Checks: []string{"SIG-VALID", "SIG-MISSING", "LIFE-SYNC"}})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Summary.Skipped).To(BeNumerically(">=", 1), "LIFE-SYNC needs a probe")
		Expect(r.Summary.Passed + r.Summary.Failed + r.Summary.Skipped).To(Equal(3))
		Expect(r.Verdict).To(Equal(r.Summary.verdict()))
		Expect(r.Verdict).NotTo(Equal(VerdictNothingJudged))
		var runs []Run
		Expect(h.call(http.MethodGet, "/api/console/runs", nil, &runs)).To(Equal(http.StatusOK))
		Expect(runs[0].Summary).To(Equal(r.Summary))
	})

	DescribeTable("its verdict follows from what it counted",
		func(c RunSummary, want string) { Expect(c.verdict()).To(Equal(want)) },
		Entry("nothing at all", RunSummary{}, VerdictNothingJudged),
		Entry("only skips", RunSummary{Skipped: 3}, VerdictNothingJudged),
		Entry("a pass among skips", RunSummary{Passed: 1, Skipped: 17}, VerdictPass),
		Entry("a fail beats passes", RunSummary{Passed: 17, Failed: 1}, VerdictFail),
		Entry("a fail among skips", RunSummary{Failed: 1, Skipped: 17}, VerdictFail),
	)
})
