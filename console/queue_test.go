package console

import (
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/internal/consumertest"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
)

// queueLag is how long the queue-based consumer takes to apply what it
// acknowledged: "a few hundred milliseconds later".
const queueLag = 300 * time.Millisecond

// queueConsumer serves a consumertest.Queue, built as most production
// consumers are (verify, 202 at once, apply from a queue queueLag later),
// with bug or none; its probe says how many deliveries wait (contract
// v1.1).
func queueConsumer(bug consumertest.Bug, lag time.Duration) (webhook, probe string) {
	q := consumertest.NewQueue(queueKey, lag, bug)
	q.Pending = true
	DeferCleanup(q.Close)
	srv := httptest.NewServer(q.Handler())
	DeferCleanup(srv.Close)
	return srv.URL + consumer.WebhookPath, srv.URL + consumer.ProbePath
}

// consoleFor starts a console aimed at a queue-based consumer with bug,
// which applies queueLag after it acknowledged.
func consoleFor(bug consumertest.Bug, opts ...Option) *harness {
	GinkgoHelper()
	return consoleForLag(bug, queueLag, opts...)
}

// consoleForLag is consoleFor with a queue that applies lag after it
// acknowledged.
func consoleForLag(bug consumertest.Bug, lag time.Duration, opts ...Option) *harness {
	GinkgoHelper()
	webhook, probe := queueConsumer(bug, lag)
	return start(append([]Option{Key(queueKey), Override(Patch{WebhookURL: ptr(webhook), ProbeURL: ptr(probe)})}, opts...)...)
}

// runToEnd starts req on h and waits for its end.
func runToEnd(h *harness, req RunRequest) Run {
	GinkgoHelper()
	var r Run
	Expect(h.call(http.MethodPost, "/api/console/runs", req, &r)).To(Equal(http.StatusAccepted))
	return waitRun(h, r.ID)
}

var queueKey = []byte("queue-consumer-key")

var _ = Describe("runs against a consumer that applies from a queue", Label("runs", "settle"), func() {
	It("settle as the CLI does: with its default budget, unless told", func() {
		h := start()
		Expect(h.srv.settle).To(Equal(judge.DefaultSettle))
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Scenario: "onboarding"}, &r)).To(Equal(http.StatusAccepted))
		Expect(r.Settle).To(Equal(judge.DefaultSettle))
		waitRun(h, r.ID)
		_, err := New(Addr("127.0.0.1:0"), StorePath(GinkgoT().TempDir()+"/c.db"), Settle(-time.Second))
		Expect(err).To(MatchError(ErrBadInput))
	})

	entries := []TableEntry{}
	for _, sc := range scenarios.Builtins() {
		entries = append(entries, Entry(sc.Name, sc.Name))
	}
	DescribeTable("a correct one PASSes every built-in scenario",
		func(name string) {
			r := runToEnd(consoleFor(consumertest.Correct), RunRequest{Scenario: name})
			Expect(r.State).To(Equal(RunDone), r.Error)
			Expect(r.Verdict).To(Equal("PASS"), "%v %+v", r.Problems, r.Orgs)
			for _, o := range r.Orgs {
				Expect(o.Judged).To(BeTrue(), o.Reason)
				Expect(o.Converged).To(BeTrue())
			}
		},
		entries,
	)

	It("a correct one PASSes a conformance check about state", func() {
		r := runToEnd(consoleFor(consumertest.Correct), RunRequest{Conformance: true, Checks: []string{"LIFE-SYNC", "DEL-DUPLICATE"}})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Checks).To(HaveLen(2))
		for _, c := range r.Checks {
			Expect(c.Verdict).To(Equal("PASS"), "%s: %s %v", c.ID, c.Reason, c.Details)
		}
		Expect(r.Verdict).To(Equal("PASS"))
	})

	It("a buggy one, which never applies a connection event, FAILs, naming what differs", func() {
		r := runToEnd(consoleFor(consumertest.DropsConnectionEvents), RunRequest{Scenario: "termination"})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Verdict).To(Equal("FAIL"))
		Expect(r.Orgs).To(HaveLen(1))
		Expect(r.Orgs[0].Converged).To(BeFalse())
		Expect(r.Orgs[0].Differences).To(ContainElement(And(
			HaveField("Expected", ContainSubstring("CONNECTION_TERMINATED")),
			HaveField("Delivery.Event", "connection.events.terminated"))), "the difference names the delivery that carried the value")
	})

	It("judges at once with a budget of 0, as --settle 0 does: then a correct queue is judged before it applied", func() {
		// a queue that applies an hour later: judged at once, it has applied
		// nothing however long the run took (at 300 ms, a loaded machine
		// ended the run after the queue had applied, and it PASSed)
		r := runToEnd(consoleForLag(consumertest.Correct, time.Hour, Settle(0)), RunRequest{Scenario: "onboarding"})
		Expect(r.Settle).To(BeZero())
		Expect(r.Verdict).To(Equal("FAIL"), "what the console did before it settled")
	})
})
