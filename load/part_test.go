package load_test

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/load"
)

func TestParseSegment(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" for refused
	}{
		{"0:1/4", "0:1/4"},
		{"1/4:2/4", "1/4:1/2"},
		{"0.25:0.5", "1/4:1/2"},
		{" 0.5 : 1 ", "1/2:1"},
		{"0:1", "0:1"},
		{"0.5:0.2", ""},
		{"0.5:0.5", ""},
		{"-0.1:0.5", ""},
		{"0:1.5", ""},
		{"0:1/0", ""},
		{"1e-1:1", ""},
		{"0.25", ""},
		{"a:b", ""},
		{"", ""},
	} {
		seg, err := load.ParseSegment(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseSegment(%q) = %s, want it refused", tc.in, seg)
		case tc.want == "":
			var oe *load.OptionError
			if !errors.As(err, &oe) || oe.Field != "Segment" {
				t.Errorf("ParseSegment(%q): %v, want an *OptionError for Segment", tc.in, err)
			}
		case err != nil || seg.String() != tc.want:
			t.Errorf("ParseSegment(%q) = %s, %v; want %s", tc.in, seg, err, tc.want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" for refused
		name string
	}{
		{"0/1", "0:1", "shard 0/1"},
		{"1/4", "1/4:1/2", "shard 1/4"},
		{"2/3", "2/3:1", "shard 2/3"},
		{"2/0", "", ""},
		{"3/3", "", ""},
		{"-1/3", "", ""},
		{"1", "", ""},
		{"a/b", "", ""},
	} {
		seg, err := load.ParseShard(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseShard(%q) = %s, want it refused", tc.in, seg)
			}
			continue
		}
		if err != nil || seg.String() != tc.want || seg.Name() != tc.name {
			t.Errorf("ParseShard(%q) = %s (%s), %v; want %s (%s)", tc.in, seg, seg.Name(), err, tc.want, tc.name)
		}
	}
	if !(load.Segment{}).IsWhole() || (load.Segment{}).Name() != "the whole run" {
		t.Error("the zero Segment is not the whole run")
	}
}

// The shares of segments that tile the run add up to the whole, and every
// one gets at least one when n is at least the number of equal shards.
func TestSegmentShare(t *testing.T) {
	for n := 1; n <= 9; n++ {
		for conc := n; conc <= 40; conc++ {
			sum := 0
			for i := range n {
				seg, _ := load.Shard(int64(i), int64(n))
				s := seg.Share(conc)
				if s < 1 {
					t.Fatalf("shard %d/%d of %d: share %d", i, n, conc, s)
				}
				sum += s
			}
			if sum != conc {
				t.Fatalf("%d shards of %d: shares add up to %d", n, conc, sum)
			}
		}
	}
	a, _ := load.ParseSegment("0:1/3")
	b, _ := load.ParseSegment("1/3:1")
	if got := a.Share(10) + b.Share(10); got != 10 {
		t.Errorf("0:1/3 and 1/3:1 of 10: %d", got)
	}
}

// streamsForParts are streams of every kind a run splits: equal and uneven
// corporates, a subscription that keeps some of each session, one that
// leaves only the initial syncs (a finite stream).
func streamsForParts(seed uint64) map[string]*load.Stream {
	only := func(id string) fixtures.Subscription {
		sub, err := fixtures.ParseSubscription(id)
		if err != nil {
			panic(err)
		}
		return sub
	}
	return map[string]*load.Stream{
		"equal":           load.NewStream(load.StreamOptions{Seed: seed, Orgs: 7, Employees: 23, Changes: 25}),
		"uneven":          load.NewStream(load.StreamOptions{Seed: seed, Orgs: 9, Sizes: []int{120, 3, 40, 7, 61}, Changes: 10}),
		"updates only":    load.NewStream(load.StreamOptions{Seed: seed, Orgs: 5, Employees: 30, Changes: 12, Events: only("sync.events.employee.update")}),
		"initial only":    load.NewStream(load.StreamOptions{Seed: seed, Orgs: 6, Employees: 17, Events: only("sync.events.employee.add/initial")}),
		"one big, others": load.NewStream(load.StreamOptions{Seed: seed, Orgs: 4, Sizes: []int{100, 20, 20, 20}}),
	}
}

// Parts that tile a run send every delivery of it exactly once, each at
// its place in the whole run, every delivery of a corporate (all its
// sessions) from one part; the parts hold employees in proportion, give or
// take one corporate; and the partition depends on nothing but the seed,
// the stream and the parts.
func TestPartsTileTheRunExactlyOnce(t *testing.T) {
	const positions = 3000 // of the whole run
	for _, seed := range []uint64{1, 2, 42, 412978} {
		for name, st := range streamsForParts(seed) {
			total := st.Len()
			if total < 0 || total > positions {
				total = positions
			}
			tilings := map[string][]string{"mixed": {"0:1/2", "1/2:3/4", "3/4:1"}}
			for n := 1; n <= st.Orgs(); n++ {
				var shards []string
				for i := range n {
					shards = append(shards, fmt.Sprintf("%d/%d", i, n))
				}
				tilings[fmt.Sprint(n, " shards")] = shards
			}
			for tiling, parts := range tilings {
				where := fmt.Sprintf("seed %d, %s stream, %s", seed, name, tiling)
				owner := map[int]int{} // corporate -> part
				seen := make([]int, total)
				for x, text := range parts {
					seg := mustSegment(t, text)
					p, err := st.Part(seg)
					var oe *load.OptionError
					if errors.As(err, &oe) && name != "equal" {
						continue // a part too narrow for uneven corporates: the others hold them all, as checked below
					}
					if err != nil {
						t.Fatalf("%s: %s: %v", where, text, err)
					}
					again, _ := st.Part(seg)
					if fmt.Sprint(again.Orgs) != fmt.Sprint(p.Orgs) {
						t.Fatalf("%s: %s: the partition changed between two calls", where, text)
					}
					for _, o := range p.Orgs {
						if prev, ok := owner[o]; ok {
							t.Fatalf("%s: corporate %d in parts %d and %d", where, o, prev, x)
						}
						owner[o] = x
					}
					last := int64(-1)
					for k := int64(0); ; k++ {
						pos := p.Pos(k)
						if pos < 0 || pos >= total {
							if got := p.Count(total); got != k {
								t.Fatalf("%s: %s: Count(%d) = %d, but it has %d positions below it", where, text, total, got, k)
							}
							break
						}
						if pos <= last {
							t.Fatalf("%s: %s: Pos(%d) = %d after %d: out of the whole run's order", where, text, k, pos, last)
						}
						last = pos
						seen[pos]++
						if org := st.Meta(st.Index(pos)).Org; owner[org] != x {
							t.Fatalf("%s: %s sends position %d of corporate %d, which part %d holds", where, text, pos, org, owner[org])
						}
						if got := p.Count(pos); got != k {
							t.Fatalf("%s: %s: Count(%d) = %d, want %d", where, text, pos, got, k)
						}
					}
				}
				if len(owner) != st.Orgs() {
					t.Fatalf("%s: %d of %d corporates held", where, len(owner), st.Orgs())
				}
				for pos, n := range seen {
					if n != 1 {
						t.Fatalf("%s: position %d sent %d times", where, pos, n)
					}
				}
			}
		}
	}
}

func TestPartsBalanceEmployees(t *testing.T) {
	sizes := []int{120, 3, 40, 7, 61, 15, 90, 33}
	for _, seed := range []uint64{1, 7, 99} {
		st := load.NewStream(load.StreamOptions{Seed: seed, Orgs: 24, Sizes: sizes})
		total, biggest := 0, 0
		for i := range 24 {
			total += sizes[i%len(sizes)]
			biggest = max(biggest, sizes[i%len(sizes)])
		}
		for n := 1; n <= 8; n++ {
			for i := range n {
				p, err := st.Part(mustSegment(t, fmt.Sprintf("%d/%d", i, n)))
				if err != nil {
					t.Fatal(err)
				}
				ideal := float64(total) / float64(n)
				if d := float64(p.Employees) - ideal; d > float64(biggest) || -d > float64(biggest) {
					t.Errorf("seed %d, shard %d/%d: %d employees, ideal %.0f, more than one corporate (%d) off", seed, i, n, p.Employees, ideal, biggest)
				}
			}
		}
	}
}

func TestPartRefusals(t *testing.T) {
	st := load.NewStream(load.StreamOptions{Seed: 3, Orgs: 3, Employees: 10})
	var oe *load.OptionError
	if _, err := st.Part(mustSegment(t, "0/4")); !errors.As(err, &oe) || oe.Field != "Segment" {
		t.Errorf("4 shards of 3 corporates: %v, want an *OptionError for Segment", err)
	}
	if _, err := st.Part(mustSegment(t, "0:1/100")); !errors.As(err, &oe) || oe.Field != "Segment" {
		t.Errorf("a hundredth of 3 corporates: %v, want an *OptionError for Segment", err)
	}
	if p, err := st.Part(load.Segment{}); err != nil || len(p.Orgs) != 3 || p.Pos(5) != 5 {
		t.Errorf("the whole run: %v, %v", p, err)
	}
}

func mustSegment(t *testing.T, s string) load.Segment {
	t.Helper()
	seg, err := load.ParseShard(s)
	if err != nil {
		seg, err = load.ParseSegment(s)
	}
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return seg
}

func FuzzParseSegment(f *testing.F) {
	for _, s := range []string{"0:1/4", "0.25:0.5", "1/3:1", "0.5:0.2", "0:1", "1/0:1", "0x1/0x4:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seg, err := load.ParseSegment(s)
		if err != nil {
			return
		}
		back, err := load.ParseSegment(seg.String())
		if err != nil || !back.Equal(seg) {
			t.Fatalf("%q parsed to %s, which reads back as %s, %v", s, seg, back, err)
		}
		from, to, _ := splitRat(seg.String())
		if from.Sign() < 0 || from.Cmp(to) >= 0 || to.Cmp(big.NewRat(1, 1)) > 0 {
			t.Fatalf("%q parsed to %s, outside 0 <= a < b <= 1", s, seg)
		}
	})
}

func splitRat(s string) (*big.Rat, *big.Rat, bool) {
	var a, b string
	for i := range s {
		if s[i] == ':' {
			a, b = s[:i], s[i+1:]
		}
	}
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return x, y, ok1 && ok2
}
