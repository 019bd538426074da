package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The proof on one machine: shard processes of the real binary, started
// together against one loopback sink, then merged.
var _ = Describe("a run split into shard processes", Label("load", "shards"), func() {
	It("sends the unsharded run's deliveries exactly once, each session from one shard, starting together, and merges exactly", func(ctx SpecContext) {
		const shards = 4
		bin := buildTartansim(ctx)
		sink := newDeliverySink()
		run := []string{"load", "--key", secretKey, "--seed", "9", "--count", "900", "--rate", "3000",
			"--orgs", "7", "--employees", "23", "--changes", "12", "--concurrency", "8", "--json"}

		// The same run without shards, for what the shards must send together.
		whole := tartansim("", append(run, "--target", sink.URL+"/whole")...)
		Expect(whole.code).To(Equal(0), whole.output())

		dir := GinkgoT().TempDir()
		startAt := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond)
		var files []string
		var procs []*exec.Cmd
		for i := range shards {
			file := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
			out, err := os.Create(file)
			Expect(err).NotTo(HaveOccurred())
			cmd := exec.CommandContext(ctx, bin, append(run, "--target", fmt.Sprintf("%s/shard/%d", sink.URL, i),
				"--shard", fmt.Sprintf("%d/%d", i, shards), "--start-at", startAt.Format(time.RFC3339Nano))...)
			cmd.Stdout, cmd.Stderr = out, GinkgoWriter
			Expect(cmd.Start()).To(Succeed())
			DeferCleanup(out.Close)
			files, procs = append(files, file), append(procs, cmd)
		}
		for i, p := range procs {
			Expect(p.Wait()).To(Succeed(), "shard %d", i)
		}

		By("the union of what the shards sent is the unsharded run's deliveries, each once")
		wholeIDs, shardIDs := sink.requests("/whole"), sink.requests("/shard/")
		Expect(wholeIDs).To(HaveLen(900))
		Expect(shardIDs).To(HaveLen(len(wholeIDs)))
		for id, got := range shardIDs {
			Expect(got).To(HaveLen(1), "request %s sent %d times", id, len(got))
			Expect(wholeIDs).To(HaveKey(id), "a delivery the unsharded run does not have")
		}

		By("every session, and every corporate, from one shard")
		sessions, orgs := map[string]map[string]bool{}, map[string]map[string]bool{}
		for _, got := range shardIDs {
			d := got[0]
			add(sessions, d.session, d.path)
			add(orgs, d.org, d.path)
		}
		Expect(len(sessions)).To(BeNumerically(">", 7), "initial and delta sessions")
		for s, from := range sessions {
			Expect(from).To(HaveLen(1), "session %s came from %v", s, from)
		}
		for o, from := range orgs {
			Expect(from).To(HaveLen(1), "corporate %s came from %v", o, from)
		}
		Expect(orgs).To(HaveLen(7))

		By("the shards started together")
		var first, last time.Time
		var bars [][]hdr.Bar
		var lates []string
		for i, file := range files {
			var rep struct {
				Started  time.Time `json:"started"`
				StartAt  time.Time `json:"startAt"`
				Late     int64     `json:"startedLateNs"`
				Sent     int       `json:"sent"`
				Latency  string    `json:"latency"`
				Segments string    `json:"segment"`
			}
			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			Expect(json.Unmarshal(data, &rep)).To(Succeed(), string(data))
			Expect(rep.StartAt).To(BeTemporally("==", startAt), "shard %d", i)
			Expect(rep.Started).NotTo(BeTemporally("<", startAt), "shard %d started early", i)
			Expect(time.Duration(rep.Late)).To(Equal(rep.Started.Sub(startAt)))
			lates = append(lates, time.Duration(rep.Late).String())
			Expect(rep.Sent).To(Equal(len(sink.requests(fmt.Sprintf("/shard/%d", i)))))
			if first.IsZero() || rep.Started.Before(first) {
				first = rep.Started
			}
			if rep.Started.After(last) {
				last = rep.Started
			}
			h, err := hdr.Decode([]byte(rep.Latency))
			Expect(err).NotTo(HaveOccurred())
			bars = append(bars, h.Distribution())
		}
		spread := last.Sub(first)
		AddReportEntry("start spread", fmt.Sprintf("%s (each shard's lateness: %s)", spread, strings.Join(lates, ", ")))
		Expect(spread).To(BeNumerically("<", 50*time.Millisecond), "start spread; each shard began this long after --start-at: %s", strings.Join(lates, ", "))

		By("the merged percentiles are those of the shards' histograms added by hand")
		merge := exec.CommandContext(ctx, bin, append([]string{"merge", "--json"}, files...)...)
		out, err := merge.Output()
		Expect(err).NotTo(HaveOccurred(), string(out))
		var merged struct {
			Sent        int               `json:"sent"`
			Planned     int               `json:"planned"`
			Parts       []string          `json:"parts"`
			StartSpread int64             `json:"startSpreadNs"`
			Percentiles map[string]string `json:"percentiles"`
		}
		Expect(json.Unmarshal(out, &merged)).To(Succeed())
		Expect(merged.Sent).To(Equal(900))
		Expect(merged.Planned).To(Equal(900))
		Expect(merged.Parts).To(Equal([]string{"0/4", "1/4", "2/4", "3/4"}))
		Expect(time.Duration(merged.StartSpread)).To(Equal(spread))
		byHand := addBars(bars)
		for _, p := range []float64{50, 90, 99, 99.9, 100} {
			Expect(merged.Percentiles).To(HaveKeyWithValue(fmt.Sprintf("p%g", p), byHand.percentile(p).String()), "p%g", p)
		}
	}, SpecTimeout(5*time.Minute))
})

// buildTartansim builds the command into a temporary folder: the real
// binary, not the test binary.
func buildTartansim(ctx SpecContext) string {
	GinkgoHelper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		Skip("SKIP: no go command to build tartansim with")
	}
	bin := filepath.Join(GinkgoT().TempDir(), "tartansim")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return bin
}

type received struct{ path, session, org string }

// deliverySink answers 200 to every delivery and keeps, by requestId, the
// path it came to, its session and its corporate.
type deliverySink struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]received
}

func newDeliverySink() *deliverySink {
	GinkgoHelper()
	s := &deliverySink{got: map[string][]received{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		var env struct {
			RequestID string `json:"requestId"`
			Session   string `json:"syncSessionId"`
			Org       string `json:"orgId"`
		}
		if json.Unmarshal(body, &env) != nil || env.RequestID == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got[env.RequestID] = append(s.got[env.RequestID], received{r.URL.Path, env.Session, env.Org})
	}))
	DeferCleanup(s.Close)
	return s
}

// requests are the deliveries that came to a path that starts with prefix,
// by requestId.
func (s *deliverySink) requests(prefix string) map[string][]received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]received{}
	for id, got := range s.got {
		for _, d := range got {
			if strings.HasPrefix(d.path, prefix) && (prefix != "/whole" || d.path == prefix) {
				out[id] = append(out[id], d)
			}
		}
	}
	return out
}

func add(m map[string]map[string]bool, key, v string) {
	if m[key] == nil {
		m[key] = map[string]bool{}
	}
	m[key][v] = true
}

// bucketCounts is histograms added bucket by bucket: each bucket's highest
// value (µs) and count, by the bucket's lowest value.
type bucketCounts struct {
	from  []int64
	to    map[int64]int64
	count map[int64]int64
	total int64
}

func addBars(hists [][]hdr.Bar) bucketCounts {
	b := bucketCounts{to: map[int64]int64{}, count: map[int64]int64{}}
	for _, bars := range hists {
		for _, bar := range bars {
			if _, ok := b.to[bar.From]; !ok {
				b.from = append(b.from, bar.From)
			}
			b.to[bar.From] = bar.To
			b.count[bar.From] += bar.Count
			b.total += bar.Count
		}
	}
	sort.Slice(b.from, func(i, j int) bool { return b.from[i] < b.from[j] })
	return b
}

// percentile is the value at percentile p as HDR histograms define it: the
// top of the bucket that holds the rank-th value, rank = p% of the count
// rounded to the nearest (at least 1); p 100 is the top of the highest
// bucket that holds any.
func (b bucketCounts) percentile(p float64) time.Duration {
	rank := int64(p/100*float64(b.total) + 0.5)
	rank = max(1, min(rank, b.total))
	var seen, top int64
	for _, from := range b.from {
		if b.count[from] == 0 {
			continue
		}
		seen += b.count[from]
		top = b.to[from]
		if seen >= rank && p < 100 {
			break
		}
	}
	return time.Duration(top) * time.Microsecond
}
