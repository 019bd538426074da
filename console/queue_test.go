package console

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// queueConsumer is built as most production consumers are: it verifies the
// signature, answers 202 at once and applies the delivery from a queue a
// few hundred milliseconds later, through the reference consumer (which
// keeps the newest stamp and applies each requestId once). Its probe says
// how many deliveries wait (contract v1.1). Such a consumer is correct;
// with skip set, its worker never applies that event, and says nothing: a
// bug.
type queueConsumer struct {
	key  []byte
	ref  *consumer.Consumer
	skip string
	srv  *httptest.Server

	mu      sync.Mutex // the queue's count and the state, read together
	rng     *rand.Rand
	waiting map[string]int // orgId → accepted, not applied yet
}

// queueLag is how long a delivery waits in the queue: 200 to 400ms.
const (
	queueLagMin  = 200 * time.Millisecond
	queueLagSpan = 200 * time.Millisecond
)

func newQueueConsumer(key []byte, skip string) *queueConsumer {
	q := &queueConsumer{key: key, ref: consumer.New(key), skip: skip,
		rng: rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 3)), waiting: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", q.webhook)
	mux.HandleFunc("GET /probe", q.probe)
	q.srv = httptest.NewServer(mux)
	DeferCleanup(q.srv.Close)
	return q
}

func (q *queueConsumer) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if sender.Verify(q.key, body, r.Header.Get(sender.HeaderSignature)) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	env := readEnvelope(body)
	if env.RequestID == "" || env.OrgID == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	header := r.Header.Clone()
	q.mu.Lock()
	q.waiting[env.OrgID]++
	lag := queueLagMin + time.Duration(q.rng.Int64N(int64(queueLagSpan)))
	q.mu.Unlock()
	time.AfterFunc(lag, func() {
		// Applied and counted off at once: a probe never sees the count
		// of one moment with the state of another.
		q.mu.Lock()
		defer q.mu.Unlock()
		if env.Event != q.skip {
			req := httptest.NewRequest(http.MethodPost, consumer.WebhookPath, bytes.NewReader(body))
			req.Header = header
			q.ref.ServeHTTP(httptest.NewRecorder(), req)
		}
		q.waiting[env.OrgID]--
	})
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"queued"}`))
}

func (q *queueConsumer) probe(w http.ResponseWriter, r *http.Request) {
	org := r.URL.Query().Get("orgId")
	q.mu.Lock()
	st := q.ref.State(org)
	n := q.waiting[org]
	q.mu.Unlock()
	st.Pending = &n
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// consoleFor starts a console aimed at q, with its probe.
func consoleFor(q *queueConsumer, opts ...Option) *harness {
	GinkgoHelper()
	return start(append([]Option{Key(q.key), Override(Patch{WebhookURL: ptr(q.srv.URL + "/webhook"), ProbeURL: ptr(q.srv.URL + "/probe")})}, opts...)...)
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
			q := newQueueConsumer(queueKey, "")
			r := runToEnd(consoleFor(q), RunRequest{Scenario: name})
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
		q := newQueueConsumer(queueKey, "")
		r := runToEnd(consoleFor(q), RunRequest{Conformance: true, Checks: []string{"LIFE-SYNC", "DEL-DUPLICATE"}})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Checks).To(HaveLen(2))
		for _, c := range r.Checks {
			Expect(c.Verdict).To(Equal("PASS"), "%s: %s %v", c.ID, c.Reason, c.Details)
		}
		Expect(r.Verdict).To(Equal("PASS"))
	})

	It("a buggy one, which never applies a termination, FAILs, naming what differs", func() {
		q := newQueueConsumer(queueKey, "connection.events.terminated")
		r := runToEnd(consoleFor(q), RunRequest{Scenario: "termination"})
		Expect(r.State).To(Equal(RunDone), r.Error)
		Expect(r.Verdict).To(Equal("FAIL"))
		Expect(r.Orgs).To(HaveLen(1))
		Expect(r.Orgs[0].Converged).To(BeFalse())
		Expect(r.Orgs[0].Differences).To(ContainElement(And(
			HaveField("Expected", ContainSubstring("CONNECTION_TERMINATED")),
			HaveField("Delivery.Event", "connection.events.terminated"))), "the difference names the delivery that carried the value")
	})

	It("judges at once with a budget of 0, as --settle 0 does: then a correct queue is judged before it applied", func() {
		q := newQueueConsumer(queueKey, "")
		r := runToEnd(consoleFor(q, Settle(0)), RunRequest{Scenario: "onboarding"})
		Expect(r.Settle).To(BeZero())
		Expect(r.Verdict).To(Equal("FAIL"), "what the console did before it settled")
	})
})
