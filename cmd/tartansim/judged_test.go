package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
)

// A run that judged nothing is never a pass: exit 4, with one sentence
// that says why; a FAIL takes precedence; a run with some SKIPs says how
// many, in text and JSON.
var _ = Describe("a run that judged nothing", Label("judged"), func() {
	// reference serves the reference consumer, counting the deliveries
	// that reach its webhook; no probe is given to tartansim.
	reference := func() (string, *atomic.Int64) {
		var n atomic.Int64
		ref := consumer.New([]byte(secretKey))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			ref.ServeHTTP(w, r)
		}))
		DeferCleanup(srv.Close)
		return srv.URL + consumer.WebhookPath, &n
	}
	// failing answers 500 to everything.
	failing := func() string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
		DeferCleanup(srv.Close)
		return srv.URL + "/webhook"
	}
	type summary struct {
		Passed  bool        `json:"passed"`
		Summary judge.Tally `json:"summary"`
	}
	readSummary := func(stdout string) (summary, string) {
		GinkgoHelper()
		var out summary
		Expect(json.Unmarshal([]byte(stdout), &out)).To(Succeed())
		var raw struct {
			Summary struct {
				Outcome string `json:"outcome"`
			} `json:"summary"`
		}
		Expect(json.Unmarshal([]byte(stdout), &raw)).To(Succeed())
		return out, raw.Summary.Outcome
	}

	Context("in conformance", func() {
		It("exits 4 when the subscription leaves every check out, sends nothing, and says why", func() {
			url, hits := reference()
			file := filepath.Join(GinkgoT().TempDir(), "junit.xml")
			r := tartansim("", "conformance", "--events", "record.employee.remark", "--seed", "3", "--junit", file, "--target", url, "--key", secretKey)
			Expect(r.code).To(Equal(exitNothing), r.output())
			Expect(r.stdout).To(ContainSubstring("21 check(s): 0 passed, 0 failed, 21 skipped"))
			Expect(r.stderr).To(Equal("tartansim: nothing was judged: all 21 checks were skipped, e.g. SIG-VALID: needs sync.events.employee.add/initial and sync.events.employee.add/delta, which the subscription leaves out (seed 3).\n"))
			Expect(hits.Load()).To(BeZero())

			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			var suites junitSuites
			Expect(xml.Unmarshal(data, &suites)).To(Succeed())
			s := suites.Suites[0]
			Expect(s.Skipped).To(Equal(21))
			Expect(s.Failures).To(Equal(1), "nothing judged is a failure in JUnit")
			last := s.Cases[len(s.Cases)-1]
			Expect(last.Name).To(Equal(conformance.NothingJudgedCase))
			Expect(last.Failure).NotTo(BeNil())
			Expect(last.Failure.Message).To(HavePrefix("nothing was judged: all 21 checks were skipped"))
		})

		It("says nothing was judged in the JSON too", func() {
			r := tartansim("", "conformance", "--events", "none", "--json")
			Expect(r.code).To(Equal(exitNothing), r.output())
			out, outcome := readSummary(r.stdout)
			Expect(out.Passed).To(BeFalse())
			Expect(outcome).To(Equal(string(judge.NothingJudged)))
			Expect(out.Summary.Skipped).To(Equal(21))
			Expect(out.Summary.Why).To(HavePrefix("all 21 checks were skipped, e.g. SIG-VALID: "))
		})

		It("exits 4 when the one check selected needs a probe that is not there", func() {
			url, _ := reference()
			r := tartansim("", "conformance", "--label-filter", "SIG-EMPTY", "--seed", "8", "--target", url, "--key", secretKey)
			Expect(r.code).To(Equal(exitNothing), r.output())
			oneSentence(r)
			Expect(r.stderr).To(Equal("tartansim: nothing was judged: check SIG-EMPTY was skipped: needs a state probe to judge that a forged delivery had no effect (seed 8).\n"))
		})

		It("passes with some SKIPs, and says how many in the text and the JSON", func() {
			url, _ := reference()
			args := []string{"conformance", "--label-filter", "SIG-VALID || SIG-EMPTY", "--target", url, "--key", secretKey}
			r := tartansim("", args...)
			Expect(r.code).To(Equal(exitOK), r.output())
			Expect(r.stdout).To(ContainSubstring("2 check(s): 1 passed, 0 failed, 1 skipped"))
			r = tartansim("", append(args, "--json")...)
			Expect(r.code).To(Equal(exitOK), r.output())
			out, outcome := readSummary(r.stdout)
			Expect(out.Passed).To(BeTrue())
			Expect(outcome).To(Equal(string(judge.RunPassed)))
			Expect(out.Summary).To(Equal(judge.Tally{Passed: 1, Skipped: 1}))
		})

		It("exits 1, not 4, when the one check judged failed and the others were skipped", func() {
			r := tartansim("", "conformance", "--label-filter", "SIG-VALID || LIFE-CONNECTION", "--events", "sync.events.employee.add",
				"--target", failing(), "--key", secretKey)
			Expect(r.code).To(Equal(exitShort), r.output())
			Expect(r.stdout).To(ContainSubstring("2 check(s): 0 passed, 1 failed, 1 skipped"))
		})

		It("stays a usage error, exit 2, for a label filter that matches no check", func() {
			r := tartansim("", "conformance", "--label-filter", "NO-SUCH-CHECK")
			Expect(r.code).To(Equal(exitUsage), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring("matches no check"))
		})
	})

	Context("in run", func() {
		It("exits 4 when no scenario sent anything, and says why", func() {
			url, hits := reference()
			r := tartansim("", "run", "onboarding", "--events", "sync.events.employee.update", "--day", "0", "--seed", "2", "--target", url, "--key", secretKey)
			Expect(r.code).To(Equal(exitNothing), r.output())
			Expect(r.stdout).To(ContainSubstring("SKIP  sent nothing: the subscription leaves out all 13 webhooks it makes"))
			Expect(r.stdout).To(ContainSubstring("1 scenario(s): 0 passed, 0 failed, 1 skipped; 0 deliveries"))
			Expect(r.stdout).NotTo(ContainSubstring("PASS"))
			Expect(r.stderr).To(Equal("tartansim: nothing was judged: scenario onboarding sent nothing: the subscription leaves out all 13 webhooks it makes (seed 2).\n"))
			Expect(hits.Load()).To(BeZero())
		})

		It("says so in the JSON, for every scenario of the catalogue", func() {
			r := tartansim("", "run", "--events", "none", "--day", "0", "--json")
			Expect(r.code).To(Equal(exitNothing), r.output())
			out, outcome := readSummary(r.stdout)
			Expect(out.Passed).To(BeFalse())
			Expect(outcome).To(Equal(string(judge.NothingJudged)))
			Expect(out.Summary.Skipped).To(Equal(len(scenarios.Builtins())))
			Expect(out.Summary.Why).To(HavePrefix("none of the 10 scenarios sent anything (scenario onboarding sent nothing: "))
		})

		It("passes with some skipped, and says how many", func() {
			r := tartansim("", "run", "onboarding", "termination", "--events", "connection.events.terminated", "--day", "0")
			Expect(r.code).To(Equal(exitOK), r.output())
			Expect(r.stdout).To(ContainSubstring("2 scenario(s): 1 passed, 0 failed, 1 skipped; 1 deliveries"))
		})

		It("exits 1, not 4, when the one scenario that sent something failed", func() {
			r := tartansim("", "run", "onboarding", "termination", "--events", "connection.events.terminated", "--day", "0",
				"--target", failing(), "--key", secretKey)
			Expect(r.code).To(Equal(exitShort), r.output())
			Expect(r.stdout).To(ContainSubstring("2 scenario(s): 0 passed, 1 failed, 1 skipped"))
		})

		It("keeps a dry run, which sends nothing by design, at exit 0", func() {
			r := tartansim("", "run", "onboarding", "--dry-run")
			Expect(r.code).To(Equal(exitOK), r.output())
		})
	})
})
