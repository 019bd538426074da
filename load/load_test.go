package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/internal/conncount"
	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

var key = []byte("load-suite-key")

func newSender(url string, conc int) *sender.Sender {
	s, err := sender.New(url, sender.MaxConns(conc), sender.Timeout(5*time.Second))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}

var _ = Describe("a load run", Label("load"), func() {
	var stream *load.Stream
	BeforeEach(func() {
		stream = load.NewStream(load.StreamOptions{Seed: uint64(GinkgoRandomSeed()), Orgs: 3, Employees: 25})
	})

	It("sends distinct, correctly signed Tartan deliveries that the reference consumer applies", func() {
		ref := consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		rep, err := load.Run(context.Background(), newSender(srv.URL+consumer.WebhookPath, 4), stream,
			load.Options{Profile: load.Constant(2000), Events: 300, Concurrency: 4, Key: key})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Sent).To(Equal(int64(300)))
		Expect(rep.OK).To(Equal(int64(300)), "%v", rep.Statuses)
		Expect(rep.Latency.TotalCount()).To(Equal(int64(300)))
	})

	It("never has more requests in flight, nor connections, than the concurrency", func() {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			time.Sleep(2 * time.Millisecond)
		}))
		conns := conncount.Track(srv.Config)
		srv.Start()
		DeferCleanup(srv.Close)
		rep, err := load.Run(context.Background(), newSender(srv.URL, 3), stream,
			load.Options{Profile: load.Constant(5000), Events: 400, Concurrency: 3, Key: key})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.MaxInFlight).To(BeNumerically("<=", 3))
		Expect(conns.Peak()).To(BeNumerically("<=", 3))
	})

	It("measures latency from the intended send time, so a stall is not hidden", func() {
		var stalled sync.Once
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			stalled.Do(func() { time.Sleep(500 * time.Millisecond) })
		}))
		DeferCleanup(srv.Close)
		// One worker, 200/s: while the first request stalls for 500 ms,
		// about 100 sends fall due and wait. Their latency must show it.
		rep, err := load.Run(context.Background(), newSender(srv.URL, 1), stream,
			load.Options{Profile: load.Constant(200), Events: 200, Concurrency: 1, Key: key})
		Expect(err).NotTo(HaveOccurred())
		// Sends due 5k ms in wait until 500 ms: 30% of them wait over 200 ms.
		Expect(rep.Quantile(rep.Latency, 90)).To(BeNumerically(">", 200*time.Millisecond), "coordinated omission")
		Expect(rep.Quantile(rep.Service, 50)).To(BeNumerically("<", 100*time.Millisecond), "service time excludes the wait")
		Expect(rep.Late).To(BeNumerically(">", 50))
	})

	It("stops by itself at the duration, counting what fell due but was never sent", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			time.Sleep(50 * time.Millisecond)
		}))
		DeferCleanup(srv.Close)
		rep, err := load.Run(context.Background(), newSender(srv.URL, 1), stream,
			load.Options{Profile: load.Constant(1000), Duration: 300 * time.Millisecond, Concurrency: 1, Key: key})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Elapsed).To(BeNumerically("<", 2*time.Second))
		Expect(rep.Sent).To(BeNumerically("<", 20))
		Expect(rep.Dropped).To(BeNumerically(">", 200))
		Expect(rep.Planned).To(Equal(rep.Sent + rep.Dropped))
	})

	It("with Max, sends each delivery as soon as a worker is answered, and stops by itself", func() {
		ref := consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		rep, err := load.Run(context.Background(), newSender(srv.URL+consumer.WebhookPath, 2), stream,
			load.Options{Profile: load.Max{}, Events: 300, Concurrency: 2, Key: key})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Sent).To(BeEquivalentTo(300))
		Expect(rep.OK).To(BeEquivalentTo(300))
		Expect(rep.Planned).To(Equal(rep.Sent))
		Expect(rep.Dropped).To(BeZero())
		Expect(rep.Late).To(BeZero())
		Expect(rep.Rate).To(BeZero(), "no target rate")
		Expect(rep.Lag.TotalCount()).To(BeZero(), "no schedule, so no lag: not a lag of zero")
		Expect(rep.Service.TotalCount()).To(BeEquivalentTo(300))
		Expect(rep.MaxInFlight).To(BeNumerically("<=", 2))
		// Due when it begins: latency is service time plus building and
		// signing, not the wait from the start of the run that an open
		// schedule of 300 sends all due at once would give (p99 ≈ Elapsed).
		Expect(rep.Quantile(rep.Latency, 99) - rep.Quantile(rep.Service, 99)).To(BeNumerically("<", rep.Elapsed/10))

		rep, err = load.Run(context.Background(), newSender(srv.URL+consumer.WebhookPath, 2), stream,
			load.Options{Profile: load.Max{}, Duration: 200 * time.Millisecond, Concurrency: 2, Key: key})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Elapsed).To(BeNumerically("<", 2*time.Second))
		Expect(rep.Sent).To(BeNumerically(">", 0))
		Expect(rep.Dropped).To(BeZero())
	})

	It("hands Progress a report of its own, which it may read while the run goes on", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		}))
		DeferCleanup(srv.Close)
		var calls int
		var seen int64
		rep, err := load.Run(context.Background(), newSender(srv.URL, 2), stream, load.Options{
			Profile: load.Constant(500), Duration: 1200 * time.Millisecond, Concurrency: 2, Key: key,
			Progress: func(r *load.Report) {
				calls++
				// Read everything, as a richer progress line would, while
				// the workers go on counting (-race would see sharing).
				seen = r.Statuses["200"] + r.Classes["none"] + r.Service.TotalCount() + r.Lag.TotalCount() + int64(len(r.Timeline))
			},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(calls).To(BeNumerically(">=", 1))
		Expect(seen).To(BeNumerically(">", 0))
		Expect(rep.Sent).To(BeNumerically(">", 0))
	})

	It("refuses a run that would not stop by itself", func() {
		_, err := load.Run(context.Background(), newSender("http://127.0.0.1:9", 1), stream, load.Options{Profile: load.Constant(1)})
		Expect(err).To(MatchError(load.ErrUnbounded))
	})

	It("refuses more workers than the sender has connections, instead of starving some", func() {
		_, err := load.Run(context.Background(), newSender("http://127.0.0.1:9", 2), stream,
			load.Options{Profile: load.Constant(1), Events: 1, Concurrency: 3})
		Expect(err).To(MatchError(load.ErrConcurrency))
		Expect(err.Error()).To(ContainSubstring("Concurrency 3, MaxConns 2"))
	})

	It("splits a run into shards that keep each corporate's sessions whole and send at the whole run's times", func() {
		type arrival struct {
			shard int
			at    time.Time
		}
		seen := map[string][]arrival{} // requestId -> when and from which shard
		session := map[string]int{}    // syncSessionId -> shard
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			at := time.Now()
			var env struct {
				RequestID string `json:"requestId"`
				Session   string `json:"syncSessionId"`
			}
			_ = json.NewDecoder(r.Body).Decode(&env)
			var shard int
			_, _ = fmt.Sscanf(r.URL.Path, "/shard/%d", &shard)
			mu.Lock()
			defer mu.Unlock()
			seen[env.RequestID] = append(seen[env.RequestID], arrival{shard, at})
			if prev, ok := session[env.Session]; ok && prev != shard {
				w.WriteHeader(http.StatusConflict) // one session from two shards
			}
			session[env.Session] = shard
		}))
		DeferCleanup(srv.Close)
		const whole, rate = 300, 3000.0
		start := time.Now().Add(300 * time.Millisecond)
		reports := make([]*load.Report, 3)
		var wg sync.WaitGroup
		for shard := range 3 {
			seg, err := load.Shard(int64(shard), 3)
			Expect(err).NotTo(HaveOccurred())
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				rep, err := load.Run(context.Background(), newSender(fmt.Sprintf("%s/shard/%d", srv.URL, shard), 2), stream,
					load.Options{Profile: load.Constant(rate), Events: whole, Concurrency: 6, Segment: seg, StartAt: start, Key: key}) // the whole run's rate, count and concurrency
				Expect(err).NotTo(HaveOccurred())
				reports[shard] = rep
			}()
		}
		wg.Wait()

		Expect(seen).To(HaveLen(whole), "the shards together send the whole run")
		due := map[string]time.Duration{} // requestId -> when the whole run has it due
		for pos := range int64(whole) {
			var env struct {
				RequestID string `json:"requestId"`
			}
			Expect(json.Unmarshal(stream.Body(stream.Index(pos), start), &env)).To(Succeed())
			due[env.RequestID] = load.Constant(rate).Due(pos)
		}
		for id, got := range seen {
			Expect(got).To(HaveLen(1), "request %s sent more than once", id)
			Expect(due).To(HaveKey(id), "a delivery the unsharded run does not have")
			Expect(got[0].at).NotTo(BeTemporally("<", start.Add(due[id])), "sent before the whole run has it due")
		}
		var sent, planned int64
		var rates float64
		for shard, rep := range reports {
			Expect(rep.OK).To(Equal(rep.Sent), "shard %d: a session came from two shards: %v", shard, rep.Statuses)
			Expect(rep.Shard).To(Equal(fmt.Sprintf("%d/3", shard)))
			Expect(rep.Started).NotTo(BeTemporally("<", start))
			Expect(rep.StartedLate).To(BeNumerically("~", rep.Started.Sub(start), time.Millisecond))
			Expect(rep.MaxInFlight).To(BeNumerically("<=", 2), "a third of the concurrency")
			sent, planned, rates = sent+rep.Sent, planned+rep.Planned, rates+rep.Rate
		}
		Expect(sent).To(BeEquivalentTo(whole))
		Expect(planned).To(BeEquivalentTo(whole))
		Expect(rates).To(BeNumerically("~", rate, 1), "the shards' rates add up to the whole run's")
		merged, err := load.Merge(load.MergeOptions{}, reports...)
		Expect(err).NotTo(HaveOccurred())
		Expect(merged.Sent).To(BeEquivalentTo(whole))
		Expect(merged.Latency.TotalCount()).To(BeEquivalentTo(whole))
		Expect(merged.Parts).To(Equal([]string{"0/3", "1/3", "2/3"}))
	})

	It("waits for StartAt, and stops waiting when interrupted", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		DeferCleanup(srv.Close)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rep, err := load.Run(ctx, newSender(srv.URL, 1), stream,
			load.Options{Profile: load.Constant(100), Events: 10, Concurrency: 1, Key: key, StartAt: time.Now().Add(time.Hour)})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Interrupted).To(BeTrue())
		Expect(rep.Sent).To(BeZero())

		_, err = load.Run(context.Background(), newSender(srv.URL, 1), stream,
			load.Options{Profile: load.Constant(100), Events: 10, Concurrency: 1, Key: key, StartAt: time.Now().Add(-2 * load.StartAtPast)})
		var oe *load.OptionError
		Expect(errors.As(err, &oe)).To(BeTrue(), "%v", err)
		Expect(oe.Field).To(Equal("StartAt"))
	})

	It("round-trips its report through JSON with the histograms intact", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		DeferCleanup(srv.Close)
		rep, err := load.Run(context.Background(), newSender(srv.URL, 2), stream,
			load.Options{Profile: load.Constant(2000), Events: 100, Concurrency: 2, Key: key})
		Expect(err).NotTo(HaveOccurred())
		b, err := json.Marshal(rep)
		Expect(err).NotTo(HaveOccurred())
		var back load.Report
		Expect(json.Unmarshal(b, &back)).To(Succeed())
		Expect(back.Latency.TotalCount()).To(Equal(rep.Latency.TotalCount()))
		Expect(back.Quantile(back.Latency, 99)).To(Equal(rep.Quantile(rep.Latency, 99)))
		Expect(back.Sent).To(Equal(rep.Sent))
	})

	It("records every send with exact bytes that verify under the key", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		DeferCleanup(srv.Close)
		var buf bytes.Buffer
		log := deliverylog.NewWriter(&buf)
		_, err := load.Run(context.Background(), newSender(srv.URL, 2), stream,
			load.Options{Profile: load.Constant(2000), Events: 40, Concurrency: 2, Key: key, Log: log})
		Expect(err).NotTo(HaveOccurred())
		r := deliverylog.NewReader(&buf, "log")
		n := 0
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			sig, _ := sender.SignatureHeader(e.Header())
			Expect(sender.Verify(key, []byte(e.Body), sig)).To(Succeed())
			n++
		}
		Expect(n).To(Equal(40))
	})

	It("stops at the first failed write to its log, with the report of what was sent", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		DeferCleanup(srv.Close)
		full := &fullDisk{}
		log := deliverylog.NewWriter(full)
		rep, err := load.Run(context.Background(), newSender(srv.URL, 2), stream,
			load.Options{Profile: load.Max{}, Events: 50 * deliverylog.FlushLines, Concurrency: 2, Key: key, Log: log})
		Expect(err).To(MatchError(load.ErrLog))
		Expect(err).To(MatchError(ContainSubstring("no space left on device")))
		Expect(full.writes.Load()).To(Equal(int32(1)), "one failed write, then none")
		// The first write is due after FlushLines sends at the latest; then
		// each worker stops, the other after the send it had begun.
		Expect(rep.Sent).To(BeNumerically("<=", deliverylog.FlushLines+1))
		Expect(rep.OK).To(Equal(rep.Sent))
		Expect(rep.Dropped).To(BeNumerically("<=", 0), "a closed model drops nothing, even when it stops early")
	})
})

// fullDisk fails every write, as /dev/full does.
type fullDisk struct{ writes atomic.Int32 }

func (f *fullDisk) Write([]byte) (int, error) {
	f.writes.Add(1)
	return 0, errors.New("write rec.ndjson: no space left on device")
}

var _ = Describe("a stream", Label("load"), func() {
	It("makes the same bytes for the same seed and time, in every layout, as valid JSON", func() {
		at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		for _, l := range wire.Layouts() {
			a := load.NewStream(load.StreamOptions{Seed: 9, Orgs: 2, Employees: 15, Layout: l})
			b := load.NewStream(load.StreamOptions{Seed: 9, Orgs: 2, Employees: 15, Layout: l})
			for i := range int64(40) {
				Expect(a.Body(i, at)).To(Equal(b.Body(i, at)))
				Expect(json.Valid(a.Body(i, at))).To(BeTrue(), "%s #%d", l, i)
			}
		}
	})

	It("appends into a reused buffer exactly what Body makes, whatever the buffer held", func() {
		at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		s := load.NewStream(load.StreamOptions{Seed: 3, Orgs: 2, Employees: 30, Changes: 25})
		var buf []byte
		// Big batches and small initiated events, interleaved, in one buffer.
		for _, i := range []int64{1, 0, 2, 4, 3, 12, 8, 9, 0, 40} {
			buf = s.AppendBody(buf[:0], i, at)
			Expect(buf).To(Equal(s.Body(i, at)), "delivery %d", i)
		}
	})

	It("opens each org with an initial session numbered from 1, then delta rounds", func() {
		s := load.NewStream(load.StreamOptions{Seed: 1, Orgs: 2, Employees: 25, Changes: 10})
		Expect(s.Meta(0)).To(Equal(load.Meta{Org: 0, Round: 0, Counter: 1}))
		Expect(s.Meta(3)).To(Equal(load.Meta{Org: 0, Round: 0, Counter: 4}))
		Expect(s.Meta(4)).To(Equal(load.Meta{Org: 1, Round: 0, Counter: 1}))
		Expect(s.Meta(8)).To(Equal(load.Meta{Org: 0, Round: 1, Counter: 1}))
		Expect(s.Meta(9)).To(Equal(load.Meta{Org: 0, Round: 1, Counter: 2}))
		Expect(s.Meta(10)).To(Equal(load.Meta{Org: 1, Round: 1, Counter: 1}))
	})
})
