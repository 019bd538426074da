package load

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"
)

// MergeOptions shape a Merge.
type MergeOptions struct {
	// Names name the reports in errors, in order (file names); a report
	// without one is "report N".
	Names []string
	// Partial merges what is there when parts are missing or were
	// interrupted: the merged report's Missing names what is missing.
	Partial bool
}

// MergeProblem is why reports do not merge.
type MergeProblem int

// The problems Merge refuses.
const (
	DifferentSeeds     MergeProblem = iota + 1 // Seed
	DifferentProfiles                          // Profile: the rate or the shape
	DifferentDurations                         // Duration
	DifferentCounts                            // Count
	DifferentStreams                           // Scenario or Stream
	PartTwice                                  // the same part in two reports
	PartsOverlap                               // two parts that share some of the run
	PartMissing                                // a part of the run with no report
	PartInterrupted                            // a part stopped before its end
	NothingToMerge                             // no report at all
)

// MergeError is reports that do not belong together; Why says it in one
// sentence that names them. Missing names the missing parts (PartMissing).
type MergeError struct {
	Problem MergeProblem
	Why     string
	Missing []string
}

func (e *MergeError) Error() string { return "load: " + e.Why }

// Reason is Why, for people.
func (e *MergeError) Reason() string { return e.Why }

// Merge combines the reports of the parts of one run: counts add up,
// histograms merge exactly, the timeline adds per second, and the elapsed
// time runs from the first part's start to the last one's end.
// Thresholds are evaluated on the result, never on a part.
//
// It refuses, with a *MergeError, reports that do not belong together:
// different seeds, profiles (rates), durations, counts, scenarios or
// streams, the same part twice, parts that overlap, and, unless
// o.Partial, a part missing or interrupted.
func Merge(o MergeOptions, reports ...*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, &MergeError{Problem: NothingToMerge, Why: "no report to merge"}
	}
	name := func(i int) string {
		if i < len(o.Names) && o.Names[i] != "" {
			return o.Names[i]
		}
		return fmt.Sprintf("report %d", i+1)
	}
	if err := sameRun(reports, name); err != nil {
		return nil, err
	}
	parts := make([]mergePart, len(reports))
	for i, r := range reports {
		seg, err := r.segment()
		if err != nil {
			return nil, &MergeError{Problem: PartsOverlap, Why: fmt.Sprintf("%s names no part of a run that tartansim knows (%v)", name(i), err)}
		}
		parts[i] = mergePart{seg: seg, i: i}
	}
	missing, err := coverage(parts, name)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 && !o.Partial {
		return nil, &MergeError{Problem: PartMissing, Missing: missing,
			Why: fmt.Sprintf("%s %s missing: no report holds %s", missingWhat(missing), isAre(len(missing)), itThem(len(missing)))}
	}
	for i, r := range reports {
		if r.Interrupted && !o.Partial {
			return nil, &MergeError{Problem: PartInterrupted,
				Why: fmt.Sprintf("%s (%s) was interrupted after %d sends, so its part of the run is incomplete", name(i), parts[i].seg.Name(), r.Sent)}
		}
	}
	m := add(reports)
	m.Missing = missing
	for _, p := range parts {
		m.Parts = append(m.Parts, p.seg.label())
	}
	return m, nil
}

// sameRun refuses reports of different runs, naming the first two that
// differ and how.
func sameRun(reports []*Report, name func(int) string) error {
	first := reports[0]
	for i, r := range reports[1:] {
		differ := func(p MergeProblem, what, a, b string) error {
			return &MergeError{Problem: p, Why: fmt.Sprintf("%s and %s are not parts of one run: different %s (%s, %s); the parts of a run share --seed, --rate, --profile, --duration, --count and the scenario",
				name(0), name(i+1), what, a, b)}
		}
		switch {
		case r.Seed != first.Seed:
			return differ(DifferentSeeds, "seeds", fmt.Sprint(first.Seed), fmt.Sprint(r.Seed))
		case r.Profile != first.Profile:
			return differ(DifferentProfiles, "rates or profiles", first.Profile, r.Profile)
		case r.Duration != first.Duration:
			return differ(DifferentDurations, "durations", orNone(first.Duration), orNone(r.Duration))
		case r.Count != first.Count:
			return differ(DifferentCounts, "counts of sends", fmt.Sprint(first.Count), fmt.Sprint(r.Count))
		case r.Scenario != first.Scenario:
			return differ(DifferentStreams, "scenarios", orDefault(first.Scenario), orDefault(r.Scenario))
		case r.Stream != first.Stream:
			return differ(DifferentStreams, "streams", first.Stream, r.Stream)
		}
	}
	return nil
}

func orNone(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

func orDefault(s string) string {
	if s == "" {
		return "no scenario"
	}
	return s
}

type mergePart struct {
	seg Segment
	i   int // the report's index
}

// segment is the part of the run r holds: its Segment, or its Shard in a
// report that names only that, or the whole run.
func (r *Report) segment() (Segment, error) {
	var seg Segment
	var err error
	switch {
	case r.Segment != "":
		seg, err = ParseSegment(r.Segment)
	case r.Shard != "":
		seg, err = ParseShard(r.Shard)
	}
	if err != nil || r.Shard == "" {
		return seg, err
	}
	sh, err := ParseShard(r.Shard) // keep the shard's name, for people
	if err != nil || !sh.Equal(seg) {
		return seg, fmt.Errorf("shard %s is not segment %s", r.Shard, r.Segment)
	}
	return sh, nil
}

// label is the part as merge lists it: "1/4" for a shard, else "1/4:1/2".
func (s Segment) label() string {
	if i, n, ok := s.ShardOf(); ok {
		return fmt.Sprintf("%d/%d", i, n)
	}
	return s.String()
}

// coverage checks that no two parts share any of the run, and returns the
// gaps, as shard names when every part is a shard of one N, else as
// segments.
func coverage(parts []mergePart, name func(int) string) ([]string, error) {
	sorted := slices.Clone(parts)
	sort.SliceStable(sorted, func(a, b int) bool {
		af, at := sorted[a].seg.bounds()
		bf, bt := sorted[b].seg.bounds()
		if c := af.Cmp(bf); c != 0 {
			return c < 0
		}
		return at.Cmp(bt) < 0
	})
	var gaps []Segment
	cur, owner := new(big.Rat), -1 // the run is covered up to cur, last by parts[owner]
	for _, p := range sorted {
		from, to := p.seg.bounds()
		switch {
		case owner >= 0 && parts[owner].seg.Equal(p.seg):
			return nil, &MergeError{Problem: PartTwice, Why: fmt.Sprintf("%s and %s are the same part of the run (%s): merge each part once", name(parts[owner].i), name(p.i), p.seg.Name())}
		case from.Cmp(cur) < 0:
			return nil, &MergeError{Problem: PartsOverlap, Why: fmt.Sprintf("%s (%s) and %s (%s) overlap: merge parts that do not share any of the run", name(parts[owner].i), parts[owner].seg.Name(), name(p.i), p.seg.Name())}
		case from.Cmp(cur) > 0:
			gaps = append(gaps, Segment{from: cur, to: from})
		}
		if to.Cmp(cur) > 0 {
			cur, owner = to, p.i
		}
	}
	if one := big.NewRat(1, 1); cur.Cmp(one) < 0 {
		gaps = append(gaps, Segment{from: cur, to: one})
	}
	return gapNames(parts, gaps), nil
}

// gapNames names the gaps: as the shards they are when every part is a
// shard of the same N, else as segments.
func gapNames(parts []mergePart, gaps []Segment) []string {
	n := int64(0)
	for _, p := range parts {
		_, pn, ok := p.seg.ShardOf()
		if !ok || (n != 0 && pn != n) {
			n = -1
			break
		}
		n = pn
	}
	var out []string
	for _, g := range gaps {
		if n <= 0 {
			out = append(out, g.String())
			continue
		}
		for i := range n {
			if sh, _ := Shard(i, n); g.holds(sh.from) {
				out = append(out, sh.label())
			}
		}
	}
	return out
}

// add adds the reports up.
func add(reports []*Report) *Report {
	m := NewReport()
	first := reports[0]
	m.Target, m.Profile, m.Seed, m.Duration, m.Count, m.Scenario, m.Stream =
		first.Target, first.Profile, first.Seed, first.Duration, first.Count, first.Scenario, first.Stream
	// Each part's schedule counts from its anchor: StartAt, when given,
	// else when it started. The merged run spans from the first anchor to
	// the last end.
	anchor := func(r *Report) time.Time {
		if !r.StartAt.IsZero() {
			return r.StartAt
		}
		return r.Started
	}
	var from, to, firstStart, lastStart time.Time
	timed := true
	for _, r := range reports {
		if r.Started.IsZero() {
			timed = false
			continue
		}
		a := anchor(r)
		if from.IsZero() || a.Before(from) {
			from = a
		}
		if end := a.Add(r.Elapsed); end.After(to) {
			to = end
		}
		if firstStart.IsZero() || r.Started.Before(firstStart) {
			firstStart = r.Started
		}
		if r.Started.After(lastStart) {
			lastStart = r.Started
		}
	}
	if timed {
		m.Started, m.StartSpread = firstStart, lastStart.Sub(firstStart)
		if all := first.StartAt; !all.IsZero() && !slices.ContainsFunc(reports, func(r *Report) bool { return !r.StartAt.Equal(all) }) {
			m.StartAt, m.StartedLate = all, firstStart.Sub(all)
		}
	}
	seconds := map[int]*Second{}
	for _, r := range reports {
		m.Rate += r.Rate
		m.Planned += r.Planned
		m.Sent += r.Sent
		m.Dropped += r.Dropped
		m.Late += r.Late
		m.OK += r.OK
		m.MaxInFlight += r.MaxInFlight
		m.Elapsed = max(m.Elapsed, r.Elapsed)
		m.Interrupted = m.Interrupted || r.Interrupted
		for k, v := range r.Statuses {
			m.Statuses[k] += v
		}
		for k, v := range r.Classes {
			m.Classes[k] += v
		}
		m.Latency.Merge(r.Latency)
		m.Service.Merge(r.Service)
		m.Lag.Merge(r.Lag)
		shift := 0 // the part's seconds, counted from the merged run's start
		if timed {
			shift = int(anchor(r).Sub(from) / time.Second)
		}
		for _, s := range r.Timeline {
			t, ok := seconds[s.At+shift]
			if !ok {
				t = &Second{At: s.At + shift}
				seconds[s.At+shift] = t
			}
			t.Sent += s.Sent
			t.Errors += s.Errors
			t.P50, t.P99, t.Max = max(t.P50, s.P50), max(t.P99, s.P99), max(t.Max, s.Max) // an upper bound across shards
		}
	}
	if timed {
		m.Elapsed = to.Sub(from)
	}
	for _, s := range seconds {
		m.Timeline = append(m.Timeline, *s)
	}
	sort.Slice(m.Timeline, func(i, j int) bool { return m.Timeline[i].At < m.Timeline[j].At })
	return m
}

// missingWhat names the missing parts: "shard 2/4", "shards 2/4 and 3/4",
// "segment 1/2:3/4 of the run".
func missingWhat(names []string) string {
	kind, tail := "shard", ""
	if strings.Contains(names[0], ":") {
		kind, tail = "segment", " of the run"
	}
	if len(names) > 1 {
		kind += "s"
	}
	return kind + " " + andList(names) + tail
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// andList is "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
