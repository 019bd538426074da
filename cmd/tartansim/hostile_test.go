package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/internal/hostile"
)

// The exit codes and classes users see when a consumer misbehaves: the CLI
// side of the hostile consumer suites in sender and scenarios.
var _ = Describe("tartansim against a hostile consumer", Label("hostile"), func() {
	start := func(b hostile.Behaviour) *hostile.Consumer {
		c := hostile.Start(b)
		DeferCleanup(c.Close)
		return c
	}
	// tlsArgs trusts an https hostile consumer's certificate.
	tlsArgs := func(c *hostile.Consumer) []string {
		if c.RootCAs() == nil {
			return nil
		}
		return []string{"--insecure"}
	}

	DescribeTable("send exits promptly with the code the failure deserves",
		func(b hostile.Behaviour, code int, class string) {
			c := start(b)
			began := time.Now()
			r := tartansim("", append([]string{"send", "sync.events.employee.add", "--target", c.URL, "--key", secretKey, "--timeout", "300ms", "--json"}, tlsArgs(c)...)...)
			Expect(time.Since(began)).To(BeNumerically("<", 2*time.Second))
			Expect(r.code).To(Equal(code), r.output())
			var out struct {
				Class string `json:"class"`
				OK    bool   `json:"ok"`
			}
			Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed(), r.stdout)
			Expect(out.Class).To(Equal(class))
			if code != 0 {
				Expect(strings.Count(r.stderr, "\n")).To(Equal(1), "one sentence: %s", r.stderr)
			}
			Expect(r.output()).NotTo(ContainSubstring(secretKey))
		},
		Entry("resets the connection", hostile.Reset, 1, "reset"),
		Entry("accepts and never reads", hostile.BlackHole, 1, "timeout"),
		Entry("never answers", hostile.Silent, 1, "timeout"),
		Entry("answers headers, then stalls the body", hostile.StallBody, 1, "timeout"),
		Entry("trickles the headers", hostile.TrickleHeaders, 1, "timeout"),
		Entry("trickles the body", hostile.TrickleBody, 1, "timeout"),
		Entry("closes in the middle of the headers", hostile.CloseMidHeaders, 1, "reset"),
		Entry("closes in the middle of the body", hostile.CloseMidBody, 1, "reset"),
		Entry("answers 200 with a 1 GiB body", hostile.HugeBody(200), 0, "none"),
		Entry("answers 500 with a 1 GiB body", hostile.HugeBody(500), 1, "status"),
		Entry("redirects with 301 to another host", hostile.Redirect(301, "http://localhost:1/webhook"), 1, "redirect"),
		Entry("redirects with 307", hostile.Redirect(307, "/elsewhere"), 1, "redirect"),
		Entry("answers 429 with Retry-After", hostile.RetryAfter(429, "1"), 1, "status"),
		Entry("answers 503 with Retry-After", hostile.RetryAfter(503, "120"), 1, "status"),
		Entry("answers 200 with HTML", hostile.NonJSON(200), 0, "none"),
		Entry("answers 502 with HTML", hostile.NonJSON(502), 1, "status"),
		Entry("speaks only h2c", hostile.H2C, 1, "reset"),
		Entry("answers HTTP/2 frames", hostile.H2Frames, 1, "other"),
		Entry("requires h2 in TLS ALPN", hostile.H2TLS, 3, "tls"),
	)

	It("run finishes against a consumer that never answers, records every attempt and exits 1", func() {
		c := start(hostile.Silent)
		file := filepath.Join(GinkgoT().TempDir(), "rec.ndjson")
		began := time.Now()
		r := tartansim("", "run", "eod-retry", "--day", "0", "--timeout", "200ms", "--target", c.URL, "--key", secretKey, "--record", file)
		Expect(time.Since(began)).To(BeNumerically("<", 10*time.Second))
		Expect(r.code).To(Equal(1), r.output())
		Expect(r.stdout).To(MatchRegexp(`FAIL  \d+ deliveries: 0 acknowledged, 0 redelivered at EOD, \d+ failed for good`))
		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(data), `"class":"timeout"`)).To(BeNumerically(">", 0))
	})

	It("run exits 3 when no delivery could get past the TLS handshake", func() {
		c := start(hostile.H2TLS)
		r := tartansim("", "run", "onboarding", "--day", "0", "--timeout", "300ms", "--target", c.URL, "--key", secretKey, "--insecure")
		Expect(r.code).To(Equal(3), r.output())
		Expect(r.stderr).To(HavePrefix("tartansim: could not reach " + c.URL + ": TLS: "))
	})
})
