package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Every number, duration and threshold that makes no sense is refused with
// exit 2 and one sentence that names the flag or the variable, and nothing
// is sent: never replaced by a default.
var _ = Describe("a value that makes no sense", Label("values"), func() {
	// counted is a target that counts what reaches it.
	counted := func() (string, *atomic.Int64) {
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { n.Add(1) }))
		DeferCleanup(srv.Close)
		return srv.URL + "/webhook", &n
	}

	DescribeTable("is refused in one sentence, exit 2, and nothing is sent",
		func(env map[string]string, args []string, sentence string) {
			for k, v := range env {
				GinkgoT().Setenv(k, v)
			}
			url, hits := counted()
			if args[0] != "completion" {
				args = append(args, "--target", url, "--key", secretKey)
			}
			r := tartansim("", args...)
			Expect(r.code).To(Equal(exitUsage), r.output())
			Expect(r.stdout).To(BeEmpty())
			Expect(r.stderr).To(Equal("tartansim: " + sentence + ".\n"))
			Expect(hits.Load()).To(BeZero(), "nothing reached the target")
		},
		Entry("a negative scenario day", nil, []string{"run", "onboarding", "--day", "-1s"},
			`--day "-1s" is negative: give how long one scenario day takes in real time, like 200ms, or 0 not to wait`),
		Entry("a scenario day that is not a duration", nil, []string{"run", "onboarding", "--day", "1 day"},
			`--day "1 day" is not a duration like 10s or 500ms`),
		Entry("a zero timeout", nil, []string{"run", "onboarding", "--timeout", "0s"},
			`--timeout "0s" is not positive: give how long a delivery may take, like 10s or 500ms`),
		Entry("a negative timeout", nil, []string{"conformance", "--timeout", "-5s"},
			`--timeout "-5s" is not positive: give how long a delivery may take, like 10s or 500ms`),
		Entry("a timeout without a unit", nil, []string{"send", "sync.events.initiated", "--timeout", "10"},
			`--timeout "10" is not a duration like 10s or 500ms`),
		Entry("a negative settle budget", nil, []string{"run", "onboarding", "--settle", "-1s"},
			`--settle "-1s" is negative: give how long to wait, like 10s, or 0 to judge at once`),
		Entry("no checks at once", nil, []string{"conformance", "--parallel", "0"},
			`--parallel "0" is not 1 or more: give how many checks play at once (1 plays them one after another)`),
		Entry("a negative number of checks at once", nil, []string{"conformance", "--parallel", "-3"},
			`--parallel "-3" is not 1 or more: give how many checks play at once (1 plays them one after another)`),
		Entry("checks at once that are not a number", nil, []string{"conformance", "--parallel", "many"},
			`--parallel "many" is not a whole number`),
		Entry("a negative seed", nil, []string{"send", "sync.events.initiated", "--seed", "-1"},
			`--seed "-1" is not a whole number from 0 to 18446744073709551615`),
		Entry("a seed that is not a number", nil, []string{"run", "onboarding", "--seed", "abc"},
			`--seed "abc" is not a whole number from 0 to 18446744073709551615`),
		Entry("a seed too large", nil, []string{"conformance", "--seed", "18446744073709551616"},
			`--seed "18446744073709551616" is not a whole number from 0 to 18446744073709551615`),
		Entry("TARTAN_TIMEOUT that is not a duration", map[string]string{envTimeout: "soon"}, []string{"run", "onboarding"},
			`TARTAN_TIMEOUT="soon" is not a duration like 10s or 500ms`),
		Entry("TARTAN_TIMEOUT of zero", map[string]string{envTimeout: "0"}, []string{"conformance"},
			`TARTAN_TIMEOUT="0" is not positive: give how long a delivery may take, like 10s or 500ms`),
		Entry("a negative TARTAN_TIMEOUT", map[string]string{envTimeout: "-1s"}, []string{"send", "sync.events.initiated"},
			`TARTAN_TIMEOUT="-1s" is not positive: give how long a delivery may take, like 10s or 500ms`),
		Entry("TARTAN_SETTLE that is not a duration", map[string]string{envSettle: "later"}, []string{"conformance"},
			`TARTAN_SETTLE="later" is not a duration like 10s or 500ms (0 judges at once)`),
		Entry("a negative TARTAN_SETTLE", map[string]string{envSettle: "-2s"}, []string{"run", "onboarding"},
			`TARTAN_SETTLE="-2s" is negative: give how long to wait, like 10s, or 0 to judge at once`),
		Entry("TARTAN_SEED that is not a number", map[string]string{envSeed: "x"}, []string{"run", "onboarding"},
			`TARTAN_SEED="x" is not a whole number from 0 to 18446744073709551615`),
		Entry("a negative TARTAN_SEED", map[string]string{envSeed: "-7"}, []string{"send", "sync.events.initiated"},
			`TARTAN_SEED="-7" is not a whole number from 0 to 18446744073709551615`),
		Entry("a shell tartansim has no completion for", nil, []string{"completion", "tcsh"},
			`unsupported shell "tcsh": tartansim completes bash, fish, powershell or zsh`),
		Entry("completion without a shell", nil, []string{"completion"},
			`completion needs a shell: bash, fish, powershell or zsh`),
	)

	It("lets a flag's good value beat the variable's bad one, as a flag beats its variable", func() {
		GinkgoT().Setenv(envTimeout, "soon")
		GinkgoT().Setenv(envSeed, "x")
		r := tartansim("", "send", "sync.events.initiated", "--dry-run", "--timeout", "2s", "--seed", "4")
		Expect(r.code).To(Equal(exitOK), r.output())
	})

	It("still prints a completion script for a shell it knows", func() {
		r := tartansim("", "completion", "bash")
		Expect(r.code).To(Equal(exitOK), r.output())
		Expect(strings.Contains(r.stdout, "bash completion")).To(BeTrue())
	})
})
