package main

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
)

// interruptedConformance runs conformance against the reference consumer
// and interrupts it (as SIGINT does: the context is cancelled) with the
// consumer's at-th delivery. It returns the invocation and the JUnit file.
func interruptedConformance(spec SpecContext, at int64, extra ...string) (invocation, junitSuite, string) {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(spec)
	defer cancel()
	ref := consumer.New([]byte(secretKey))
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.Handle(consumer.ProbePath, ref.Probe())
	mux.HandleFunc(consumer.WebhookPath, func(w http.ResponseWriter, r *http.Request) {
		ref.ServeHTTP(w, r)
		if n.Add(1) == at {
			cancel()
		}
	})
	srv := httptest.NewServer(mux)
	DeferCleanup(srv.Close)

	junit := filepath.Join(GinkgoT().TempDir(), "junit.xml")
	began := time.Now()
	r := tartansimCtx(ctx, "", append([]string{"conformance", "--junit", junit, "--seed", "21",
		"--target", srv.URL + consumer.WebhookPath, "--probe", srv.URL + consumer.ProbePath, "--key", secretKey}, extra...)...)
	Expect(time.Since(began)).To(BeNumerically("<", 10*time.Second), "stops promptly")
	data, err := os.ReadFile(junit)
	Expect(err).NotTo(HaveOccurred(), "the partial JUnit is written")
	var suites junitSuites
	Expect(xml.Unmarshal(data, &suites)).To(Succeed())
	Expect(suites.Suites).To(HaveLen(1))
	return r, suites.Suites[0], string(data)
}

var _ = Describe("an interrupted conformance run", Label("conformance", "interrupt"), func() {
	It("stops, writes the partial JUnit of the checks it reached, and exits 130", func(spec SpecContext) {
		// The 100th delivery falls after the two timing checks, which play first.
		r, s, data := interruptedConformance(spec, 100)
		Expect(r.code).To(Equal(130), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("interrupted"))
		Expect(r.stdout).To(MatchRegexp(`\d+ check\(s\): \d+ passed`))

		Expect(s.Tests).To(BeNumerically(">=", 2), "the checks before the interrupt, and the one it cut short")
		Expect(s.Tests).To(BeNumerically("<", len(conformance.Checks())), "not the checks after it")
		Expect(s.Cases).To(HaveLen(s.Tests))
		Expect(s.Properties).To(ContainElement(junitProperty{Name: "seed", Value: "21"}))
		// The reference consumer passes every check it had time for.
		for _, c := range s.Cases[:len(s.Cases)-1] {
			Expect(c.Failure).To(BeNil(), "%s\n%s", c.Name, data)
			Expect(c.Skipped).To(BeNil(), "%s\n%s", c.Name, data)
		}
	}, SpecTimeout(30*time.Second))

	It("exits 130 with --json too, even before the first check is done", func(spec SpecContext) {
		r, s, _ := interruptedConformance(spec, 1, "--json")
		Expect(r.code).To(Equal(130), r.output())
		oneSentence(r)
		Expect(s.Tests).To(BeNumerically("<=", 1))
	}, SpecTimeout(30*time.Second))

	It("neither judges nor fails the check the interrupt cut short, and says how far it got", func(spec SpecContext) {
		r, s, data := interruptedConformance(spec, 100)
		Expect(r.stderr).To(MatchRegexp(`^tartansim: interrupted after \d+ check\(s\); the report so far is above \(seed 21\)\.\n$`))
		Expect(s.Failures).To(BeZero(), data)
	}, SpecTimeout(30*time.Second))
})
