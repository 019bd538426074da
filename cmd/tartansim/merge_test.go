package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/load"
)

// shardRun runs load --shard shard with the small run's flags and extra,
// and writes its --json report into dir as name; it returns the file.
func shardRun(dir, name, shard string, extra ...string) string {
	GinkgoHelper()
	args := append([]string{"load", "--count", "300", "--rate", "6000", "--orgs", "4", "--employees", "10", "--seed", "3", "--json", "--shard", shard}, extra...)
	r := tartansim("", args...)
	Expect(r.code).To(BeElementOf(0, 3), r.output())
	file := filepath.Join(dir, name)
	Expect(os.WriteFile(file, []byte(r.stdout), 0o644)).To(Succeed())
	return file
}

var _ = Describe("tartansim merge", Label("load"), func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("refuses shards that are not parts of one run, naming the files and how they differ", func() {
		a := shardRun(dir, "a.json", "0/2")
		for _, tc := range []struct {
			name  string
			extra []string
			want  string
		}{
			{"b-seed.json", []string{"--seed", "4"}, "a.json and " + filepath.Join(dir, "b-seed.json") + " are not parts of one run: different seeds (3, 4)"},
			{"b-rate.json", []string{"--rate", "5000"}, "different rates or profiles (constant 6000/s, constant 5000/s)"},
			{"b-duration.json", []string{"--duration", "1m"}, "different durations (none, 1m0s)"},
			{"b-orgs.json", []string{"--employees", "11"}, "different streams (4 corporates of 40 employees in all"},
		} {
			b := shardRun(dir, tc.name, "1/2", tc.extra...)
			r := tartansim("", "merge", a, b)
			Expect(r.code).To(Equal(2), "%s: %s", tc.name, r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring(tc.want))
			Expect(r.stdout).To(BeEmpty(), "nothing merged")
		}
	})

	It("refuses a shard twice and a missing one, and merges a partial run only when asked, naming what is missing", func() {
		files := []string{shardRun(dir, "s0.json", "0/4"), shardRun(dir, "s1.json", "1/4"), shardRun(dir, "s3.json", "3/4")}
		r := tartansim("", "merge", files[0], files[1], files[1], files[2])
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("s1.json and " + files[1] + " are the same part of the run (shard 1/4)"))

		r = tartansim("", append([]string{"merge"}, files...)...)
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("shard 2/4 is missing: no report holds it; merge every shard's report, or pass --partial"))

		r = tartansim("", append([]string{"merge", "--partial"}, files...)...)
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("merged 3 parts: 0/4 1/4 3/4"))
		Expect(r.stdout).To(ContainSubstring("PARTIAL: no report for 2/4"))
		r = tartansim("", append([]string{"merge", "--partial", "--json"}, files...)...)
		Expect(r.code).To(Equal(0), r.output())
		var merged struct {
			Missing []string `json:"missing"`
			Parts   []string `json:"parts"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &merged)).To(Succeed())
		Expect(merged.Missing).To(Equal([]string{"2/4"}))
		Expect(merged.Parts).To(Equal([]string{"0/4", "1/4", "3/4"}))
	})

	It("merges shards and segments that tile the run, and judges thresholds on the whole", func() {
		files := []string{shardRun(dir, "a.json", "0/2"), shardRun(dir, "b.json", "2/4")}
		r := tartansim("", "load", "--count", "300", "--rate", "6000", "--orgs", "4", "--employees", "10", "--seed", "3", "--json", "--segment", "0.75:1")
		Expect(r.code).To(Equal(0), r.output())
		files = append(files, filepath.Join(dir, "c.json"))
		Expect(os.WriteFile(files[2], []byte(r.stdout), 0o644)).To(Succeed())
		r = tartansim("", append([]string{"merge", "--json"}, files...)...)
		Expect(r.code).To(Equal(0), r.output())
		var merged struct{ Sent, OK int }
		Expect(json.Unmarshal([]byte(r.stdout), &merged)).To(Succeed())
		Expect(merged.Sent).To(Equal(300))
		r = tartansim("", append([]string{"merge", "--max-p99", "1ns"}, files...)...)
		Expect(r.code).To(Equal(1), r.output())
		Expect(r.stderr).To(ContainSubstring("--max-p99 1ns breached"))
	})

	It("exits 3 when no shard reached the target and 4 when the shards sent nothing", func() {
		down := "http://" + freeLoopback() + "/webhook"
		files := []string{shardRun(dir, "a.json", "0/2", "--target", down, "--key", "k"), shardRun(dir, "b.json", "1/2", "--target", down, "--key", "k")}
		r := tartansim("", append([]string{"merge"}, files...)...)
		Expect(r.code).To(Equal(3), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("no shard reached " + down + ": connection refused"))

		for i := range 2 {
			rep := load.NewReport()
			rep.Seed, rep.Profile, rep.Shard = 1, "constant 10/s", fmt.Sprintf("%d/2", i)
			b, err := json.Marshal(rep)
			Expect(err).NotTo(HaveOccurred())
			files[i] = filepath.Join(dir, fmt.Sprintf("empty-%d.json", i))
			Expect(os.WriteFile(files[i], b, 0o644)).To(Succeed())
		}
		r = tartansim("", append([]string{"merge"}, files...)...)
		Expect(r.code).To(Equal(4), r.output())
		Expect(r.stderr).To(ContainSubstring("the shards sent nothing"))
	})

	DescribeTable("refuses bad input with exit 2 and one sentence",
		func(want string, args ...string) {
			r := tartansim("", append([]string{"merge"}, args...)...)
			Expect(r.code).To(Equal(2), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring(want))
		},
		Entry("a file that is not there", "cannot read nothing-here.json: no such file", "nothing-here.json"),
		Entry("a negative p99", `--max-p99 "-1ms" is negative`, "x.json", "--max-p99", "-1ms"),
		Entry("a min rate over 1", `--min-rate "3" is not a ratio from 0 to 1`, "x.json", "--min-rate", "3"),
		Entry("no file", "requires at least 1 arg"),
	)
})

var _ = Describe("tartansim replay's numbers", Label("load"), func() {
	DescribeTable("refuses a nonsense number, naming its flag",
		func(want string, args ...string) {
			log := filepath.Join(GinkgoT().TempDir(), "one.ndjson")
			Expect(tartansim("", "run", "onboarding", "--day", "0", "--record", log).code).To(Equal(0))
			r := tartansim("", append([]string{"replay", log}, args...)...)
			Expect(r.code).To(Equal(2), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring(want))
		},
		Entry("a negative rate", `--rate "-1" is not deliveries per second`, "--rate", "-1"),
		Entry("no concurrency", `--concurrency "0" is not a count: give 1 or more`, "--concurrency", "0"),
		Entry("a negative count", `--count "-2" is negative: give how many deliveries`, "--count", "-2"),
		Entry("a zero count", `--count "0" is not a count: give 1 or more`, "--count", "0"),
	)

	It("refuses an empty log, and one holding only a torn line", func() {
		dir := GinkgoT().TempDir()
		empty, torn := filepath.Join(dir, "empty.ndjson"), filepath.Join(dir, "torn.ndjson")
		Expect(os.WriteFile(empty, nil, 0o644)).To(Succeed())
		Expect(os.WriteFile(torn, []byte(`{"headers":{"tartan-sig`), 0o644)).To(Succeed())
		for _, file := range []string{empty, torn} {
			for _, how := range []string{"--dry-run", "--rate=100"} {
				r := tartansim("", "replay", file, how)
				Expect(r.code).To(Equal(2), "%s %s: %s", file, how, r.output())
				Expect(r.stderr).To(HaveSuffix("tartansim: " + file + " holds no complete delivery: nothing to replay.\n"))
			}
		}
	})
})
