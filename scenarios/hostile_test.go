package scenarios_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/internal/hostile"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/scenarios/scenariotest"
	"github.com/tartansim/tartansim/sender"
)

// hostileScenario is an invite and an initial sync of 15 (initiated and two
// batches), then the EOD batch: four deliveries, sent one after another, so
// that the consumer's third request is delivery 3, the first batch.
const hostileScenario = `
name: hostile
orgs: [{id: corp, employees: 15}]
steps:
  - at: day 1 09:30
    invite: {org: corp}
  - at: day 1 10:00
    initial-sync: {org: corp}
  - at: day 1 23:59
    eod: {}
`

// hostileParallel is the same with the deliveries of a step sent at once,
// so that a consumer that never answers costs three timeouts, not eight.
const hostileParallel = `
name: hostile-parallel
orgs: [{id: corp, employees: 15}]
steps:
  - at: day 1 09:30
    invite: {org: corp}
  - at: day 1 10:00
    initial-sync: {org: corp}
    concurrency: 3
  - at: day 1 23:59
    eod: {concurrency: 4}
`

// The runner's per-delivery timeout against hostile consumers, and how long
// a whole run may take: the scenario's attempts are bounded by it.
const (
	hostileTimeout = 300 * time.Millisecond
	hostileRun     = 4 * time.Second
)

var hostileSpec = SpecTimeout(10 * time.Second)

// hostileRun plays yaml against c, with the reference consumer ref behind
// it as the probe, and checks that the run finished in time with balanced
// accounts, its record included.
func playHostile(ctx context.Context, c *hostile.Consumer, ref *consumer.Consumer, yaml string) *scenarios.Report {
	GinkgoHelper()
	var tlsConfig *tls.Config
	if pool := c.RootCAs(); pool != nil {
		tlsConfig = &tls.Config{RootCAs: pool}
	}
	s, err := sender.New(c.URL, sender.Timeout(hostileTimeout), sender.TLSConfig(tlsConfig))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	var record syncBuffer
	r := scenarios.NewRunner(s, suiteKey, scenarios.WithProbe(goProbe(ref)), scenarios.Record(&record),
		scenarios.Seed(uint64(GinkgoRandomSeed())), scenarios.Start(time.Date(2026, 11, 27, 18, 30, 0, 0, time.UTC)))

	began := time.Now()
	rep, err := r.Run(ctx, parse(yaml))
	Expect(err).NotTo(HaveOccurred())
	Expect(time.Since(began)).To(BeNumerically("<", hostileRun), "a run against a consumer that %s", c)
	Expect(rep.Interrupted).To(BeFalse())
	Expect(scenariotest.Accounts(rep)).To(Succeed())
	Expect(scenariotest.RecordMatches(rep, record.Bytes())).To(Succeed())
	return rep
}

// syncBuffer is a bytes.Buffer safe for the runner's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func startHostile(b hostile.Behaviour, ref *consumer.Consumer, opts ...hostile.Option) *hostile.Consumer {
	c := hostile.Start(b, append([]hostile.Option{hostile.Healthy(ref)}, opts...)...)
	DeferCleanup(c.Close)
	return c
}

var _ = Describe("a scenario against a hostile consumer", Label("scenarios", "hostile"), func() {
	DescribeTable("fails the delivery it meets, re-sends it at EOD, and balances its accounts",
		func(ctx SpecContext, b hostile.Behaviour, class sender.ErrorClass) {
			ref := consumer.New(suiteKey)
			c := startHostile(b, ref, hostile.Only(3))
			rep := playHostile(ctx, c, ref, hostileScenario)

			Expect(rep.Deliveries).To(HaveLen(4))
			d := rep.Deliveries[2]
			first := d.Attempts[0]
			Expect(first.Result.Class).To(Equal(class), "%s: %s", b, first.Result.Summary())
			Expect(first.Result.Failed()).To(BeTrue())
			Expect(first.Error).NotTo(BeEmpty())

			eod := rep.Steps[len(rep.Steps)-1]
			Expect(eod.Resent).To(Equal([]int{d.Seq}), "only the delivery the consumer failed")
			Expect(d.Outcome()).To(Equal(scenarios.Redelivered))
			Expect(rep.Counts()).To(Equal(map[scenarios.Outcome]int{scenarios.Acknowledged: 3, scenarios.Redelivered: 1}))
			Expect(c.Requests()).To(Equal(5), "four first sends and one EOD re-send: nothing else re-sent")

			Expect(rep.Problems).To(ConsistOf(ContainSubstring("1 valid deliveries were not acknowledged when first sent, e.g. delivery 3")))
			Expect(rep.Orgs[0].Converged).To(BeTrue(), "the EOD re-send reached the reference consumer: %v", rep.Orgs[0].Differences)
		},
		Entry("resets the connection", hostile.Reset, sender.ClassReset, hostileSpec),
		Entry("never answers", hostile.Silent, sender.ClassTimeout, hostileSpec),
		Entry("answers headers, then stalls the body (after applying)", hostile.StallBody, sender.ClassTimeout, hostileSpec),
		Entry("trickles the headers", hostile.TrickleHeaders, sender.ClassTimeout, hostileSpec),
		Entry("trickles the body (after applying)", hostile.TrickleBody, sender.ClassTimeout, hostileSpec),
		Entry("closes in the middle of the headers", hostile.CloseMidHeaders, sender.ClassReset, hostileSpec),
		Entry("closes in the middle of the body (after applying)", hostile.CloseMidBody, sender.ClassReset, hostileSpec),
		Entry("answers HTTP/2 frames", hostile.H2Frames, sender.ClassOther, hostileSpec),
		Entry("answers 500 with a 1 GiB body", hostile.HugeBody(500), sender.ClassStatus, hostileSpec),
		Entry("redirects with 301", hostile.Redirect(301, "/elsewhere"), sender.ClassRedirect, hostileSpec),
		Entry("redirects with 307 to another host", hostile.Redirect(307, "http://localhost:1/webhook"), sender.ClassRedirect, hostileSpec),
		Entry("answers 429 with Retry-After", hostile.RetryAfter(429, "1"), sender.ClassStatus, hostileSpec),
		Entry("answers 503 with Retry-After", hostile.RetryAfter(503, "120"), sender.ClassStatus, hostileSpec),
		Entry("answers 502 with an HTML page", hostile.NonJSON(502), sender.ClassStatus, hostileSpec),
	)

	DescribeTable("acknowledges a 2xx whatever its body, with nothing to re-send",
		func(ctx SpecContext, b hostile.Behaviour) {
			ref := consumer.New(suiteKey)
			c := startHostile(b, ref, hostile.Only(3))
			rep := playHostile(ctx, c, ref, hostileScenario)

			Expect(rep.Deliveries[2].Outcome()).To(Equal(scenarios.Acknowledged))
			Expect(rep.Counts()).To(Equal(map[scenarios.Outcome]int{scenarios.Acknowledged: 4}))
			Expect(rep.Steps[len(rep.Steps)-1].Resent).To(BeEmpty())
			Expect(rep.Passed()).To(BeTrue(), "%v", rep.Problems)
		},
		Entry("200 with a 1 GiB body", hostile.HugeBody(200), hostileSpec),
		Entry("200 with an endless body", hostile.EndlessBody(200), hostileSpec),
		Entry("200 with an HTML page", hostile.NonJSON(200), hostileSpec),
	)

	DescribeTable("fails every delivery for good when the consumer never recovers, and still balances",
		func(ctx SpecContext, b hostile.Behaviour, class sender.ErrorClass) {
			ref := consumer.New(suiteKey)
			c := startHostile(b, ref)
			rep := playHostile(ctx, c, ref, hostileParallel)

			Expect(rep.Deliveries).To(HaveLen(4))
			Expect(rep.Steps[len(rep.Steps)-1].Resent).To(ConsistOf(1, 2, 3, 4))
			for _, d := range rep.Deliveries {
				Expect(d.Attempts).To(HaveLen(2))
				for _, a := range d.Attempts {
					Expect(a.Result.Class).To(Equal(class), "delivery %d %s: %s", d.Seq, a.Kind, a.Result.Summary())
				}
			}
			Expect(rep.Counts()).To(Equal(map[scenarios.Outcome]int{scenarios.FailedForGood: 4}))
			Expect(rep.Problems).To(ContainElement(ContainSubstring("4 deliveries failed for good, even when the EOD batch re-sent them")))
			Expect(rep.Passed()).To(BeFalse())
		},
		Entry("accepts and never reads", hostile.BlackHole, sender.ClassTimeout, hostileSpec),
		Entry("never answers", hostile.Silent, sender.ClassTimeout, hostileSpec),
		Entry("trickles the headers", hostile.TrickleHeaders, sender.ClassTimeout, hostileSpec),
		Entry("resets the connection", hostile.Reset, sender.ClassReset, hostileSpec),
		Entry("speaks only h2c", hostile.H2C, sender.ClassReset, hostileSpec),
		Entry("requires h2 in TLS ALPN", hostile.H2TLS, sender.ClassTLS, hostileSpec),
		Entry("redirects with 307", hostile.Redirect(307, "/elsewhere"), sender.ClassRedirect, hostileSpec),
		Entry("answers 503 with Retry-After", hostile.RetryAfter(503, "1"), sender.ClassStatus, hostileSpec),
	)

	It("balances its accounts across every built-in scenario against a consumer that fails one request in three", func(ctx SpecContext) {
		ref := consumer.New(suiteKey)
		var only []int
		for n := 1; n < 2000; n += 3 {
			only = append(only, n)
		}
		for _, sc := range scenarios.Builtins() {
			c := startHostile(hostile.RetryAfter(http.StatusServiceUnavailable, "1"), ref, hostile.Only(only...))
			s, err := sender.New(c.URL, sender.Timeout(2*time.Second))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(s.Close)
			var record syncBuffer
			rep, err := scenarios.NewRunner(s, suiteKey, scenarios.Record(&record), scenarios.Seed(uint64(GinkgoRandomSeed()))).Run(ctx, sc)
			Expect(err).NotTo(HaveOccurred(), sc.Name)
			Expect(scenariotest.Accounts(rep)).To(Succeed(), sc.Name)
			Expect(scenariotest.RecordMatches(rep, record.Bytes())).To(Succeed(), sc.Name)
		}
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("an interrupted scenario", Label("scenarios", "hostile", "interrupt"), func() {
	It("balances its accounts wherever the interrupt falls, and never judges a forgery it did not finish sending", func(ctx SpecContext) {
		for _, sc := range scenarios.Builtins() {
			for _, at := range []int{1, 3, 5, 8, 13, 21} {
				ref := consumer.New(suiteKey)
				run, cancel := context.WithCancel(ctx)
				var n atomic.Int64
				t := newTarget(func(*consumer.Consumer) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						ref.ServeHTTP(w, r)
						if n.Add(1) == int64(at) {
							cancel() // the answer may or may not get out
						}
					})
				})
				s, err := sender.New(t.srv.URL, sender.Timeout(2*time.Second))
				Expect(err).NotTo(HaveOccurred())
				var record syncBuffer
				rep, err := scenarios.NewRunner(s, suiteKey, scenarios.Record(&record), scenarios.Seed(uint64(GinkgoRandomSeed()))).Run(run, sc)
				cancel()
				s.Close()
				Expect(err).NotTo(HaveOccurred())
				where := fmt.Sprintf("%s interrupted after request %d", sc.Name, at)
				if int(n.Load()) < at {
					Expect(rep.Interrupted).To(BeFalse(), where)
					continue // the scenario has fewer requests
				}
				Expect(rep.Interrupted).To(BeTrue(), where)
				Expect(rep.Problems).To(BeEmpty(), "an interrupted run is not judged: %s", where)
				Expect(scenariotest.Accounts(rep)).To(Succeed(), where)
				Expect(scenariotest.RecordMatches(rep, record.Bytes())).To(Succeed(), where)
				for _, d := range rep.Deliveries {
					if len(d.Attempts) == 0 {
						Expect(d.Outcome()).To(Equal(scenarios.Pending), "delivery %d, never sent: %s", d.Seq, where)
					}
				}
			}
		}
	}, SpecTimeout(30*time.Second))
})
