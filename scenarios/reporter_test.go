package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// calls records what a reporter was told, in order.
type calls struct{ got []string }

func (c *calls) Begin(scenarios.RunInfo)         { c.got = append(c.got, "begin") }
func (c *calls) Scenario(sc *scenarios.Scenario) { c.got = append(c.got, "scenario "+sc.Name) }
func (c *calls) Step(rep *scenarios.Report, s *scenarios.StepReport) {
	c.got = append(c.got, "step "+rep.Scenario+" "+s.Action)
}
func (c *calls) Played(rep *scenarios.Report) { c.got = append(c.got, "played "+rep.Scenario) }
func (c *calls) End(scenarios.RunInfo, []*scenarios.Report) error {
	c.got = append(c.got, "end")
	return nil
}

const smallScenario = `
name: %s
orgs:
  - id: acme
    employees: 3
steps:
  - at: day 1 10:00
    invite: {org: acme}
  - at: day 1 23:59
    eod: {}
`

func named(name string) *scenarios.Scenario {
	return parse(strings.Replace(smallScenario, "%s", name, 1))
}

var _ = Describe("RunAll", Label("scenarios", "report"), func() {
	It("plays every scenario in order and tells the reporter of each as it goes", func() {
		t := newTarget(refHandler)
		var rep calls
		reports, err := runner(t).RunAll(context.Background(), []*scenarios.Scenario{named("one"), named("two")}, &rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(reports).To(HaveLen(2))
		Expect(reports[0].Scenario).To(Equal("one"))
		Expect(reports[1].Scenario).To(Equal("two"))
		Expect(rep.got).To(Equal([]string{
			"scenario one", "step one invite", "step one eod", "played one",
			"scenario two", "step two invite", "step two eod", "played two",
		}), "Begin and End are the caller's to call")
	})

	It("stops at a scenario that reached the consumer not at all: no later verdict would mean anything", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := ln.Addr().String()
		Expect(ln.Close()).To(Succeed()) // nobody listens there now
		s, err := sender.New("http://"+addr+"/webhook", sender.Timeout(time.Second))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		var rep calls
		reports, err := scenarios.NewRunner(s, suiteKey).RunAll(context.Background(), []*scenarios.Scenario{named("one"), named("two")}, &rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(reports).To(HaveLen(1))
		Expect(reports[0].Unreachable()).To(BeTrue())
		Expect(reports[0].FirstFailure()).To(ContainSubstring("refused"))
		Expect(rep.got).NotTo(ContainElement("scenario two"))
	})

	It("stops at the scenario an interrupt cut short, and reports it as interrupted", func() {
		t := newTarget(refHandler)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var rep calls
		r := runner(t, scenarios.OnStep(func(*scenarios.Report, *scenarios.StepReport) { cancel() }))
		reports, err := r.RunAll(ctx, []*scenarios.Scenario{named("one"), named("two")}, &rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(reports).To(HaveLen(1))
		Expect(reports[0].Interrupted).To(BeTrue())
		Expect(rep.got).To(Equal([]string{"scenario one", "step one invite", "played one"}))
	})

	It("returns the error of a scenario that cannot be played, with the reports before it", func() {
		t := newTarget(refHandler)
		bad := &scenarios.Scenario{Name: "bad"} // no orgs, no steps: Validate refuses it
		reports, err := runner(t).RunAll(context.Background(), []*scenarios.Scenario{named("one"), bad, named("two")}, nil)
		Expect(err).To(MatchError(scenarios.ErrInvalid))
		Expect(reports).To(HaveLen(1))
	})
})

var _ = Describe("the JSON reporter", Label("scenarios", "report"), func() {
	run := scenarios.RunInfo{Scenarios: 1, Target: "the built-in reference consumer", Seed: 7, Start: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}

	It("writes nothing until the end, then one RunReport that a program decodes", func() {
		t := newTarget(refHandler)
		var out bytes.Buffer
		rep := scenarios.NewJSONReporter(&out)
		rep.Begin(run)
		reports, err := runner(t).RunAll(context.Background(), []*scenarios.Scenario{named("one")}, rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(out.Len()).To(BeZero())
		Expect(rep.End(run, reports)).To(Succeed())

		var got scenarios.RunReport
		Expect(json.Unmarshal(out.Bytes(), &got)).To(Succeed())
		Expect(got.Passed).To(BeTrue())
		Expect(got.Seed).To(Equal(uint64(7)))
		Expect(got.Start).To(Equal("2026-03-01T10:00:00Z"))
		Expect(got.Target).To(Equal(run.Target))
		Expect(got.Summary.Passed).To(Equal(1))
		Expect(got.Lag.Orgs).To(Equal(1), "the org converged")
		Expect(got.Scenarios).To(HaveLen(1))
		Expect(got.Scenarios[0].Orgs[0].Converged).To(BeTrue())
	})

	It("never says passed for a run that judged nothing", func() {
		t := newTarget(refHandler)
		var out bytes.Buffer
		reports, err := runner(t, scenarios.Subscribe(fixtures.Subscribe())).RunAll(context.Background(), []*scenarios.Scenario{named("one")}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(scenarios.WriteJSON(&out, run, reports)).To(Succeed())
		var got scenarios.RunReport
		Expect(json.Unmarshal(out.Bytes(), &got)).To(Succeed())
		Expect(got.Passed).To(BeFalse())
		Expect(got.Summary.Outcome()).To(Equal(judge.NothingJudged))
		Expect(got.Summary.Skipped).To(Equal(1))
		Expect(got.Lag.Orgs).To(BeZero(), "a scenario that sent nothing has no lag to count")
	})
})

var _ = Describe("the text reporter", Label("scenarios", "report"), func() {
	run := scenarios.RunInfo{Scenarios: 1, Target: "the built-in reference consumer", Seed: 7, Start: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}

	It("writes the verdict on an org in judge.Verdict's words, the one renderer", func() {
		v := judge.Verdict{Judged: true, Ended: judge.NoMending, Waited: 120 * time.Millisecond}
		for i := range scenarios.MaxDifferences + 3 {
			v.Differences = append(v.Differences, judge.Difference{Kind: judge.MissingEmployee, Employee: "E-" + string(rune('a'+i)), Expected: "Asha"})
		}
		rep := &scenarios.Report{Scenario: "one", Steps: []*scenarios.StepReport{{Sent: 1}},
			Orgs: []*scenarios.OrgReport{{ID: "acme", Verdict: v}}, Problems: []string{"org acme did not converge"}}
		var out bytes.Buffer
		scenarios.NewTextReporter(&out).Played(rep)

		want := "  state: acme DIVERGED from the truth" + v.How() + ":\n"
		for _, l := range v.Lines(scenarios.MaxDifferences) {
			want += "    - " + l + "\n"
		}
		Expect(out.String()).To(HavePrefix(want))
		Expect(out.String()).To(ContainSubstring("    - and 3 more difference(s)\n"))
		Expect(out.String()).To(ContainSubstring("  FAIL  0 deliveries"))
	})

	It("says SKIP, not PASS, for a scenario that sent nothing, and counts it in the summary", func() {
		t := newTarget(refHandler)
		var out bytes.Buffer
		rep := scenarios.NewTextReporter(&out)
		rep.Begin(run)
		reports, err := runner(t, scenarios.Subscribe(fixtures.Subscribe())).RunAll(context.Background(), []*scenarios.Scenario{named("one")}, rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.End(run, reports)).To(Succeed())
		Expect(out.String()).To(ContainSubstring("  SKIP  sent nothing: the subscription leaves out all 1 webhooks it makes ("))
		Expect(out.String()).To(ContainSubstring("1 scenario(s): 0 passed, 0 failed, 1 skipped; 0 deliveries\n"))
		Expect(out.String()).NotTo(ContainSubstring("PASS"))
	})

	It("returns the first write that failed, at the end, and writes nothing after it", func() {
		w := &fullDisk{room: 1}
		rep := scenarios.NewTextReporter(w)
		rep.Begin(run)
		rep.Scenario(named("one"))
		err := rep.End(run, nil)
		Expect(err).To(MatchError(errNoSpace))
		Expect(w.writes).To(Equal(2), "the write that failed, and none after it")
	})
})

var errNoSpace = errors.New("no space left on device")

// fullDisk is a writer whose writes fail once room of them have been made.
type fullDisk struct{ room, writes int }

func (f *fullDisk) Write(p []byte) (int, error) {
	f.writes++
	if f.writes > f.room {
		return 0, errNoSpace
	}
	return len(p), nil
}
