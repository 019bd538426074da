package load_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
)

// shardReport is the report of shard text ("1/4") of a run, as Run makes
// it, with sends latencies recorded.
func shardReport(t *testing.T, text string, latencies ...time.Duration) *load.Report {
	t.Helper()
	r := load.NewReport()
	r.Seed, r.Profile, r.Duration, r.Stream = 42, "constant 1000/s", time.Minute, "20 corporates"
	if text != "" {
		seg := mustSegment(t, text)
		r.Segment = seg.String()
		if _, _, ok := seg.ShardOf(); ok {
			r.Shard = text
		}
	}
	for _, l := range latencies {
		r.Record(sender.Result{Status: 200}, l, 0)
	}
	r.Planned = r.Sent
	return r
}

func TestMergeRefusesWhatDoesNotBelongTogether(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(a, b *load.Report)
		parts   []string
		problem load.MergeProblem
	}{
		{"different seeds", func(_, b *load.Report) { b.Seed = 43 }, nil, load.DifferentSeeds},
		{"different rates", func(_, b *load.Report) { b.Profile = "constant 2000/s" }, nil, load.DifferentProfiles},
		{"different durations", func(_, b *load.Report) { b.Duration = time.Second }, nil, load.DifferentDurations},
		{"different counts", func(_, b *load.Report) { b.Count = 7 }, nil, load.DifferentCounts},
		{"different scenarios", func(_, b *load.Report) { b.Scenario = "weekly-delta" }, nil, load.DifferentStreams},
		{"different streams", func(_, b *load.Report) { b.Stream = "3 corporates" }, nil, load.DifferentStreams},
		{"a shard twice", nil, []string{"0/2", "0/2", "1/2"}, load.PartTwice},
		{"overlapping parts", nil, []string{"0:1/2", "1/4:1"}, load.PartsOverlap},
		{"a whole run and a shard", nil, []string{"", "1/2"}, load.PartsOverlap},
		{"two whole runs", nil, []string{"", ""}, load.PartTwice},
		{"a missing shard", nil, []string{"0/3", "2/3"}, load.PartMissing},
		{"an interrupted shard", func(_, b *load.Report) { b.Interrupted = true }, nil, load.PartInterrupted},
	} {
		parts := tc.parts
		if parts == nil {
			parts = []string{"0/2", "1/2"}
		}
		var reports []*load.Report
		var names []string
		for _, p := range parts {
			reports = append(reports, shardReport(t, p, time.Millisecond))
			names = append(names, "shard-"+p+".json")
		}
		if tc.change != nil {
			tc.change(reports[0], reports[1])
		}
		_, err := load.Merge(load.MergeOptions{Names: names}, reports...)
		var me *load.MergeError
		if !errors.As(err, &me) || me.Problem != tc.problem {
			t.Errorf("%s: %v, want problem %d", tc.name, err, tc.problem)
			continue
		}
		if me.Why == "" {
			t.Errorf("%s: no reason given", tc.name)
		}
	}
	if _, err := load.Merge(load.MergeOptions{}); err == nil {
		t.Error("nothing to merge was merged")
	}
}

func TestMergeNamesWhatIsMissing(t *testing.T) {
	for _, tc := range []struct {
		parts   []string
		missing []string
		why     string
	}{
		{[]string{"0/4", "3/4"}, []string{"1/4", "2/4"}, "shards 1/4 and 2/4 are missing: no report holds them"},
		{[]string{"1/3"}, []string{"0/3", "2/3"}, "shards 0/3 and 2/3 are missing: no report holds them"},
		{[]string{"0/2", "2/4"}, []string{"3/4:1"}, "segment 3/4:1 of the run is missing: no report holds it"},
		{[]string{"0:1/3"}, []string{"1/3:1"}, "segment 1/3:1 of the run is missing: no report holds it"},
	} {
		var reports []*load.Report
		for _, p := range tc.parts {
			reports = append(reports, shardReport(t, p, time.Millisecond))
		}
		_, err := load.Merge(load.MergeOptions{}, reports...)
		var me *load.MergeError
		if !errors.As(err, &me) || me.Problem != load.PartMissing || !slices.Equal(me.Missing, tc.missing) {
			t.Errorf("%v: %v (missing %v), want %v missing", tc.parts, err, me.Missing, tc.missing)
			continue
		}
		if tc.why != "" && me.Why != tc.why {
			t.Errorf("%v: %q, want %q", tc.parts, me.Why, tc.why)
		}
		m, err := load.Merge(load.MergeOptions{Partial: true}, reports...)
		if err != nil || !slices.Equal(m.Missing, tc.missing) || !slices.Equal(m.Parts, tc.parts) {
			t.Errorf("%v, partial: %v; missing %v, parts %v", tc.parts, err, m.Missing, m.Parts)
		}
	}
}

// Merged histograms are exact: their percentiles are those of one
// histogram that recorded every send.
func TestMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := load.NewReport()
	var reports []*load.Report
	for _, p := range []string{"0/3", "1/3", "2/3"} {
		var ls []time.Duration
		for range 1000 + rng.IntN(2000) {
			l := time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))
			ls = append(ls, l)
			all.Record(sender.Result{Status: 200}, l, 0)
		}
		reports = append(reports, shardReport(t, p, ls...))
	}
	m, err := load.Merge(load.MergeOptions{}, reports...)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sent != all.Sent || m.Latency.TotalCount() != all.Latency.TotalCount() {
		t.Fatalf("merged %d sends, want %d", m.Sent, all.Sent)
	}
	for _, p := range append(load.Percentiles, 25, 75, 99.99) {
		if got, want := m.Quantile(m.Latency, p), all.Quantile(all.Latency, p); got != want {
			t.Errorf("p%g: merged %s, one histogram %s", p, got, want)
		}
	}
}

// The merged run spans from the first shard's start to the last one's
// end, and its timeline counts seconds from that start.
func TestMergeSpansTheRun(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	a, b := shardReport(t, "0/2", time.Millisecond), shardReport(t, "1/2", time.Millisecond)
	a.StartAt, b.StartAt = at, at
	a.Started, a.StartedLate, a.Elapsed = at.Add(time.Millisecond), time.Millisecond, 3*time.Second
	b.Started, b.StartedLate, b.Elapsed = at.Add(4*time.Millisecond), 4*time.Millisecond, 5*time.Second
	a.Timeline = []load.Second{{At: 0, Sent: 1}, {At: 2, Sent: 1}}
	b.Timeline = []load.Second{{At: 2, Sent: 1}, {At: 4, Sent: 1}}
	m, err := load.Merge(load.MergeOptions{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Elapsed != 5*time.Second || !m.Started.Equal(a.Started) || m.StartSpread != 3*time.Millisecond || !m.StartAt.Equal(at) {
		t.Errorf("elapsed %s, started %s, spread %s, start at %s", m.Elapsed, m.Started, m.StartSpread, m.StartAt)
	}
	if got := m.Timeline; len(got) != 3 || got[1].At != 2 || got[1].Sent != 2 {
		t.Errorf("timeline %+v", got)
	}

	// Without a common start, each counts from its own.
	a.StartAt, b.StartAt, a.StartedLate, b.StartedLate = time.Time{}, time.Time{}, 0, 0
	b.Started = a.Started.Add(2 * time.Second)
	if m, _ = load.Merge(load.MergeOptions{}, a, b); m.Elapsed != 7*time.Second || m.Timeline[len(m.Timeline)-1].At != 6 {
		t.Errorf("elapsed %s, timeline %+v", m.Elapsed, m.Timeline)
	}
}
