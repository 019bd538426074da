package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
)

var _ = Describe("tartansim run", Label("scenarios"), func() {
	It("plays the whole catalogue against the built-in consumer with no arguments and exits 0", func() {
		r := tartansim("", "run", "--day", "0")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("built-in reference consumer"))
		Expect(r.stdout).To(MatchRegexp(`\d+ scenario\(s\): \d+ passed, 0 failed`))
		Expect(r.stdout).To(ContainSubstring("re-sent"))
		Expect(r.stdout).To(ContainSubstring("converged"))
		Expect(r.stdout).To(MatchRegexp(`reproduce: tartansim run --seed \d+ --at `))
	})

	It("exits 1 with a plain account when the consumer drops data", func() {
		ref := consumer.New([]byte(secretKey))
		mux := http.NewServeMux()
		mux.Handle(consumer.ProbePath, ref.Probe())
		mux.HandleFunc(consumer.WebhookPath, func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(`"sync.events.employee.update"`)) {
				return // 200, and nothing stored
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			ref.ServeHTTP(w, r)
		})
		srv := httptest.NewServer(mux)
		DeferCleanup(srv.Close)
		r := tartansim("", "run", "weekly-delta", "--day", "0", "--seed", "3",
			"--target", srv.URL+consumer.WebhookPath, "--probe", srv.URL+consumer.ProbePath, "--key", secretKey)
		Expect(r.code).To(Equal(1), r.output())
		Expect(r.stdout).To(ContainSubstring("DIVERGED"))
		Expect(r.stdout).To(MatchRegexp(`employee \S+ has \w+=`))
		Expect(r.stderr).To(ContainSubstring("seed 3"))
		Expect(r.output()).NotTo(ContainSubstring(secretKey))
	})

	It("exits 3 with one sentence when the target is down", func() {
		addr := freeLoopback() // nobody listens there
		r := tartansim("", "run", "onboarding", "--day", "0", "--target", "http://"+addr+"/webhook", "--key", "k")
		Expect(r.code).To(Equal(3), r.output())
		Expect(r.stderr).To(Equal("tartansim: could not reach http://" + addr + "/webhook: connection refused.\n"))
	})

	It("exits 3 with one sentence when the probe is down, in run and conformance alike", func() {
		srv := httptest.NewServer(consumer.New([]byte(secretKey)).Handler())
		DeferCleanup(srv.Close)
		probe := "http://" + freeLoopback() + "/probe?token=t0ps3cret"
		for _, args := range [][]string{{"run", "onboarding", "--day", "0"}, {"conformance", "--label-filter", "SIG-MISSING"}} {
			r := tartansim("", append(args, "--target", srv.URL+consumer.WebhookPath, "--probe", probe, "--key", secretKey)...)
			Expect(r.code).To(Equal(3), "%v: %s", args, r.output())
			Expect(r.stderr).To(Equal("tartansim: could not reach the state probe " + strings.Replace(probe, "t0ps3cret", "xxxxx", 1) + ": connection refused.\n"))
		}
	})

	It("refuses a bad scenario file with file:line and exit 2", func() {
		file := filepath.Join(GinkgoT().TempDir(), "bad.yaml")
		Expect(os.WriteFile(file, []byte("name: bad\norgs:\n  - id: a\n    employees: 3\nsteps:\n  - delta-sync: {org: a, leaverz: 1}\n"), 0o644)).To(Succeed())
		r := tartansim("", "run", file)
		Expect(r.code).To(Equal(2), r.output())
		Expect(r.stderr).To(ContainSubstring("bad.yaml:6:"))
		Expect(r.stderr).To(ContainSubstring("leaverz"))
	})

	It("refuses an unknown scenario name with exit 2", func() {
		r := tartansim("", "run", "no-such-scenario")
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring("no-such-scenario"))
	})

	It("records every attempt as NDJSON with exact bytes and no key, and reports JSON", func() {
		file := filepath.Join(GinkgoT().TempDir(), "rec.ndjson")
		r := tartansim("", "run", "eod-retry", "--day", "0", "--record", file, "--json", "--key", secretKey)
		Expect(r.code).To(Equal(0), r.output())
		var out struct {
			Passed    bool `json:"passed"`
			Scenarios []struct {
				Scenario   string `json:"scenario"`
				Deliveries []any  `json:"deliveries"`
			} `json:"scenarios"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed())
		Expect(out.Passed).To(BeTrue())
		Expect(out.Scenarios[0].Scenario).To(Equal("eod-retry"))

		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring(secretKey))
		lines, eods := 0, 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			var line struct {
				Kind    string              `json:"kind"`
				Body    string              `json:"body"`
				Headers map[string][]string `json:"headers"`
			}
			Expect(json.Unmarshal(sc.Bytes(), &line)).To(Succeed())
			Expect(json.Valid([]byte(line.Body))).To(BeTrue())
			Expect(line.Headers).To(HaveKey("tartan-signature"))
			lines++
			if line.Kind == "eod" {
				eods++
			}
		}
		Expect(lines).To(BeNumerically(">", len(out.Scenarios[0].Deliveries)))
		Expect(eods).To(BeNumerically(">", 0))
		Expect(strings.Count(string(data), "\n")).To(Equal(lines))
	})

	It("lists the built-in scenarios and prints the schema", func() {
		r := tartansim("", "scenarios")
		Expect(r.code).To(Equal(0))
		for _, name := range []string{"onboarding", "weekly-delta", "realtime-day", "eod-retry", "duplicates", "out-of-order", "termination", "signature-attacks", "payload-quirks", "multi-org"} {
			Expect(r.stdout).To(ContainSubstring(name))
		}
		s := tartansim("", "scenarios", "--schema")
		Expect(s.code).To(Equal(0))
		Expect(json.Valid([]byte(s.stdout))).To(BeTrue())
	})
})

var _ = Describe("an interrupted run", Label("scenarios"), func() {
	It("stops, prints the report of what was sent, writes the record and exits 130", func() {
		GinkgoT().Setenv(envKey, "")
		file := filepath.Join(GinkgoT().TempDir(), "rec.ndjson")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan invocation, 1)
		// A scenario day of 10 minutes: the run is still between steps when
		// the interrupt comes.
		go func() { done <- tartansimCtx(ctx, "", "run", "weekly-delta", "--day", "10m", "--record", file) }()
		Eventually(func() int64 {
			st, err := os.Stat(file)
			if err != nil {
				return 0
			}
			return st.Size()
		}, 5*time.Second, 10*time.Millisecond).Should(BeNumerically(">", 0))
		cancel()
		var r invocation
		Eventually(done, 5*time.Second).Should(Receive(&r))
		Expect(r.code).To(Equal(130), r.output())
		Expect(r.stdout).To(ContainSubstring("INTERRUPTED"))
		Expect(r.stdout).To(ContainSubstring("invite corp"))
		Expect(r.stderr).To(ContainSubstring("interrupted"))
		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(data), "\n")).To(BeNumerically(">=", 1))
	})
})
