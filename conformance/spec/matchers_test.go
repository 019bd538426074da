package spec_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/conformance/spec"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

var key = []byte("spec-test-key")

// A genuine update with a quote, an ampersand and a non-ASCII name: the
// hard cases for a shell line.
const updateBody = `{"syncSessionId":"s-1","webhookCounter":2,"requestId":"b7cc9282-3587-4403-8589-fd0e9f87cf97","orgId":"f47ac10b","event":"sync.events.employee.update","eventType":"sync.events.delta","recordCount":1,"body":[{"employeeId":"TRT-0042","name":"Zoë D'Souza & <Sons>","status":"Not Active"}],"timeStamp":"2025-05-26 03:19:30","statusCode":"200","message":"success"}`

// handMade is a delivery as a run records it, answered with status and
// answer as the start of the response body.
func handMade(body string, header http.Header, status int, answer string) *scenarios.Delivery {
	res := sender.Result{Status: status, Latency: 3 * time.Millisecond, Snippet: []byte(answer), Sent: true}
	if status < 200 || status >= 300 {
		res.Class = sender.ClassStatus
	}
	return &scenarios.Delivery{
		Seq: 3, Event: "sync.events.employee.update", WebhookCounter: 2,
		RequestID: "b7cc9282-3587-4403-8589-fd0e9f87cf97", OrgID: "f47ac10b",
		Body: []byte(body), Header: header,
		Attempts: []scenarios.Attempt{{Kind: "first", Status: status, Result: res}},
	}
}

func signed(body string) http.Header {
	return http.Header{
		sender.HeaderContentType: {sender.ContentType},
		sender.HeaderSignature:   {sender.Sign(key, []byte(body))},
	}
}

// failure runs m on actual and returns its failure message, expecting the
// match to come out as matched.
func failure(m types.GomegaMatcher, actual any, matched bool) string {
	GinkgoHelper()
	ok, err := m.Match(actual)
	Expect(err).NotTo(HaveOccurred())
	Expect(ok).To(Equal(matched))
	if matched {
		return m.NegatedFailureMessage(actual)
	}
	return m.FailureMessage(actual)
}

// curlLine is the reproduction at the end of a delivery message.
func curlLine(msg string) string {
	GinkgoHelper()
	_, line, ok := strings.Cut(msg, "reproduce it:\n      ")
	Expect(ok).To(BeTrue(), msg)
	return line
}

func always(status int, answer string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, answer)
	})
}

var _ = Describe("the delivery matchers", func() {
	var (
		d   *scenarios.Delivery
		rep *scenarios.Report
	)
	BeforeEach(func() {
		d = handMade(updateBody, signed(updateBody), 200, `{"ok":true}`)
		rep = &scenarios.Report{
			Scenario: "hand-made", Seed: 42, Target: "https://user:pw@consumer.example/hooks/tartan?token=s3cret",
			Deliveries: []*scenarios.Delivery{d},
		}
	})

	It("shows the delivery, the answer, the seed and a curl line when a delivery is not rejected", func() {
		sent := spec.Deliveries(rep)[0]
		msg := failure(spec.BeRejected(), sent, false)
		Expect(msg).To(HavePrefix("Expected a delivery to be rejected (a 4xx to every send), but send 1 (first) was answered 200 OK in 3ms:"))
		Expect(msg).To(ContainSubstring("delivery 3 of hand-made: sync.events.employee.update #2, requestId b7cc9282-3587-4403-8589-fd0e9f87cf97, org f47ac10b"))
		Expect(msg).To(ContainSubstring("seed:    42"))
		Expect(msg).To(ContainSubstring("content-type: application/json\n      tartan-signature: " + sender.Sign(key, []byte(updateBody))))
		Expect(msg).To(ContainSubstring("body (" + fmt.Sprint(len(updateBody)) + " bytes):\n      " + updateBody + "\n"))
		Expect(msg).To(ContainSubstring(`1. first at day 1 00:00:00: 200 OK in 3ms, answer body "{\"ok\":true}"`))
		Expect(curlLine(msg)).To(Equal(`printf '%s' '` + strings.ReplaceAll(updateBody, `'`, `'\''`) + `' | curl -sS -X POST ` +
			`'https://user:xxxxx@consumer.example/hooks/tartan?token=xxxxx' -H 'content-type: application/json' ` +
			`-H 'tartan-signature: ` + sender.Sign(key, []byte(updateBody)) + `' --data-binary @-`))
		Expect(msg).NotTo(ContainSubstring("s3cret"))
		Expect(msg).NotTo(ContainSubstring("pw@"))
		Expect(msg).NotTo(ContainSubstring(string(key)))
	})

	It("passes an acknowledged delivery, and says so when it was expected not to be", func() {
		Expect(spec.Deliveries(rep)[0]).To(spec.BeAcknowledged())
		msg := failure(spec.BeAcknowledged(), spec.Deliveries(rep)[0], true)
		Expect(msg).To(HavePrefix("Expected a delivery not to be acknowledged, but all 1 send(s) were answered 2xx:"))
	})

	It("names the send that was not acknowledged, duplicates included", func() {
		d.Attempts = append(d.Attempts, scenarios.Attempt{Kind: "duplicate", Status: 500,
			Result: sender.Result{Status: 500, Class: sender.ClassStatus, Latency: time.Millisecond, Snippet: []byte("boom\n")}})
		msg := failure(spec.BeAcknowledged(), spec.Sent{Delivery: d, Report: rep}, false)
		Expect(msg).To(HavePrefix("Expected a delivery to be acknowledged (a 2xx to every send), but send 2 (duplicate) was answered 500 Internal Server Error in 1ms:"))
		Expect(msg).To(ContainSubstring(`2. duplicate at day 1 00:00:00: 500 Internal Server Error in 1ms, answer body "boom\n"`))
	})

	It("takes a bare delivery, with the target left to the shell", func() {
		msg := failure(spec.BeRejected(), d, false)
		Expect(msg).To(ContainSubstring("delivery 3: sync.events.employee.update"))
		Expect(msg).To(ContainSubstring("seed:    unknown (match spec.Deliveries(report) to show it)"))
		Expect(curlLine(msg)).To(ContainSubstring(` | curl -sS -X POST "$TARTAN_TARGET_URL" -H 'content-type: application/json'`))
	})

	It("shows a missing signature, and sends an empty one as curl needs it", func() {
		d.Forged, d.Fault = true, "signature:missing"
		d.Header = http.Header{sender.HeaderContentType: {sender.ContentType}}
		msg := failure(spec.BeRejected(), spec.Deliveries(rep)[0], false)
		Expect(msg).To(ContainSubstring("forged (signature:missing)"))
		Expect(msg).To(ContainSubstring("content-type: application/json\n      (no tartan-signature header)\n"))
		Expect(curlLine(msg)).To(HaveSuffix("-H 'content-type: application/json' --data-binary @-"))

		d.Header["Tartan-Signature"] = []string{""}
		msg = failure(spec.BeRejected(), spec.Deliveries(rep)[0], false)
		Expect(msg).To(ContainSubstring("      Tartan-Signature: \n"))
		Expect(curlLine(msg)).To(HaveSuffix("-H 'content-type: application/json' -H 'Tartan-Signature;' --data-binary @-"))
	})

	It("cuts a long body in the message, never in the curl line", func() {
		long := `{"body":"` + strings.Repeat("é", 1000) + `"}`
		d = handMade(long, signed(long), 200, "")
		msg := failure(spec.BeRejected(), spec.Sent{Delivery: d, Report: rep}, false)
		Expect(msg).To(ContainSubstring(fmt.Sprintf("body (%d bytes, the first 599 shown; the curl line below has them all):", len(long))))
		Expect(msg).NotTo(ContainSubstring("\uFFFD"))
		Expect(curlLine(msg)).To(ContainSubstring(long))
		Expect(msg).NotTo(ContainSubstring("answer body"))
	})

	It("quotes a body that would not print plainly", func() {
		odd := "{\"a\":\"x\"}\r\n\x00"
		d = handMade(odd, signed(odd), 200, "")
		msg := failure(spec.BeRejected(), d, false)
		Expect(msg).To(ContainSubstring(`body (12 bytes, Go-quoted):` + "\n      " + `"{\"a\":\"x\"}\r\n\x00"`))
		Expect(curlLine(msg)).To(HavePrefix(`printf '{"a":"x"}\015\012\000' | curl `))
	})

	It("fails a delivery never sent", func() {
		d.Attempts = nil
		Expect(failure(spec.BeAcknowledged(), d, false)).To(ContainSubstring("but it was never sent:"))
		Expect(failure(spec.BeRejected(), d, false)).To(ContainSubstring("      never sent\n"))
	})

	It("refuses what is not a delivery", func() {
		_, err := spec.BeAcknowledged().Match("delivery 3")
		Expect(err).To(MatchError("spec: want a *scenarios.Delivery or a spec.Sent, got string"))
		_, err = spec.BeRejected().Match((*scenarios.Delivery)(nil))
		Expect(err).To(MatchError("spec: the delivery is nil"))
	})

	Describe("BeAppliedOnce", func() {
		state := func(n int) probe.State {
			return probe.State{OrgID: "f47ac10b", Applied: map[string]int{"b7cc9282-3587-4403-8589-fd0e9f87cf97": n, "other": 1}}
		}

		It("passes when the state counts the requestId once", func() {
			Expect(spec.Deliveries(rep)[0]).To(spec.BeAppliedOnce(state(1)))
		})

		It("shows the count and the delivery when it was applied twice", func() {
			msg := failure(spec.BeAppliedOnce(state(2)), spec.Deliveries(rep)[0], false)
			Expect(msg).To(HavePrefix("Expected a delivery to be applied once, but the consumer's state counts requestId b7cc9282-3587-4403-8589-fd0e9f87cf97 applied 2 times:"))
			Expect(msg).To(ContainSubstring("seed:    42"))
			Expect(msg).To(ContainSubstring("printf '%s' "))
		})

		It("says when the state does not count it at all", func() {
			st := probe.State{OrgID: "f47ac10b", Applied: map[string]int{"other": 1}}
			Expect(failure(spec.BeAppliedOnce(st), d, false)).To(HavePrefix(
				"Expected a delivery to be applied once, but the consumer's state (1 applied requestIds) does not count requestId b7cc9282-3587-4403-8589-fd0e9f87cf97 at all:"))
		})

		It("cannot judge a state without applied counts, or of another org", func() {
			_, err := spec.BeAppliedOnce(probe.State{OrgID: "f47ac10b"}).Match(d)
			Expect(err).To(MatchError(ContainSubstring("carries no applied counts")))
			_, err = spec.BeAppliedOnce(probe.State{OrgID: "elsewhere", Applied: map[string]int{"x": 1}}).Match(d)
			Expect(err).To(MatchError("spec: BeAppliedOnce was given the state of org elsewhere for a delivery to org f47ac10b"))
		})
	})

	DescribeTable("gives a curl line that sends the same bytes and headers",
		func(body string, header http.Header) {
			if _, err := exec.LookPath("curl"); err != nil {
				Skip("curl is not installed")
			}
			type got struct {
				body   []byte
				header http.Header
			}
			seen := make(chan got, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				seen <- got{b, r.Header.Clone()}
			}))
			DeferCleanup(srv.Close)
			rep.Target = srv.URL + "/hooks/tartan"
			d = handMade(body, header, 200, "")
			line := curlLine(failure(spec.BeRejected(), spec.Sent{Delivery: d, Report: rep}, false))

			out, err := exec.Command("sh", "-c", line).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			var g got
			Eventually(seen).Should(Receive(&g))
			Expect(g.body).To(Equal([]byte(body)))
			Expect(g.header.Get("Content-Type")).To(Equal(sender.ContentType))
			for k, v := range header {
				if strings.EqualFold(k, sender.HeaderSignature) {
					Expect(g.header.Values(sender.HeaderSignature)).To(Equal(v), "the %s header", k)
				}
			}
		},
		Entry("quotes, & and non-ASCII", updateBody, signed(updateBody)),
		Entry("an indented body with %, backslashes and a newline at the end", "{\n  \"a\": \"100% \\\\ \\\"x\\\" \\n\"\n}\n", signed("x")),
		Entry("CR, NUL and invalid UTF-8", "{\"a\":\"x\"}\r\n\x00\xff", signed("y")),
		Entry("an empty signature", updateBody, http.Header{"content-type": {"application/json"}, "TARTAN-SIGNATURE": {""}}),
	)

	It("gives a curl line that delivers the same bytes, which the reference consumer verifies and applies", func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Skip("curl is not installed")
		}
		ref := consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		rep.Target = srv.URL + consumer.WebhookPath
		line := curlLine(failure(spec.BeRejected(), spec.Deliveries(rep)[0], false))

		out, err := exec.Command("sh", "-c", line+" -o /dev/null -w '%{http_code}'").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(Equal("200"))
		st := ref.State("f47ac10b")
		Expect(spec.Deliveries(rep)[0]).To(spec.BeAppliedOnce(st))
		Expect(st.Employees).To(ConsistOf(HaveKeyWithValue("name", "Zoë D'Souza & <Sons>")))
	})
})

var _ = Describe("ConvergeTo", func() {
	var (
		ref *consumer.Consumer
		r   conformance.Result
	)
	BeforeEach(func(ctx SpecContext) {
		ref = consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		c, ok := conformance.Lookup("LIFE-CONNECTION")
		Expect(ok).To(BeTrue())
		var err error
		r, err = c.Run(ctx, conformance.Target{
			URL: srv.URL + consumer.WebhookPath, Key: key, Seed: 7,
			Probe: func(_ context.Context, orgID string) (probe.State, error) { return ref.State(orgID), nil },
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Report.Orgs).To(HaveLen(1))
	})

	It("passes the reference consumer's state", func() {
		org := r.Report.Orgs[0].OrgID
		Expect(ref.State(org)).To(spec.ConvergeTo(r.Report.Truth().Org(org)))
		st := ref.State(org)
		Expect(&st).To(spec.ConvergeTo(r.Report.Truth().Org(org)))
	})

	It("lists the differences of a state that lost an employee and its connection", func() {
		org := r.Report.Orgs[0].OrgID
		st := ref.State(org)
		gone := st.Employees[0]["employeeId"]
		st.Employees = st.Employees[1:]
		st.ConnectionStatus = "CONNECTION_REQUESTED"
		msg := failure(spec.ConvergeTo(r.Report.Truth().Org(org)), st, false)
		Expect(msg).To(HavePrefix("Expected the consumer's state of org " + org + " to converge to the truth, but it differs:\n"))
		Expect(msg).To(MatchRegexp(`\n    - connectionStatus is "CONNECTION_REQUESTED", want "CONNECTION_TERMINATED"; carried by \S+ \(connection\.events\.terminated #1\)\n`),
			"the difference names the delivery that carried the value")
		Expect(msg).To(ContainSubstring(fmt.Sprintf("    - is missing employee %s (", gone)))
		Expect(msg).To(ContainSubstring(`the consumer holds: 7 employee(s), connectionStatus "CONNECTION_REQUESTED"`))
		Expect(msg).To(ContainSubstring(`the truth holds:    8 employee(s), connectionStatus "CONNECTION_TERMINATED"`))
	})

	It("refuses a nil truth, a truth of another org, and what is not a state", func() {
		org := r.Report.Orgs[0].OrgID
		_, err := spec.ConvergeTo(nil).Match(ref.State(org))
		Expect(err).To(MatchError("spec: ConvergeTo needs the truth, got nil"))
		_, err = spec.ConvergeTo(r.Report.Truth().Org("elsewhere")).Match(ref.State(org))
		Expect(err).To(MatchError(ContainSubstring("the truth of org elsewhere for the state of org " + org)))
		_, err = spec.ConvergeTo(r.Report.Truth().Org(org)).Match(42)
		Expect(err).To(MatchError("spec: want a probe.State, got int"))
	})
})

var _ = Describe("PassConformance", func() {
	// run plays one check with seed 7 against h, without a probe.
	run := func(ctx context.Context, id string, h http.Handler) conformance.Result {
		GinkgoHelper()
		srv := httptest.NewServer(h)
		DeferCleanup(srv.Close)
		c, ok := conformance.Lookup(id)
		Expect(ok).To(BeTrue())
		r, err := c.Run(ctx, conformance.Target{URL: srv.URL + consumer.WebhookPath, Key: key, Seed: 7})
		Expect(err).NotTo(HaveOccurred())
		return r
	}

	It("passes a PASS", func(ctx SpecContext) {
		r := run(ctx, "SIG-VALID", consumer.New(key).Handler())
		Expect(r).To(spec.PassConformance())
		Expect(&r).To(spec.PassConformance())
		Expect(failure(spec.PassConformance(), r, true)).To(HavePrefix("Expected SIG-VALID not to pass, but it passed."))
	})

	It("shows the verdict, the evidence, the delivery it names and how to rerun it", func(ctx SpecContext) {
		r := run(ctx, "SIG-VALID", always(http.StatusUnauthorized, `{"error":"bad signature"}`))
		Expect(r.Verdict).To(Equal(conformance.Fail))
		msg := failure(spec.PassConformance(), r, false)
		Expect(msg).To(HavePrefix("Expected SIG-VALID to pass, but it was FAIL: " + conformance.KeyMismatchReason))
		Expect(msg).To(ContainSubstring("    check:   SIG-VALID [signature] accepts valid signatures"))
		Expect(msg).To(ContainSubstring("    seed:    7\n"))
		Expect(msg).To(ContainSubstring("    evidence:\n      - " + conformance.KeyMismatchReason + "\n      - delivery 1 ("))
		Expect(msg).To(ContainSubstring("  the delivery it names:\n    delivery 1 of sig-valid: connection.events.requested #1"))
		Expect(msg).To(ContainSubstring(`401 Unauthorized in `))
		Expect(msg).To(ContainSubstring(`answer body "{\"error\":\"bad signature\"}"`))
		Expect(msg).To(ContainSubstring("      tartan-signature: "))
		Expect(msg).To(ContainSubstring("reproduce it:\n      printf '%s' '{"))
		Expect(msg).To(MatchRegexp(`rerun the check: tartansim conformance --seed 7 --label-filter 'SIG-VALID' --target 'http://127\.0\.0\.1:\d+/webhook' \(with the same key and --probe\)$`))
	})

	It("names the forged delivery a consumer accepted", func(ctx SpecContext) {
		r := run(ctx, "SIG-MISSING", always(http.StatusOK, "ok"))
		msg := failure(spec.PassConformance(), r, false)
		Expect(msg).To(HavePrefix("Expected SIG-MISSING to pass, but it was FAIL: forged delivery "))
		Expect(msg).To(ContainSubstring("forged (signature:missing)"))
		Expect(msg).To(ContainSubstring("(no tartan-signature header)"))
	})

	It("finds the delivery a state difference names by its requestId", func() {
		d := handMade(updateBody, signed(updateBody), 200, "")
		r := conformance.Result{
			ID: "SIG-TAMPERED", Label: "signature", Title: "rejects a body changed after signing", Verdict: conformance.Fail, Seed: 9,
			Reason:  "the consumer's state of org f47ac10b applied forged delivery b7cc9282-3587-4403-8589-fd0e9f87cf97 (1 times), want never",
			Details: []string{"the consumer's state of org f47ac10b applied forged delivery b7cc9282-3587-4403-8589-fd0e9f87cf97 (1 times), want never"},
			Report:  &scenarios.Report{Scenario: "sig-tampered", Seed: 9, Target: "http://127.0.0.1:8080/webhook", Deliveries: []*scenarios.Delivery{d}},
		}
		msg := failure(spec.PassConformance(), r, false)
		Expect(msg).To(ContainSubstring("  the delivery it names:\n    delivery 3 of sig-tampered:"))
		Expect(msg).NotTo(ContainSubstring("evidence:"), "a single piece of evidence is the reason itself")
		Expect(msg).To(HaveSuffix("rerun the check: tartansim conformance --seed 9 --label-filter 'SIG-TAMPERED' --target 'http://127.0.0.1:8080/webhook' (with the same key and --probe)"))
	})

	It("does not pass a SKIP", func(ctx SpecContext) {
		r := run(ctx, "SIG-MISSING", consumer.New(key).Handler())
		Expect(r.Verdict).To(Equal(conformance.Skip))
		msg := failure(spec.PassConformance(), r, false)
		Expect(msg).To(HavePrefix("Expected SIG-MISSING to pass, but it was SKIP: needs a state probe"))
		Expect(msg).NotTo(ContainSubstring("the delivery it names"))
	})

	It("refuses what is not a result", func() {
		_, err := spec.PassConformance().Match("PASS")
		Expect(err).To(MatchError("spec: want a conformance.Result, got string"))
	})
})

var _ = Describe("SettleTo", Label("settle"), func() {
	var (
		ref *consumer.Consumer
		org string
		r   conformance.Result
	)
	BeforeEach(func(ctx SpecContext) {
		ref = consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		c, _ := conformance.Lookup("LIFE-CONNECTION")
		var err error
		r, err = c.Run(ctx, conformance.Target{
			URL: srv.URL + consumer.WebhookPath, Key: key, Seed: 7,
			Probe: func(_ context.Context, orgID string) (probe.State, error) { return ref.State(orgID), nil },
		})
		Expect(err).NotTo(HaveOccurred())
		org = r.Report.Orgs[0].OrgID
	})

	// later gives an empty state until after has passed, then the
	// reference's, without pending: a consumer that applies later and
	// does not say how much waits.
	later := func(after time.Duration) probe.Func {
		start := time.Now()
		return func(_ context.Context, orgID string) (probe.State, error) {
			if time.Since(start) < after {
				return probe.State{OrgID: orgID}, nil
			}
			st := ref.State(orgID)
			st.Pending = nil
			return st, nil
		}
	}

	It("waits for a consumer that applies later", func() {
		Expect(spec.Probed{Probe: later(150 * time.Millisecond), OrgID: org}).To(spec.SettleTo(r.Report.Truth().Org(org), 5*time.Second))
	})

	It("fails one that never converges, with its differences and the budget", func() {
		msg := failure(spec.SettleTo(r.Report.Truth().Org(org), 300*time.Millisecond), spec.Probed{Probe: later(time.Hour), OrgID: org}, false)
		Expect(msg).To(HavePrefix("Expected the consumer's state of org " + org + " to settle at the truth within 300ms, but the budget ran out after "))
		Expect(msg).To(ContainSubstring(`    - connectionStatus is "", want "CONNECTION_TERMINATED"`))
	})

	It("says so when it settled against a NotTo", func() {
		msg := failure(spec.SettleTo(r.Report.Truth().Org(org), time.Second), &spec.Probed{Probe: later(0), OrgID: org}, true)
		Expect(msg).To(MatchRegexp(`not to settle at the truth, but it did, with a processing lag of \S+ \(\d+ probe reads\)`))
	})

	It("refuses what is not a Probed, a Probed without a probe, and a truth of another org", func() {
		_, err := spec.SettleTo(r.Report.Truth().Org(org), time.Second).Match(ref.State(org))
		Expect(err).To(MatchError("spec: SettleTo wants a spec.Probed, got probe.State"))
		_, err = spec.SettleTo(r.Report.Truth().Org(org), time.Second).Match(spec.Probed{OrgID: org})
		Expect(err).To(MatchError("spec: the Probed has no Probe"))
		_, err = spec.SettleTo(r.Report.Truth().Org("elsewhere"), time.Second).Match(spec.Probed{Probe: later(0), OrgID: org})
		Expect(err).To(MatchError(ContainSubstring("the truth of org elsewhere for org " + org)))
	})

	It("puts how each org settled in PassConformance's failure message", func() {
		r.Verdict = conformance.Fail
		r.Reason = "for the message's sake"
		Expect(failure(spec.PassConformance(), r, false)).To(MatchRegexp(`\n    state:   org ` + org + ` converged, processing lag \S+ \(\d+ probe reads\)\n`))
	})
})
