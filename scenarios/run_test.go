package scenarios_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

var suiteKey = []byte("scenario-suite-key")

// seen is one request as the consumer's server received it.
type seen struct {
	body []byte
	sig  string
}

// target is a reference consumer behind a recorder of every request.
type target struct {
	ref  *consumer.Consumer
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newTarget(h func(*consumer.Consumer) http.Handler) *target {
	t := &target{ref: consumer.New(suiteKey)}
	inner := h(t.ref)
	t.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		t.mu.Lock()
		t.reqs = append(t.reqs, seen{body: body, sig: r.Header.Get(sender.HeaderSignature)})
		t.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		inner.ServeHTTP(w, r)
	}))
	DeferCleanup(t.srv.Close)
	return t
}

func (t *target) requests() []seen {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]seen(nil), t.reqs...)
}

func refHandler(c *consumer.Consumer) http.Handler { return c }

func goProbe(c *consumer.Consumer) probe.Func {
	return func(_ context.Context, orgID string) (probe.State, error) { return c.State(orgID), nil }
}

func runner(t *target, opts ...scenarios.Option) *scenarios.Runner {
	s, err := sender.New(t.srv.URL, sender.Timeout(3*time.Second))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return scenarios.NewRunner(s, suiteKey, append([]scenarios.Option{
		scenarios.WithProbe(goProbe(t.ref)), scenarios.Seed(uint64(GinkgoRandomSeed())),
	}, opts...)...)
}

func parse(yaml string) *scenarios.Scenario {
	sc, err := scenarios.Parse("spec.yaml", []byte(yaml))
	Expect(err).NotTo(HaveOccurred())
	return sc
}

const eodScenario = `
name: eod-spec
orgs:
  - id: acme
    employees: 30
steps:
  - at: day 1 10:00
    initial-sync: {org: acme}
    faults:
      - {type: drop, webhooks: ["2", "3"]}
      - {type: ack-lost, webhooks: ["4"]}
  - at: day 1 14:00
    delta-sync: {org: acme, promotions: 3, leavers: 1, joiners: 2}
  - at: day 1 23:59
    eod: {}
`

var _ = Describe("an EOD retry batch", Label("scenarios", "eod"), func() {
	It("numbers its EOD steps from 1, in the report and in the log", func() {
		t := newTarget(refHandler)
		var log bytes.Buffer
		rep, err := runner(t, scenarios.Record(&log)).Run(context.Background(), parse(`
name: two-eods
orgs:
  - id: acme
    employees: 5
steps:
  - at: day 1 10:00
    initial-sync: {org: acme}
    faults: [{type: drop, webhooks: ["2"]}]
  - at: day 1 23:59
    eod: {}
  - at: day 2 10:00
    delta-sync: {org: acme, joiners: 2}
    faults: [{type: drop, webhooks: ["1"]}]
  - at: day 2 23:59
    eod: {}
`))
		Expect(err).NotTo(HaveOccurred())
		var batches []int64
		for _, d := range rep.Deliveries {
			for _, a := range d.Attempts {
				if a.Kind == deliverylog.EOD {
					batches = append(batches, a.EODBatch)
				} else {
					Expect(a.EODBatch).To(BeZero())
				}
			}
		}
		Expect(batches).To(Equal([]int64{1, 2}), "seed %d", rep.Seed)
		r := deliverylog.NewReader(&log, "log.ndjson")
		var logged []int64
		for {
			a, err := r.Next()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			if a.Kind == deliverylog.EOD {
				logged = append(logged, a.EODBatch)
			}
		}
		Expect(logged).To(Equal([]int64{1, 2}))
	})

	It("re-sends exactly the failed deliveries, byte for byte, after the newer events, with stamps hours old", func() {
		t := newTarget(refHandler)
		start := time.Now().UTC().Truncate(time.Second)
		rep, err := runner(t, scenarios.Start(start)).Run(context.Background(), parse(eodScenario))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Problems).To(BeEmpty(), "seed %d", rep.Seed)

		var failed []*scenarios.Delivery
		for _, d := range rep.Deliveries {
			if d.Fault == "drop" || d.Fault == "ack-lost" {
				failed = append(failed, d)
			}
		}
		Expect(failed).To(HaveLen(3))
		eod := rep.Steps[len(rep.Steps)-1]
		Expect(eod.Action).To(Equal("eod"))
		Expect(eod.Resent).To(Equal([]int{failed[0].Seq, failed[1].Seq, failed[2].Seq}), "only the failed ones, in order")

		reqs := t.requests()
		lastDelta := -1
		for i, r := range reqs {
			for _, d := range rep.Deliveries {
				if d.Action == "delta-sync" && bytes.Equal(r.body, d.Body) {
					lastDelta = i
				}
			}
		}
		Expect(lastDelta).To(BeNumerically(">", 0))
		for _, d := range failed {
			var at []int
			for i, r := range reqs {
				if bytes.Equal(r.body, d.Body) {
					Expect(r.sig).To(Equal(sender.Sign(suiteKey, d.Body)))
					at = append(at, i)
				}
			}
			want := 1 // dropped: sent once, at EOD
			if d.Fault == "ack-lost" {
				want = 2 // written once, then again at EOD
			}
			Expect(at).To(HaveLen(want), "delivery %d (%s)", d.Seq, d.Fault)
			Expect(at[len(at)-1]).To(BeNumerically(">", lastDelta), "the redelivery comes after the newer events")
			Expect(d.Outcome()).To(Equal(scenarios.Redelivered))

			stamp, err := time.Parse(fixtures.TimeLayout, d.TimeStamp)
			Expect(err).NotTo(HaveOccurred())
			Expect(start.Sub(stamp)).To(BeNumerically(">", 9*time.Hour), "stamped %s, run started %s", stamp, start)
		}
		Expect(rep.Orgs[0].Converged).To(BeTrue(), "%v", rep.Orgs[0].Differences)
		Expect(rep.Orgs[0].Employees).To(Equal(32))
	})
})

var _ = Describe("a run", Label("scenarios"), func() {
	It("gives byte-identical deliveries for the same seed and start", func() {
		start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		bodies := func() [][]byte {
			t := newTarget(refHandler)
			rep, err := runner(t, scenarios.Start(start), scenarios.Seed(42)).Run(context.Background(), parse(eodScenario))
			Expect(err).NotTo(HaveOccurred())
			var out [][]byte
			for _, d := range rep.Deliveries {
				out = append(out, d.Body)
			}
			return out
		}
		Expect(bodies()).To(Equal(bodies()))
	})

	It("never stamps the future: the last moment is the run's start", func() {
		t := newTarget(refHandler)
		start := time.Now().UTC().Truncate(time.Second)
		rep, err := runner(t, scenarios.Start(start)).Run(context.Background(), parse(eodScenario))
		Expect(err).NotTo(HaveOccurred())
		for _, d := range rep.Deliveries {
			stamp, err := time.Parse(fixtures.TimeLayout, d.TimeStamp)
			Expect(err).NotTo(HaveOccurred())
			Expect(stamp.After(start)).To(BeFalse())
		}
	})

	It("finds a consumer that acknowledges updates without applying them", func() {
		t := newTarget(func(c *consumer.Consumer) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if bytes.Contains(body, []byte(`"sync.events.employee.update"`)) {
					w.WriteHeader(http.StatusOK) // lost on the floor
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				c.ServeHTTP(w, r)
			})
		})
		rep, err := runner(t).Run(context.Background(), parse(eodScenario))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Passed()).To(BeFalse())
		Expect(rep.Orgs[0].Converged).To(BeFalse())
		Expect(rep.Problems).To(ContainElement(ContainSubstring("did not converge")))
	})

	It("finds a consumer that accepts forged deliveries", func() {
		t := newTarget(func(c *consumer.Consumer) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set(sender.HeaderSignature, "")
				body, _ := io.ReadAll(r.Body)
				r.Header.Set(sender.HeaderSignature, sender.Sign(suiteKey, body)) // "verifies" whatever arrives
				r.Body = io.NopCloser(bytes.NewReader(body))
				c.ServeHTTP(w, r)
			})
		})
		rep, err := runner(t).Run(context.Background(), parse(`
name: forged
orgs: [{id: a, employees: 12}]
steps:
  - initial-sync: {org: a}
  - delta-sync: {org: a, promotions: 2}
    faults: [{type: signature, signature: near-miss, webhooks: [last]}, {type: tamper, webhooks: [last]}]
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Problems).To(ContainElement(ContainSubstring("forged deliveries were not rejected")))
		Expect(rep.Problems).To(ContainElement(ContainSubstring("applied forged delivery")))
	})

	It("agrees with the reference consumer on what a delivery says, however odd: an empty status, an unknown employee event", func() {
		t := newTarget(refHandler)
		rep, err := runner(t).Run(context.Background(), parse(`
name: odd-bodies
orgs: [{id: a, employees: 12}]
steps:
  - invite: {org: a}
  - initial-sync: {org: a}
  - terminate: {org: a}
    overrides: [{set: 'body[0].status=', webhooks: [1]}]
  - realtime-sync: {org: a, promotions: 1}
    overrides: [{set: event=sync.events.employee.x, webhooks: [last]}]
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Problems).To(BeEmpty(), "seed %d", rep.Seed)
		Expect(rep.Orgs[0].Judged).To(BeTrue())
		Expect(rep.Orgs[0].Status).To(Equal("CONNECTION_INVITED"), "the empty status set nothing")
	})

	It("sends a forged copy right after its genuine webhook, even when that one is delayed", func() {
		t := newTarget(refHandler)
		rep, err := runner(t, scenarios.DryRun()).Run(context.Background(), parse(`
name: forged-delayed
orgs: [{id: a, employees: 12}]
steps:
  - initial-sync: {org: a}
  - delta-sync: {org: a, promotions: 3}
    faults: [{type: delay, delay: 1m, webhooks: [1]}, {type: signature, signature: wrong-key, webhooks: [1]}]
`))
		Expect(err).NotTo(HaveOccurred())
		forged := slices.IndexFunc(rep.Deliveries, func(d *scenarios.Delivery) bool { return d.Forged })
		Expect(forged).To(BeNumerically(">", 0))
		genuine := rep.Deliveries[forged-1]
		Expect(genuine.Forged).To(BeFalse())
		Expect(genuine.Fault).To(Equal("delay"))
		copyOf := rep.Deliveries[forged]
		Expect([]any{genuine.SyncSessionID, genuine.WebhookCounter, genuine.TimeStamp}).To(Equal([]any{copyOf.SyncSessionID, copyOf.WebhookCounter, copyOf.TimeStamp}))
	})

	It("forges a connection event with the status an attacker wants, so that applying it shows in connectionStatus", func() {
		t := newTarget(refHandler)
		rep, err := runner(t, scenarios.DryRun()).Run(context.Background(), parse(`
name: forged-connection
orgs: [{id: a, employees: 3}]
steps:
  - invite: {org: a}
    faults: [{type: tamper}]
  - terminate: {org: a}
    faults: [{type: signature, signature: missing}]
`))
		Expect(err).NotTo(HaveOccurred())
		var statuses []string
		for _, d := range rep.Deliveries {
			ef, err := wire.ParseEffect(d.Body)
			Expect(err).NotTo(HaveOccurred())
			statuses = append(statuses, fmt.Sprintf("%t %s", d.Forged, ef.Status))
		}
		Expect(statuses).To(Equal([]string{"false CONNECTION_INVITED", "true CONNECTION_TERMINATED", "false CONNECTION_TERMINATED", "true CONNECTION_INVITED"}))
	})

	It("says state was not judged without a probe, and does not call that a failure", func() {
		t := newTarget(refHandler)
		s, err := sender.New(t.srv.URL)
		Expect(err).NotTo(HaveOccurred())
		rep, err := scenarios.NewRunner(s, suiteKey).Run(context.Background(), parse(eodScenario))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Orgs[0].Judged).To(BeFalse())
		Expect(rep.Orgs[0].Reason).To(Equal("no state probe"))
		Expect(rep.Passed()).To(BeTrue())
	})
})

var _ = Describe("the built-in catalogue", Label("scenarios", "registry"), func() {
	for _, sc := range scenarios.Builtins() {
		It("plays "+sc.Name+" green against the reference consumer", func() {
			t := newTarget(refHandler)
			rep, err := runner(t).Run(context.Background(), sc)
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Problems).To(BeEmpty(), "seed %d", rep.Seed)
			for _, o := range rep.Orgs {
				Expect(o.Judged).To(BeTrue())
				Expect(o.Converged).To(BeTrue(), "%s: %v", o.ID, o.Differences)
			}
			Expect(rep.Counts()[scenarios.Pending]).To(BeZero(), "every failure reached an EOD batch")
		})
	}
})
