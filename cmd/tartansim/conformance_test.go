package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/internal/consumertest"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// staleConsumer is the reference consumer with one bug: the last write
// wins, so an old EOD redelivery overwrites newer data. It moves every
// delivery's timeStamp to the same far-future moment before applying (and
// re-signs, so the reference consumer accepts it): arrival order decides.
func staleConsumer(ref *consumer.Consumer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(consumer.ProbePath, ref.Probe())
	mux.HandleFunc(consumer.WebhookPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Last writer wins: every delivery is treated as the newest, so the
		// stamp is re-written to far in the future before applying, and the
		// request is re-signed so the reference consumer accepts it.
		fresh := timeStampRE.ReplaceAll(body, []byte(`"timeStamp":"2999-01-01 00:00:00"`))
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(fresh))
		r2.ContentLength = int64(len(fresh))
		if sig := r.Header.Get("tartan-signature"); sig != "" && verifies(body, sig) {
			r2.Header.Set("tartan-signature", sign(fresh))
		}
		ref.ServeHTTP(w, r2)
	})
	return mux
}

var timeStampRE = regexp.MustCompile(`"timeStamp":"[^"]*"`)

var _ = Describe("tartansim conformance", Label("conformance"), func() {
	It("passes every check against the built-in reference consumer and writes JUnit", func() {
		file := filepath.Join(GinkgoT().TempDir(), "junit.xml")
		r := tartansim("", "conformance", "--junit", file, "--seed", "11")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("21 check(s): 21 passed, 0 failed, 0 skipped"))
		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		var suites junitSuites
		Expect(xml.Unmarshal(data, &suites)).To(Succeed())
		Expect(suites.Suites[0].Tests).To(Equal(21))
		Expect(suites.Suites[0].Failures).To(BeZero())
	})

	It("says SKIP, never PASS, for state checks without a probe", func() {
		ref := consumer.New([]byte(secretKey))
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		r := tartansim("", "conformance", "--target", srv.URL+consumer.WebhookPath, "--key", secretKey, "--json")
		Expect(r.code).To(Equal(0), r.output())
		var out struct {
			Results []conformance.Result `json:"results"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed())
		for _, res := range out.Results {
			c, _ := conformance.Lookup(res.ID)
			if c.NeedsProbe {
				Expect(res.Verdict).To(Equal(conformance.Skip), res.ID)
				Expect(res.Reason).To(ContainSubstring("state probe"))
			} else {
				Expect(res.Verdict).To(Equal(conformance.Pass), res.ID)
			}
		}
		Expect(r.output()).NotTo(ContainSubstring(secretKey))
	})

	It("exits 1 and names the failed check, with the verdicts the library gives for the same seed", func() {
		ref := consumer.New([]byte(secretKey))
		srv := httptest.NewServer(staleConsumer(ref))
		DeferCleanup(srv.Close)
		r := tartansim("", "conformance", "--target", srv.URL+consumer.WebhookPath, "--probe", srv.URL+consumer.ProbePath,
			"--key", secretKey, "--seed", "5", "--json")
		Expect(r.code).To(Equal(1), r.output())
		var out struct {
			Results []conformance.Result `json:"results"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed())
		failed := map[string]bool{}
		for _, res := range out.Results {
			if res.Verdict == conformance.Fail {
				failed[res.ID] = true
			}
		}
		Expect(failed).To(HaveKey("DEL-STALE"))

		lib, err := conformance.Run(context.Background(), conformance.Target{
			URL: srv.URL + consumer.WebhookPath, Key: []byte(secretKey), Seed: 5,
			Probe: probe.HTTP(srv.URL+consumer.ProbePath, nil), Timeout: 10e9,
		}, conformance.Options{})
		Expect(err).NotTo(HaveOccurred())
		for i, res := range lib {
			Expect(out.Results[i].Verdict).To(Equal(res.Verdict), res.ID)
		}
	})

	It("exits 3 with one sentence when the target is down", func() {
		addr := freeLoopback() // nobody listens there
		r := tartansim("", "conformance", "--target", "http://"+addr+"/webhook", "--key", "k")
		Expect(r.code).To(Equal(3), r.output())
		Expect(r.stderr).To(Equal("tartansim: could not reach http://" + addr + "/webhook: connection refused.\n"))
	})

	It("exits 1, not 3, when the consumer starves in the burst: DEL-BURST FAILs and the checks left are not judged", func() {
		// A fixed pool of 4 connection handlers, keep-alive, no idle
		// timeout: the burst's connections take every handler, and the
		// probe's read waits behind them. The served requests are answered
		// well within the 1s budget whatever the load, so their connections
		// stay open and keep holding the handlers.
		srv := consumertest.NewStarving([]byte(secretKey), 4)
		DeferCleanup(srv.Close)
		r := tartansim("", "conformance", "--target", srv.URL+consumer.WebhookPath, "--probe", srv.URL+consumer.ProbePath,
			"--key", secretKey, "--timeout", "1s", "--settle", "1s", "--seed", "3")
		Expect(r.code).To(Equal(1), r.output())
		Expect(r.stdout).To(MatchRegexp(`FAIL\s+DEL-BURST`))
		Expect(r.stdout).To(ContainSubstring("the consumer stopped answering: "))
		Expect(r.stdout).To(ContainSubstring("not judged: the consumer stopped answering during DEL-BURST"))
		Expect(r.stderr).NotTo(ContainSubstring("could not reach"))
	})

	It("filters by label and by check ID, and refuses a filter that matches nothing", func() {
		r := tartansim("", "conformance", "--label-filter", "signature && !SIG-VALID")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("6 check(s)"))
		Expect(r.stdout).NotTo(MatchRegexp(`PASS\s+SIG-VALID`))
		Expect(tartansim("", "conformance", "--label-filter", "nothing-like-this").code).To(Equal(2))
		Expect(tartansim("", "conformance", "--label-filter", "((").code).To(Equal(2))
	})
})

func sign(body []byte) string { return sender.Sign([]byte(secretKey), body) }
func verifies(body []byte, sig string) bool {
	return sender.Verify([]byte(secretKey), body, sig) == nil
}

var _ = Describe("conformance's settling flags", Label("conformance", "settle"), func() {
	DescribeTable("refuses a bad value in one sentence, exit 2",
		func(args []string, sentence string) {
			r := tartansim("", append([]string{"conformance"}, args...)...)
			Expect(r.code).To(Equal(2), r.output())
			oneSentence(r)
			Expect(r.stderr).To(Equal("tartansim: " + sentence + ".\n"))
		},
		Entry("a word", []string{"--settle", "soon"}, `--settle "soon" is not a duration like 10s or 500ms (0 judges at once)`),
		Entry("a negative budget", []string{"--settle", "-1s"}, `--settle "-1s" is negative: give how long to wait, like 10s, or 0 to judge at once`),
	)

	It("blames the probe, not the consumer, when its pending is not a count: SKIP with the bytes, exit 2", func() {
		ref := consumer.New([]byte(secretKey))
		mux := http.NewServeMux()
		mux.Handle(consumer.WebhookPath, ref)
		mux.HandleFunc(consumer.ProbePath, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"orgId":"` + r.URL.Query().Get("orgId") + `","employees":[],"pending":"soon"}`))
		})
		srv := httptest.NewServer(mux)
		DeferCleanup(srv.Close)
		r := tartansim("", "conformance", "--target", srv.URL+consumer.WebhookPath, "--probe", srv.URL+consumer.ProbePath,
			"--key", secretKey, "--label-filter", "LIFE-CONNECTION || SIG-VALID")
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stdout).To(ContainSubstring("PASS  SIG-VALID"), "a check that stands on HTTP alone is judged")
		Expect(r.stdout).To(ContainSubstring("SKIP  LIFE-CONNECTION"))
		Expect(r.stdout).To(ContainSubstring(`skipped: the state probe is at fault, not the consumer's handling: probe for org `))
		Expect(r.stdout).To(ContainSubstring(`pending is "soon", want a non-negative integer`))
		Expect(r.stdout).To(ContainSubstring(`it answered "{\"orgId\":`))
		Expect(r.stderr).To(HavePrefix("tartansim: the state probe is at fault"))
	})

	It("judges at once with --settle 0, and says so", func() {
		r := tartansim("", "conformance", "--settle", "0", "--label-filter", "LIFE-SYNC")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("settle none (state judged at once)"))
	})

	It("gives the processing lag in the text, the JSON and the JUnit", func() {
		file := filepath.Join(GinkgoT().TempDir(), "junit.xml")
		r := tartansim("", "conformance", "--label-filter", "lifecycle", "--junit", file)
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(MatchRegexp(`PASS  LIFE-SYNC .*, lag \S+\)`))
		Expect(r.stdout).To(MatchRegexp(`processing lag \(last acknowledgement to converged state\): median \S+, max \S+ over 3 org\(s\)`))
		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		var suites junitSuites
		Expect(xml.Unmarshal(data, &suites)).To(Succeed())
		names := []string{}
		for _, p := range suites.Suites[0].Properties {
			names = append(names, p.Name)
		}
		Expect(names).To(ContainElements("seed", "lag.median", "lag.max"))
		Expect(suites.Suites[0].Cases[0].Properties).To(ContainElement(HaveField("Name", "probeReads")))

		r = tartansim("", "conformance", "--label-filter", "LIFE-SYNC", "--json")
		Expect(r.code).To(Equal(0), r.output())
		var out struct {
			Lag     judge.LagSummary     `json:"lag"`
			Results []conformance.Result `json:"results"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed())
		Expect(out.Lag.Orgs).To(Equal(1))
		Expect(out.Results[0].ProbeReads).To(BeNumerically(">", 0))
	})
})
