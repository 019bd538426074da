package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
)

// BenchmarkFirstPaint measures what the first paint of the page waits for
// on loopback: the page, its stylesheet and script, and the settings the
// script asks for first, one after another.
func BenchmarkFirstPaint(b *testing.B) {
	srv, err := New(Addr("127.0.0.1:0"), StorePath(filepath.Join(b.TempDir(), "c.db")))
	if err != nil {
		b.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done; _ = srv.Close() }()
	client := &http.Client{Timeout: 5 * time.Second}
	base := "http://" + srv.Addr()
	paths := []string{"/", "/assets/style.css", "/assets/app.js", "/api/console/settings"}
	b.ReportAllocs()
	var weight int64 // the page, its CSS and its JS: what a first paint loads
	for b.Loop() {
		weight = 0
		for _, p := range paths {
			resp, err := client.Get(base + p)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("%s: %d", p, resp.StatusCode)
			}
			if strings.HasPrefix(p, "/assets/") || p == "/" {
				weight += n
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/paint")
	b.ReportMetric(float64(weight)/1000, "KB/page")
}

const benchAttempts = 100_000

// mem is the process's memory in MB: resident (the store's mapped pages
// included) and the Go heap in use.
type mem struct{ rss, heap float64 }

// logOf100k makes a log of benchAttempts attempts in a store of its own,
// removed when the benchmark ends, and returns it with the process's
// memory once it is loaded.
func logOf100k(b *testing.B) (*Log, mem) {
	b.Helper()
	st, err := OpenStore(filepath.Join(b.TempDir(), "c.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	l, err := newLog(st, DefaultWindow)
	if err != nil {
		b.Fatal(err)
	}
	kinds := fixtures.Catalogue()
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	batch := make([]*deliverylog.Attempt, 0, 1000)
	for i := range benchAttempts {
		k := kinds[i%len(kinds)]
		status := 200
		if i%10 == 3 {
			status = 503
		}
		org := fmt.Sprintf("org-%03d", i%100)
		body := fmt.Sprintf(`{"requestId":"r-%d","orgId":"%s","event":"%s","eventType":"%s","recordCount":1,"body":[{"employeeId":"%d","name":"Asha Rao"}]}`, i, org, k.Event, k.Type, i)
		batch = append(batch, &deliverylog.Attempt{
			Time: at.Add(time.Duration(i) * time.Second), Source: deliverylog.FromConsole, Kind: deliverylog.First,
			Event: k.Event, EventType: k.Type, OrgID: org, RequestID: "r-" + strconv.Itoa(i), SyncSessionID: "s-" + strconv.Itoa(i/50), Expect: deliverylog.Expect2xx,
			Status: status, Class: "none", Latency: 1.5, Result: "200 OK in 1.5ms",
			Target: "http://127.0.0.1:8080/webhook", Headers: map[string][]string{"tartan-signature": {strings.Repeat("ab", 32)}}, Body: body,
		})
		if len(batch) == cap(batch) {
			if err := l.add("", batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return l, mem{rss: rssMB(), heap: float64(ms.HeapInuse) / (1 << 20)}
}

// rssMB is the process's resident memory, from /proc (0 elsewhere).
func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkList100k lists and filters the newest page of a log of 100,000
// attempts: within the window in memory (all, failed), and beyond it, in
// the store (a page deep in the log; a filter nothing matches, the worst
// case, which reads the whole index), by every filter.
func BenchmarkList100k(b *testing.B) {
	l, m := logOf100k(b)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) // logOf100k's first attempt
	cases := []struct {
		name   string
		f      Filter
		before int64
		want   int // attempts on the page; 0: a full page
	}{
		{"newest", Filter{}, 0, 0},
		{"failed", Filter{Outcome: OutcomeFailed}, 0, 0},
		{"event", Filter{Event: "sync.events.employee.add/delta"}, 0, 0},
		{"org+failed", Filter{Org: "org-003", Outcome: OutcomeFailed}, 0, 0},
		{"org-prefix", Filter{Org: "org-00"}, 0, 0},
		{"deep-page", Filter{Outcome: OutcomeFailed}, benchAttempts / 2, 0}, // beyond the window: from the store
		{"requestId-old", Filter{RequestID: "r-17"}, 0, 1},                  // deep in the store, through its index
		{"session-old", Filter{SyncSessionID: "s-7"}, 0, 0},
		{"status-class", Filter{Status: "5xx"}, 0, 0},
		{"unmet", Filter{Expected: ExpectedUnmet}, 0, 0},
		{"source", Filter{Source: deliverylog.FromConsole}, 0, 0},
		{"oldest-hour", Filter{Since: at, Until: at.Add(time.Hour)}, 0, 0}, // the end of the log: the whole index
		{"no-match", Filter{Org: "org-none"}, 0, -1},
		{"no-match-requestId", Filter{RequestID: "none"}, 0, -1},
		{"no-match-status", Filter{Status: "418"}, 0, -1},
		{"no-match-time", Filter{Until: at}, 0, -1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := l.List(c.f, c.before, DefaultPage)
				if err != nil {
					b.Fatal(err)
				}
				want := map[int]int{0: DefaultPage, -1: 0}[c.want]
				if c.want > 0 {
					want = c.want
				}
				if len(p.Attempts) != want {
					b.Fatalf("%d attempts", len(p.Attempts))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/list")
			b.ReportMetric(m.rss, "MB-rss")
			b.ReportMetric(m.heap, "MB-heap")
		})
	}
}
