package scenarios_test

import (
	"os"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// A report of one scenario, written as tartansim run writes it: one org
// converged after the EOD batch re-sent what was dropped, the other lost
// a promotion.
func ExampleTextReporter() {
	sc, err := scenarios.Parse("two-orgs.yaml", []byte(`name: two-orgs
orgs:
  - {id: acme, employees: 8}
  - {id: zeta, employees: 3}
steps:
  - at: day 1 10:00
    initial-sync: {org: acme}
    faults: [{type: drop, webhooks: [2]}]
  - at: day 1 23:59
    eod: {}
`))
	if err != nil {
		panic(err)
	}
	sync, eod := moment("day 1 10:00"), moment("day 1 23:59")
	ok := sender.Result{Status: 200, Latency: 2 * time.Millisecond}
	dropped := sender.Result{Class: sender.ClassDropped}
	rep := &scenarios.Report{
		Scenario: sc.Name,
		Base:     time.Date(2026, 2, 28, 18, 30, 0, 0, time.UTC), // day 1 00:00 IST
		Steps: []*scenarios.StepReport{
			{Index: 1, At: sync, Action: "initial-sync", Org: "acme", Webhooks: 2, Sent: 1, OK: 1, Failed: 1, Faults: []string{"drop"}},
			{Index: 2, At: eod, Action: "eod", Webhooks: 1, Sent: 1, OK: 1, Resent: []int{2}},
		},
		Deliveries: []*scenarios.Delivery{
			{Seq: 1, Step: 1, Event: "sync.events.initiated", WebhookCounter: 1, RequestID: "r-1", TimeStamp: "2026-03-01 04:30:00",
				Attempts: []scenarios.Attempt{{Kind: deliverylog.First, At: sync, Result: ok}}},
			{Seq: 2, Step: 1, Event: "sync.events.employee.add", WebhookCounter: 2, RequestID: "r-2", TimeStamp: "2026-03-01 04:30:00", Fault: "drop",
				Attempts: []scenarios.Attempt{{Kind: deliverylog.First, At: sync, Result: dropped}, {Kind: deliverylog.EOD, At: eod, Result: ok}}},
		},
		Orgs: []*scenarios.OrgReport{
			{ID: "acme", Employees: 8, Status: "CONNECTION_INVITED", Verdict: judge.Verdict{Judged: true, Converged: true, Lag: 3 * time.Millisecond}},
			{ID: "zeta", Employees: 3, Status: "CONNECTION_INVITED", Verdict: judge.Verdict{Judged: true, Ended: judge.BudgetRanOut, Budget: 10 * time.Second,
				Differences: []judge.Difference{{Kind: judge.FieldDiffers, Employee: "E-7", Field: "designation", Expected: `"Manager"`, Held: `"Analyst"`}}}},
		},
		Problems: []string{"org zeta did not converge to the truth (after the 10s settle budget)"},
		Elapsed:  41 * time.Millisecond,
	}
	run := scenarios.RunInfo{Scenarios: 1, Target: "http://127.0.0.1:8080/webhook", Seed: 7, Start: time.Date(2026, 3, 1, 18, 29, 0, 0, time.UTC),
		Reproduce: "tartansim run two-orgs.yaml --seed 7 --at 2026-03-01T18:29:00Z"}

	r := scenarios.NewTextReporter(os.Stdout)
	r.Verbose = true
	r.Begin(run)
	r.Scenario(sc)
	for _, s := range rep.Steps {
		r.Step(rep, s)
	}
	r.Played(rep)
	if err := r.End(run, []*scenarios.Report{rep}); err != nil {
		panic(err)
	}
	// Output:
	// tartansim run: 1 scenario(s) against http://127.0.0.1:8080/webhook
	// seed 7, last moment 2026-03-01T18:29:00Z (scenario clock: IST; EOD 23:59)
	//
	// == two-orgs (2 org(s))
	//   day 1 10:00:00  initial-sync acme        2 webhooks: 1 ok, 1 failed  [drop]
	//       #1    first     sync.events.initiated #1 r-1 -> 200 OK in 2ms
	//       #2    first     sync.events.employee.add #2 r-2 [drop] -> dropped (nothing sent)
	//   day 1 23:59:00  eod                    re-sent 1 failed delivery, identical bytes: 1 ok, 0 failed; the oldest stamped 13h59m earlier
	//       #2    eod       sync.events.employee.add #2 r-2 [drop] -> 200 OK in 2ms
	//   state: acme converged: 8 employees, connection CONNECTION_INVITED (lag 3ms)
	//   state: zeta DIVERGED from the truth (after the 10s settle budget):
	//     - employee E-7 has designation="Analyst", want "Manager"
	//   FAIL  2 deliveries: 1 acknowledged, 1 redelivered at EOD, 0 failed for good, 0 forged rejected (41ms)
	//   problem: org zeta did not converge to the truth (after the 10s settle budget)
	//
	// 1 scenario(s): 0 passed, 1 failed, 0 skipped; 2 deliveries
	// processing lag (last acknowledgement to converged state): median 3ms, max 3ms over 1 org(s)
	// reproduce: tartansim run two-orgs.yaml --seed 7 --at 2026-03-01T18:29:00Z
}

// moment reads a time on the scenario clock.
func moment(s string) scenarios.Moment {
	m, err := scenarios.ParseAt(s, 0)
	if err != nil {
		panic(err)
	}
	return m
}
