package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("a run's summary", Label("report"), func() {
	pass := result("SIG-VALID", conformance.Pass, "")
	skip := result("SIG-EMPTY", conformance.Skip, "needs a state probe")
	fail := result("DEL-STALE", conformance.Fail, "the older update won")
	faulty := skip
	faulty.ProbeFault = "the state probe is at fault, not the consumer's handling: pending is \"soon\""

	DescribeTable("passes only when something was judged, nothing failed, Run had no error and no probe was at fault",
		func(s conformance.Summary, want bool) {
			Expect(s.Passed()).To(Equal(want))
		},
		Entry("a pass and a skip", conformance.Summary{Results: []conformance.Result{pass, skip}}, true),
		Entry("a failure", conformance.Summary{Results: []conformance.Result{pass, fail}}, false),
		Entry("every check skipped", conformance.Summary{Results: []conformance.Result{skip}}, false),
		Entry("no result", conformance.Summary{}, false),
		Entry("an error", conformance.Summary{Results: []conformance.Result{pass}, Err: &conformance.UnreachableError{Why: "connection refused"}}, false),
		Entry("a probe at fault", conformance.Summary{Results: []conformance.Result{pass, faulty}}, false),
	)

	It("names the first probe at fault", func() {
		Expect(conformance.ProbeFault([]conformance.Result{pass, faulty, faulty})).To(Equal(faulty.ProbeFault))
		Expect(conformance.ProbeFault([]conformance.Result{pass, skip})).To(BeEmpty())
	})
})

var _ = Describe("the reporters", Label("report"), func() {
	run := conformance.RunInfo{Checks: 2, Target: "the built-in reference consumer", Probe: "built-in", Parallel: 4,
		Timeout: 10 * time.Second, Settle: 10 * time.Second, Seed: 11}

	// play runs SIG-VALID and LIFE-CONNECTION against the reference
	// consumer with report told as the results come.
	play := func(report conformance.Reporter) conformance.Summary {
		ref := consumer.New([]byte(appKey))
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		report.Begin(run)
		began := time.Now()
		res, err := conformance.Run(context.Background(), conformance.Target{
			URL: srv.URL + consumer.WebhookPath, Key: []byte(appKey), Seed: run.Seed,
			Probe: func(_ context.Context, org string) (probe.State, error) { return ref.State(org), nil },
		}, conformance.Options{Keep: func(c conformance.Check) bool { return c.ID == "SIG-VALID" || c.ID == "LIFE-CONNECTION" }, OnResult: report.Result})
		return conformance.Summary{Results: res, Elapsed: time.Since(began), Err: err}
	}

	It("writes the text as the results come: a heading, a line per check in catalogue order, the summary", func() {
		var out bytes.Buffer
		report := conformance.NewTextReporter(&out)
		s := play(report)
		Expect(report.End(run, s)).To(Succeed())
		lines := strings.Split(out.String(), "\n")
		Expect(lines[0]).To(Equal("tartansim conformance: 2 check(s) against the built-in reference consumer, 4 at once"))
		Expect(lines[1]).To(Equal("probe: built-in; ack budget 10s; settle up to 10s; seed 11"))
		Expect(lines[4]).To(MatchRegexp(`^  PASS  SIG-VALID        signature  .* \(\d+(\.\d+)?m?s, lag ≤?\S+\)$`))
		Expect(lines[5]).To(MatchRegexp(`^  PASS  LIFE-CONNECTION  lifecycle  .* \(\d+(\.\d+)?m?s, lag ≤?\S+\)$`))
		Expect(out.String()).To(MatchRegexp(`\n2 check\(s\): 2 passed, 0 failed, 0 skipped in \S+ \(seed 11\)\nprocessing lag \(last acknowledgement to converged state\): median \S+, max \S+ over 2 org\(s\)`))
	})

	It("writes the JSON once, at the end, as a RunReport with the summary's outcome", func() {
		var out bytes.Buffer
		report := conformance.NewJSONReporter(&out)
		s := play(report)
		Expect(out.Len()).To(BeZero(), "nothing before the end")
		Expect(report.End(run, s)).To(Succeed())
		var got conformance.RunReport
		Expect(json.Unmarshal(out.Bytes(), &got)).To(Succeed())
		Expect(got.Passed).To(BeTrue())
		Expect(got.Summary).To(Equal(judge.Tally{Passed: 2}))
		Expect(got.Probe).To(Equal("built-in"))
		Expect(got.Settle).To(Equal("10s"))
		Expect(got.Lag.Orgs).To(Equal(2))
		Expect(got.Results).To(HaveLen(2))
		Expect(got.Results[1].ID).To(Equal("LIFE-CONNECTION"))
	})

	It("says in the JSON that a run without a probe has none, and never passes one that judged nothing", func() {
		var out bytes.Buffer
		skipped := conformance.Summary{Results: []conformance.Result{result("SIG-EMPTY", conformance.Skip, "needs a state probe")}}
		Expect(conformance.WriteJSON(&out, conformance.RunInfo{}, skipped)).To(Succeed())
		var got conformance.RunReport
		Expect(json.Unmarshal(out.Bytes(), &got)).To(Succeed())
		Expect(got.Probe).To(Equal("none: checks that need state will be SKIP"))
		Expect(got.Passed).To(BeFalse())
		Expect(got.Summary.Outcome()).To(Equal(judge.NothingJudged))
	})

	It("returns the first write that failed, at the end", func() {
		full := errors.New("no space left on device")
		report := conformance.NewTextReporter(failingWriter{full})
		report.Begin(run)
		report.Result(result("SIG-VALID", conformance.Pass, ""))
		Expect(report.End(run, conformance.Summary{})).To(MatchError(full))
	})
})

// failingWriter is a writer on a full disk.
type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
