package conformance_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
)

// playAll runs every check against h (webhook) and state (its probe, as a
// Go function) with the CLI's defaults, and returns the wall time and the
// results.
func playAll(b *testing.B, h http.Handler, state func(string) probe.State, seed uint64) (time.Duration, []conformance.Result) {
	b.Helper()
	mux := http.NewServeMux()
	mux.Handle(consumer.WebhookPath, h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t := conformance.Target{
		URL: srv.URL + consumer.WebhookPath, Key: []byte(appKey), Seed: seed,
		Probe: func(_ context.Context, org string) (probe.State, error) { return state(org), nil },
	}
	began := time.Now()
	res, err := conformance.Run(context.Background(), t, conformance.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Verdict != conformance.Pass {
			b.Fatalf("seed %d: %s is %s: %s", seed, r.ID, r.Verdict, r.Reason)
		}
	}
	return time.Since(began), res
}

// inline is the synchronous twin of a queue: the same work, the same lag,
// done before it answers 200.
func inline(key []byte, lag [2]time.Duration, seed uint64) (http.Handler, func(string) probe.State) {
	st := newStore(key)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 7))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := lag[0] + time.Duration(rng.Int64N(int64(lag[1]-lag[0])))
		mu.Unlock()
		time.Sleep(d)
		st.pass(w, r)
	}), st.ref.State
}

// BenchmarkSettling plays every check, with the defaults of tartansim
// conformance, against a consumer that does each delivery's work (50 to
// 400 ms) before it answers, and against queue-based twins that answer at
// once and do the same work later with 4 workers: with the probe's
// pending, and without. It reports each one's wall time, the ratio of the
// queues' to the synchronous consumer's, and the probe reads per check
// (the largest, and the mean). Run it with -benchtime=1x: one iteration
// is three full conformance runs, about a minute.
//
//	go test -run '^$' -bench Settling -benchtime=1x ./conformance/
func BenchmarkSettling(b *testing.B) {
	key := []byte(appKey)
	for i := range b.N {
		seed := uint64(i + 1)
		h, state := inline(key, productionLag, seed)
		sync, _ := playAll(b, h, state, seed)

		withPending := queue{workers: 4, lag: productionLag, status: http.StatusAccepted, pending: true}
		h, state, stop := withPending.start(key, seed)
		pending, resP := playAll(b, h, state, seed)
		stop()

		without := withPending
		without.pending = false
		h, state, stop = without.start(key, seed)
		quiet, resQ := playAll(b, h, state, seed)
		stop()

		b.ReportMetric(sync.Seconds(), "sync-s")
		b.ReportMetric(pending.Seconds(), "queue-pending-s")
		b.ReportMetric(quiet.Seconds(), "queue-quiet-s")
		b.ReportMetric(pending.Seconds()/sync.Seconds(), "pending/sync")
		b.ReportMetric(quiet.Seconds()/sync.Seconds(), "quiet/sync")
		for _, m := range []struct {
			name string
			res  []conformance.Result
		}{{"pending", resP}, {"quiet", resQ}} {
			most, sum, n := 0, 0, 0
			for _, r := range m.res {
				if r.ProbeReads > 0 {
					most, sum, n = max(most, r.ProbeReads), sum+r.ProbeReads, n+1
				}
			}
			b.ReportMetric(float64(most), "reads-max-"+m.name)
			b.ReportMetric(float64(sum)/float64(max(1, n)), "reads-mean-"+m.name)
		}
	}
}

// BenchmarkDuplicateRace plays DEL-DUPLICATE again and again against the
// check-then-act consumer, with race windows of 0 (only the work itself),
// 100µs and 1ms (a database round trip), and reports the share of runs
// that caught the race.
//
//	go test -run '^$' -bench DuplicateRace -benchtime=50x ./conformance/
func BenchmarkDuplicateRace(b *testing.B) {
	check, _ := conformance.Lookup("DEL-DUPLICATE")
	for _, window := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond} {
		b.Run(window.String(), func(b *testing.B) {
			caught := 0
			for i := range b.N {
				h, state := racyDedup(window).build([]byte(appKey))
				srv := httptest.NewServer(h)
				r, err := check.Run(context.Background(), conformance.Target{
					URL: srv.URL, Key: []byte(appKey), Seed: uint64(i + 1),
					Probe: func(_ context.Context, org string) (probe.State, error) { return state(org), nil },
				})
				srv.Close()
				if err != nil {
					b.Fatal(err)
				}
				if r.Verdict == conformance.Fail {
					caught++
				}
			}
			b.ReportMetric(float64(caught)/float64(b.N), "caught/run")
		})
	}
}

// BenchmarkReference plays every check against the reference consumer,
// with the defaults of tartansim conformance; the bar is a run under 2 s.
// Its ns/op is one whole run.
//
//	go test -run '^$' -bench Reference -benchtime=5x ./conformance/
func BenchmarkReference(b *testing.B) {
	for i := range b.N {
		c := consumer.New([]byte(appKey))
		playAll(b, c, c.State, uint64(i+1))
	}
}
