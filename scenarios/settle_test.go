package scenarios_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
)

var _ = Describe("settling state", Label("settle"), func() {
	const org = "org-1"
	var (
		truth *scenarios.OrgTruth
		since time.Time
	)
	// right is the state a correct consumer holds once it has applied the
	// one delivery the truth knows of; early, what it holds before.
	right := func() probe.State {
		return probe.State{OrgID: org, Employees: []map[string]any{{"employeeId": "E1", "name": "Asha"}}, Applied: map[string]int{"r1": 1}}
	}
	early := func() probe.State {
		return probe.State{OrgID: org, Employees: []map[string]any{}, Applied: map[string]int{}}
	}
	pending := func(st probe.State, n int) probe.State { st.Pending = &n; return st }

	// probe plays a consumer whose state is early until after, then what
	// then gives, counting the reads.
	type playedProbe struct {
		reads atomic.Int32
		probe probe.Func
	}
	play := func(after time.Duration, before, then func() probe.State) *playedProbe {
		p := &playedProbe{}
		start := time.Now()
		p.probe = func(context.Context, string) (probe.State, error) {
			p.reads.Add(1)
			if time.Since(start) < after {
				return before(), nil
			}
			return then(), nil
		}
		return p
	}

	BeforeEach(func() {
		t := scenarios.NewTruth()
		Expect(t.Apply(&scenarios.Delivery{Seq: 1, Body: []byte(`{"syncSessionId":"s1","webhookCounter":1,"requestId":"r1","orgId":"` + org +
			`","event":"sync.events.employee.add","body":[{"employeeId":"E1","name":"Asha"}],"timeStamp":"2026-11-27 09:00:00"}`)})).To(Succeed())
		t.Forge(&scenarios.Delivery{Seq: 2, OrgID: org, RequestID: "forged"})
		truth = t.Org(org)
		since = time.Now()
	})

	It("judges at once from one read when the budget is 0", func() {
		p := play(time.Hour, early, right)
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since, scenarios.Settling{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Converged).To(BeFalse())
		Expect(got.Diffs).To(ContainElement(ContainSubstring("is missing employee E1")))
		Expect(got.Polls).To(Equal(1))
		Expect(got.Ended).To(Equal("judged at once"))
	})

	It("waits for a consumer that applies later, then holds the state for the quiet interval", func() {
		p := play(150*time.Millisecond, early, right)
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: 5 * time.Second, Quiet: 200 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Converged).To(BeTrue(), "%v", got.Diffs)
		Expect(got.Lag).To(BeNumerically(">=", 100*time.Millisecond), "the middle of the last two reads")
		Expect(got.Lag).To(BeNumerically("<", got.Waited))
		Expect(got.Waited).To(BeNumerically(">=", got.Lag+200*time.Millisecond), "the quiet interval was held")
		Expect(got.Ended).To(HavePrefix("quiet for"))
		Expect(got.LagAtMost).To(BeFalse(), "a read that differed came before")
		Expect(got.Polls).To(BeNumerically("<", 15), "polling backs off")
	})

	It("holds the quiet interval for at least as long as the consumer took to converge", func() {
		p := play(300*time.Millisecond, early, right)
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: 5 * time.Second, Quiet: 10 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Converged).To(BeTrue())
		Expect(got.Waited).To(BeNumerically(">=", 2*got.Lag), "quiet for the lag, not 10ms")
	})

	It("catches a forged delivery applied late, inside the quiet interval", func() {
		forged := func() probe.State {
			st := right()
			st.Applied["forged"] = 1
			return st
		}
		// right after 50ms, then the forgery applied from the queue 100ms later
		var mu sync.Mutex
		start := time.Now()
		probe := func(context.Context, string) (probe.State, error) {
			mu.Lock()
			defer mu.Unlock()
			switch d := time.Since(start); {
			case d < 50*time.Millisecond:
				return early(), nil
			case d < 150*time.Millisecond:
				return right(), nil
			}
			return forged(), nil
		}
		got, err := scenarios.Await(context.Background(), probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: 5 * time.Second, Quiet: 500 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Converged).To(BeFalse())
		Expect(got.Diffs).To(ContainElement("applied forged delivery forged (1 times), want never"))
		Expect(got.Ended).To(Equal("a difference no wait can mend"), "no need to wait out the budget")
		Expect(got.Waited).To(BeNumerically("<", time.Second))
	})

	It("ends the wait at once with a PASS when pending is 0 and the state is right", func() {
		p := play(0, right, func() probe.State { return pending(right(), 0) })
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: 5 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		Expect([]any{got.Converged, got.Polls, got.Ended}).To(Equal([]any{true, 1, "pending 0"}))
		Expect(got.LagAtMost).To(BeTrue(), "it matched at the first read: the lag is only a bound")
		Expect(scenarios.LagWords(got.Lag, got.LagAtMost)).To(HavePrefix("≤"))
	})

	It("ends the wait at once with a FAIL when pending is 0 and the state differs", func() {
		p := play(0, early, func() probe.State { return pending(early(), 0) })
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: 5 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		Expect([]any{got.Converged, got.Polls, got.Ended}).To(Equal([]any{false, 1, "pending 0"}))
		Expect(got.Lag).To(BeZero())
	})

	It("keeps waiting through an equal state while pending is above 0", func() {
		p := play(300*time.Millisecond, func() probe.State { return pending(right(), 2) }, func() probe.State { return pending(right(), 0) })
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: 5 * time.Second, Quiet: 10 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Converged).To(BeTrue())
		Expect(got.Ended).To(Equal("pending 0"))
		Expect(got.Waited).To(BeNumerically(">=", 300*time.Millisecond))
	})

	It("fails a consumer that never converges with its last difference, within a bounded number of reads", func() {
		p := play(time.Hour, early, right)
		got, err := scenarios.Await(context.Background(), p.probe, org, truth, scenarios.CompareAll, since,
			scenarios.Settling{Budget: time.Second})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Converged).To(BeFalse())
		Expect(got.Ended).To(Equal("the budget ran out"))
		Expect(got.Diffs).To(ContainElement(ContainSubstring("is missing employee E1")))
		Expect(got.Waited).To(BeNumerically(">=", time.Second))
		// 10ms growing by 30% to 300ms: 15 reads in a second, 44 in 10s.
		Expect(got.Polls).To(BeNumerically("<=", 16))
		Expect(int(p.reads.Load())).To(Equal(got.Polls))
	})

	It("stops when the context ends, with its error", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		p := play(time.Hour, early, right)
		_, err := scenarios.Await(ctx, p.probe, org, truth, scenarios.CompareAll, since, scenarios.Settling{Budget: time.Minute})
		Expect(err).To(MatchError(context.DeadlineExceeded))
	})

	It("summarises lags as a median and a maximum", func() {
		rep := &scenarios.Report{Orgs: []*scenarios.OrgReport{
			{Judged: true, Converged: true, Lag: 100 * time.Millisecond},
			{Judged: true, Converged: true, Lag: 300 * time.Millisecond},
			{Judged: true, Converged: false},
			{Judged: false},
		}}
		other := &scenarios.Report{Orgs: []*scenarios.OrgReport{{Judged: true, Converged: true, Lag: 200 * time.Millisecond}}}
		sum := scenarios.SummarizeLag(rep, other, nil)
		Expect(sum).To(Equal(scenarios.LagSummary{Orgs: 3, Median: 200 * time.Millisecond, Max: 300 * time.Millisecond}))
		Expect(sum.String()).To(Equal("median 200ms, max 300ms over 3 org(s)"))
		rep.Orgs[0].LagAtMost = true
		Expect(scenarios.SummarizeLag(rep, other).String()).To(Equal("median 200ms, max 300ms over 3 org(s); 1 at most (converged by the first read)"))
		b, err := json.Marshal(scenarios.SummarizeLag())
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(MatchJSON(`{"orgs":0,"medianNs":0,"maxNs":0}`))
	})
})
