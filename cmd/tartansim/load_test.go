package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
)

var _ = Describe("tartansim load", Label("load"), func() {
	It("loads the built-in consumer and prints percentiles, rates and counts", func() {
		r := tartansim("", "load", "--events", "2000", "--rate", "4000", "--orgs", "3", "--employees", "20")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(MatchRegexp(`achieved rate: [\d.]+/s \(target [\d.]+/s`))
		Expect(r.stdout).To(MatchRegexp(`sent 2000  ok 2000  errors 0`))
		Expect(r.stdout).To(MatchRegexp(`latency \(from intended send time\):\s+p50 \S+ p90 \S+ p99 \S+ p99.9 \S+ max \S+`))
	})

	It("exits 1 naming the breached threshold", func() {
		r := tartansim("", "load", "--events", "300", "--rate", "3000", "--orgs", "2", "--employees", "10", "--max-p99", "1ns")
		Expect(r.code).To(Equal(1), r.output())
		Expect(r.stdout).To(ContainSubstring("BREACHED: --max-p99 1ns breached"))
		Expect(r.stderr).To(ContainSubstring("--max-p99 1ns breached"))
	})

	It("exits 3 with one sentence when the target is down", func() {
		addr := freeLoopback() // nobody listens there
		r := tartansim("", "load", "--events", "50", "--rate", "1000", "--target", "http://"+addr+"/webhook", "--key", "k")
		Expect(r.code).To(Equal(3), r.output())
		Expect(r.stderr).To(Equal("tartansim: could not reach http://" + addr + "/webhook: connection refused.\n"))
	})

	It("splits a run into shards whose merged report holds every send", func() {
		dir := GinkgoT().TempDir()
		var files []string
		for _, shard := range []string{"0/2", "1/2"} {
			r := tartansim("", "load", "--events", "400", "--rate", "4000", "--orgs", "2", "--employees", "10", "--shard", shard, "--json", "--seed", "3")
			Expect(r.code).To(Equal(0), r.output())
			file := filepath.Join(dir, strings.ReplaceAll(shard, "/", "-")+".json")
			Expect(os.WriteFile(file, []byte(r.stdout), 0o644)).To(Succeed())
			files = append(files, file)
		}
		r := tartansim("", append([]string{"merge", "--json"}, files...)...)
		Expect(r.code).To(Equal(0), r.output())
		var merged struct {
			Sent int64 `json:"sent"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &merged)).To(Succeed())
		Expect(merged.Sent).To(Equal(int64(400)))
		Expect(tartansim("", append([]string{"merge", "--max-p99", "1ns"}, files...)...).code).To(Equal(1))
	})

	It("records a run and replays it, keeping or re-signing the signatures", func() {
		file := filepath.Join(GinkgoT().TempDir(), "rec.ndjson")
		r := tartansim("", "run", "eod-retry", "--day", "0", "--record", file, "--key", secretKey)
		Expect(r.code).To(Equal(0), r.output())

		other := "another-app-key"
		ref := consumer.New([]byte(other))
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		// Kept signatures were made with secretKey: the other consumer refuses them.
		kept := tartansim("", "replay", file, "--target", srv.URL+consumer.WebhookPath, "--rate", "2000")
		Expect(kept.code).To(Equal(1), kept.output())
		resigned := tartansim("", "replay", file, "--target", srv.URL+consumer.WebhookPath, "--rate", "2000", "--resign", "--key", other)
		Expect(resigned.code).To(Equal(0), resigned.output())
		Expect(resigned.output()).NotTo(ContainSubstring(other))
		Expect(resigned.stdout).To(MatchRegexp(`achieved rate: [\d.]+/s \(target 2000.0/s, `), "replay has a target rate, and no --rate max")
		Expect(resigned.stdout).To(MatchRegexp(`max in flight [1-9]`))
	})

	It("refuses a dry-run replay to a malformed target, as a real one", func() {
		file := filepath.Join(GinkgoT().TempDir(), "rec.ndjson")
		Expect(tartansim("", "run", "onboarding", "--day", "0", "--record", file).code).To(Equal(0))
		r := tartansim("", "replay", file, "--dry-run", "--target", "notaurl")
		Expect(r.code).To(Equal(2), r.output())
		Expect(r.stderr).To(ContainSubstring(`--target "notaurl" is not an http:// or https:// URL`))
	})

	It("refuses a malformed log with the file and line", func() {
		file := filepath.Join(GinkgoT().TempDir(), "bad.ndjson")
		Expect(os.WriteFile(file, []byte("{\"headers\":{},\"body\":\"{}\"}\nnot json\n"), 0o644)).To(Succeed())
		r := tartansim("", "replay", file, "--rate", "1000")
		Expect(r.code).To(Equal(2), r.output())
		Expect(r.stderr).To(ContainSubstring("bad.ndjson:2"))
	})

	DescribeTable("refuses bad flags with exit 2",
		func(want string, args ...string) {
			for _, dry := range []string{"--dry-run", "--quiet"} { // refused before anything is planned or sent
				r := tartansim("", append([]string{"load", dry}, args...)...)
				Expect(r.code).To(Equal(2), r.output())
				oneSentence(r)
				Expect(r.stderr).To(ContainSubstring(want))
				Expect(r.stdout).To(BeEmpty())
			}
		},
		Entry("a bad profile", "profile", "--profile", "sine"),
		Entry("a bad shard", `--shard "3/3" is not a shard: give I/N with 0 <= I < N`, "--shard", "3/3"),
		Entry("no shards at all", `--shard "2/0" is not a shard`, "--shard", "2/0"),
		Entry("a segment backwards", `--segment "0.5:0.2" is not a segment: give a:b with 0 <= a < b <= 1`, "--segment", "0.5:0.2"),
		Entry("a shard and a segment", "--shard and --segment both given", "--shard", "0/2", "--segment", "0:1/2"),
		Entry("more shards than corporates", `--shard "0/4" is more shards than the run has corporates (3)`, "--shard", "0/4", "--orgs", "3"),
		Entry("a segment without a corporate", `--segment "0:1/50" holds no corporate`, "--segment", "0:1/50", "--orgs", "3", "--concurrency", "50"),
		Entry("too little concurrency for the shards", `--concurrency "2" is too few to split across the parts of the run`, "--shard", "0/4", "--concurrency", "2"),
		Entry("a threshold on a shard", "--max-p99 is evaluated on the whole run: pass it to 'tartansim merge'", "--shard", "1/4", "--max-p99", "1s"),
		Entry("a start long gone", `--start-at "2020-01-01T00:00:00Z" was `, "--start-at", "2020-01-01T00:00:00Z"),
		Entry("a start that is not a time", `--start-at "9:30" is not an RFC 3339 instant`, "--start-at", "9:30"),
		Entry("a negative count", `--count "-1" is negative: give how many sends, 1 or more`, "--count", "-1"),
		Entry("a zero count", `--count "0" is not a count: give 1 or more`, "--count", "0"),
		Entry("a zero count, the older way", `--events "0" is not a count: give 1 or more`, "--events", "0"),
		Entry("no corporates", `--orgs "0" is not a count: give 1 or more`, "--orgs", "0"),
		Entry("negative corporates", `--orgs "-2" is negative: give how many corporates, 1 or more`, "--orgs", "-2"),
		Entry("no employees", `--employees "0" is not a count: give 1 or more`, "--employees", "0"),
		Entry("negative changes", `--changes "-1" is negative: give how many records a delta session changes`, "--changes", "-1"),
		Entry("a negative duration", `--duration "-1s" is negative: give how long the run lasts`, "--duration", "-1s"),
		Entry("a negative p99", `--max-p99 "-1ms" is negative: give a latency limit such as 500ms`, "--max-p99", "-1ms"),
		Entry("a zero p99", `--max-p99 "0" is zero: give a positive duration`, "--max-p99", "0"),
		Entry("a NaN rate", `--rate "NaN" is not sends per second`, "--rate", "NaN"),
		Entry("a bad error rate", "--max-error-rate", "--max-error-rate", "lots"),
		Entry("a bad min rate", `--min-rate "2" is not a ratio from 0 to 1`, "--min-rate", "2"),
		Entry("no concurrency", `--concurrency "0" is not a count: give 1 or more`, "--concurrency", "0"),
		Entry("negative concurrency", `--concurrency "-3" is negative: give how many requests may be in flight`, "--concurrency", "-3"),
		Entry("a zero rate", "rate", "--rate", "0"),
		Entry("a rate that is not a number", `--rate "fast" is not sends per second: give a positive number such as 2000, or "max"`, "--rate", "fast"),
		Entry("a dry run to a malformed target", `--target "notaurl" is not an http:// or https:// URL`, "--dry-run", "--target", "notaurl"),
		Entry("a profile without a rate", "--profile eod-burst needs a rate to shape", "--rate", "max", "--profile", "eod-burst"),
		Entry("a min rate without a target", "--min-rate needs a target rate", "--rate", "max", "--min-rate", "0.9"),
	)

	It("plans a shard's part of --count in a dry run, as the real run sends it", func() {
		var planned int
		for shard := range 3 {
			args := []string{"load", "--count", "500", "--rate", "20000", "--orgs", "6", "--employees", "20", "--seed", "5", "--shard", fmt.Sprintf("%d/3", shard)}
			plan := tartansim("", append(args, "--dry-run")...)
			Expect(plan.code).To(Equal(0), plan.output())
			var n int
			_, err := fmt.Sscanf(plan.stdout[strings.Index(plan.stdout, "until --events: ")+len("until --events: "):], "%d deliveries planned", &n)
			Expect(err).NotTo(HaveOccurred(), plan.stdout)
			Expect(plan.stdout).To(MatchRegexp(`shard %d/3: 2 of 6 corporates \(40 employees\), [56] of the 16 connections`, shard))
			r := tartansim("", append(args, "--json")...)
			Expect(r.code).To(Equal(0), r.output())
			var rep struct{ Sent, Planned int }
			Expect(json.Unmarshal([]byte(r.stdout), &rep)).To(Succeed())
			Expect(rep.Sent).To(Equal(n), "shard %d/3 sent what its plan said", shard)
			Expect(rep.Planned).To(Equal(n))
			planned += n
		}
		Expect(planned).To(Equal(500), "the shards' plans add up to the whole run")
	})

	It("runs a closed model with --rate max: no target, nothing late or dropped", func() {
		r := tartansim("", "load", "--rate", "max", "--events", "500", "--concurrency", "4", "--orgs", "2", "--employees", "20")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(MatchRegexp(`achieved rate: [\d.]+/s \(no target: --rate max\)`))
		Expect(r.stdout).To(ContainSubstring("sent 500  ok 500  errors 0 (0.000%)  dropped 0  late 0  max in flight"))
		Expect(r.stdout).To(ContainSubstring("schedule lag:                      none: --rate max keeps no schedule\n"))
		Expect(r.stdout).To(MatchRegexp(`service time \(from actual send\):   p50 \S+ p90`))
	})
})

var _ = Describe("an interrupted load", Label("load"), func() {
	It("stops, prints and writes the report of what was sent, and exits 130", func(spec SpecContext) {
		GinkgoT().Setenv(envKey, "")
		ctx, cancel := context.WithCancel(spec)
		defer cancel()
		ref := consumer.New([]byte(secretKey))
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ref.ServeHTTP(w, r)
			if n.Add(1) == 200 {
				cancel() // as SIGINT does
			}
		}))
		DeferCleanup(srv.Close)
		dir := GinkgoT().TempDir()
		rec, page := filepath.Join(dir, "rec.ndjson"), filepath.Join(dir, "report.html")
		r := tartansimCtx(ctx, "", "load", "--target", srv.URL, "--key", secretKey, "--rate", "2000",
			"--duration", "1m", "--orgs", "2", "--employees", "10", "--record", rec, "--html", page)
		Expect(r.code).To(Equal(130), r.output())
		Expect(r.stdout).To(MatchRegexp(`sent \d+  ok \d+`))
		Expect(r.stderr).To(MatchRegexp(`interrupted after \d+ sends`))
		data, err := os.ReadFile(rec)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(data), "\n")).To(BeNumerically(">=", 200))
		Expect(page).To(BeAnExistingFile())
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("--dry-run", Label("staging"), func() {
	It("sends nothing, from every command that sends", func() {
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		DeferCleanup(srv.Close)
		log := filepath.Join(GinkgoT().TempDir(), "plan.ndjson")
		target := []string{"--target", srv.URL, "--key", secretKey}

		r := tartansim("", append([]string{"run", "eod-retry", "--dry-run", "--record", log}, target...)...)
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("nothing sent"))
		data, err := os.ReadFile(log)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(data), "\n")).To(BeNumerically(">", 5), "the plan records the exact bytes")

		for _, args := range [][]string{
			append([]string{"send", "sync.events.initiated", "--dry-run"}, target...),
			append([]string{"load", "--dry-run", "--events", "50", "--orgs", "2", "--employees", "10"}, target...),
			append([]string{"replay", log, "--dry-run"}, target...),
			append([]string{"conformance", "--dry-run"}, target...),
		} {
			r := tartansim("", args...)
			Expect(r.code).To(Equal(0), "%v: %s", args, r.output())
			Expect(r.output()).NotTo(ContainSubstring(secretKey))
		}
		Expect(hits.Load()).To(BeZero(), "a dry run reached the target")
	})
})
