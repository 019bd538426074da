package load

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Segment is the part of a run one copy sends, the fraction [From, To) of
// it: in k6's words, an execution segment. Shard I of N is the segment
// I/N:(I+1)/N. The zero Segment is the whole run.
//
// A segment holds whole corporates, so that every delivery of a corporate
// (all its sessions) comes from one copy. The rule (see Stream.Part): the
// corporates are put in an order that depends on the seed alone, and laid
// end to end on [0, 1), each over a length in proportion to its employees;
// a segment holds the corporates whose middle falls inside it. Segments
// that tile [0, 1) therefore hold every corporate exactly once, whatever
// their widths, and each holds employees in proportion to its width, give
// or take one corporate.
type Segment struct {
	from, to *big.Rat // nil: the whole run
	shard    int64    // with shards > 0: given as shard I of N
	shards   int64
}

// Shard returns shard i of n (0-based): the segment i/n:(i+1)/n.
func Shard(i, n int64) (Segment, error) {
	if n < 1 || i < 0 || i >= n {
		return Segment{}, &OptionError{Field: "Segment", Value: fmt.Sprintf("%d/%d", i, n), Why: "is not a shard: give I/N with 0 <= I < N, such as 0/3"}
	}
	return Segment{from: big.NewRat(i, n), to: big.NewRat(i+1, n), shard: i, shards: n}, nil
}

// ParseShard reads "I/N", shard I of N (0-based).
func ParseShard(s string) (Segment, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	si, err1 := strconv.ParseInt(i, 10, 64)
	sn, err2 := strconv.ParseInt(n, 10, 64)
	if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
		return Segment{}, &OptionError{Field: "Segment", Value: s, Why: "is not a shard: give I/N with 0 <= I < N, such as 0/3"}
	}
	return Shard(si, sn)
}

// ParseSegment reads "a:b", the fraction [a, b) of the run, each end a
// decimal ("0.25") or a fraction ("1/4"), with 0 <= a < b <= 1.
func ParseSegment(s string) (Segment, error) {
	bad := &OptionError{Field: "Segment", Value: s, Why: "is not a segment: give a:b with 0 <= a < b <= 1, such as 0:1/4 or 0.25:0.5"}
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Segment{}, bad
	}
	from, ok1 := parseFraction(a)
	to, ok2 := parseFraction(b)
	if !ok1 || !ok2 || from.Sign() < 0 || to.Cmp(big.NewRat(1, 1)) > 0 || from.Cmp(to) >= 0 {
		return Segment{}, bad
	}
	return Segment{from: from, to: to}, nil
}

// parseFraction reads "0.25", "1/4", "0" or "1" exactly.
func parseFraction(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "eE") || len(s) > 40 { // no exponents: 1e9999 would be a huge number
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// IsWhole reports whether s is the whole run.
func (s Segment) IsWhole() bool {
	return s.from == nil || (s.from.Sign() == 0 && s.to.Cmp(big.NewRat(1, 1)) == 0)
}

// bounds returns [from, to), 0 and 1 for the whole run.
func (s Segment) bounds() (from, to *big.Rat) {
	if s.from == nil {
		return new(big.Rat), big.NewRat(1, 1)
	}
	return s.from, s.to
}

// String is the segment as "from:to" in lowest terms, "1/4:1/2"; the whole
// run is "0:1".
func (s Segment) String() string {
	from, to := s.bounds()
	return from.RatString() + ":" + to.RatString()
}

// ShardOf returns I and N when s was given as shard I of N.
func (s Segment) ShardOf() (i, n int64, ok bool) { return s.shard, s.shards, s.shards > 0 }

// Name is "shard 1/4", "segment 1/4:1/2" or "the whole run".
func (s Segment) Name() string {
	switch {
	case s.shards > 0:
		return fmt.Sprintf("shard %d/%d", s.shard, s.shards)
	case s.IsWhole():
		return "the whole run"
	}
	return "segment " + s.String()
}

// Equal reports whether s and t are the same fraction of a run.
func (s Segment) Equal(t Segment) bool {
	sf, st := s.bounds()
	tf, tt := t.bounds()
	return sf.Cmp(tf) == 0 && st.Cmp(tt) == 0
}

// Share is s's part of n things split over segments that tile the run:
// floor(n*to) - floor(n*from), so that the shares of segments that tile
// [0, 1) add up to n exactly. It splits --concurrency across shards.
func (s Segment) Share(n int) int {
	from, to := s.bounds()
	return floorTimes(to, n) - floorTimes(from, n)
}

// enough is the least n whose Share is at least 1 for s and for every
// segment as wide: ceil(1/(to-from)).
func (s Segment) enough() int {
	from, to := s.bounds()
	w := new(big.Rat).Sub(to, from)
	inv := new(big.Rat).Inv(w)
	q, r := new(big.Int).QuoRem(inv.Num(), inv.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return int(q.Int64())
}

func floorTimes(r *big.Rat, n int) int {
	x := new(big.Rat).Mul(r, big.NewRat(int64(n), 1))
	q := new(big.Int).Quo(x.Num(), x.Denom()) // both non-negative: the floor
	return int(q.Int64())
}

// holds reports whether from <= x < to.
func (s Segment) holds(x *big.Rat) bool {
	from, to := s.bounds()
	return from.Cmp(x) <= 0 && x.Cmp(to) < 0
}

// Part is what a segment of a run sends: its corporates, and where their
// deliveries stand in the whole run, so that it sends each of them when the
// whole run's schedule has it due. Positions count the deliveries of the
// whole run from 0 (after a subscription, the ones it keeps).
type Part struct {
	Segment Segment
	// Orgs are the corporates the part holds, by their index in the
	// stream, ascending; Employees counts their employees.
	Orgs      []int
	Employees int

	initial    []span // the positions of the part's initial sessions, in order
	initialN   int64  // how many there are
	initialLen int64  // positions of the whole run's initial sessions
	period     int64  // positions of one delta round of the whole run (0: no deltas)
	offsets    []int64
}

// span is a run of n positions from from; before counts the part's
// positions ahead of it.
type span struct{ from, n, before int64 }

// Part returns the corporates segment seg holds and where their deliveries
// stand (see Segment for the rule). The partition is a pure function of the
// seed, the stream's corporates and the segment. More shards than
// corporates, or a segment that holds no corporate, is an *OptionError.
func (s *Stream) Part(seg Segment) (*Part, error) {
	if _, n, ok := seg.ShardOf(); ok && n > int64(len(s.orgs)) {
		return nil, &OptionError{Field: "Segment", Value: fmt.Sprintf("%d/%d", seg.shard, n),
			Why: fmt.Sprintf("is more shards than the run has corporates (%d), and a corporate's sessions are never split: give at most %d shards, or more corporates", len(s.orgs), len(s.orgs))}
	}
	p := &Part{Segment: seg}
	total := 0
	for o := range s.orgs {
		total += len(s.orgs[o].records)
	}
	before := 0
	for _, o := range s.order() {
		e := len(s.orgs[o].records)
		if seg.holds(big.NewRat(int64(2*before+e), int64(2*total))) { // the corporate's middle
			p.Orgs = append(p.Orgs, o)
			p.Employees += e
		}
		before += e
	}
	if len(p.Orgs) == 0 {
		return nil, &OptionError{Field: "Segment", Value: seg.String(),
			Why: fmt.Sprintf("holds no corporate (%d corporates of %d employees in all do not split that finely): use fewer or wider parts", len(s.orgs), total)}
	}
	sort.Ints(p.Orgs)
	s.place(p)
	return p, nil
}

// place fills in where the deliveries of p's corporates stand.
func (s *Stream) place(p *Part) {
	raw := int64(0) // where each corporate's initial session starts in the whole stream
	starts := make([]int64, len(s.orgs)+1)
	for o := range s.orgs {
		starts[o] = raw
		raw += s.orgs[o].initialL
	}
	starts[len(s.orgs)] = raw
	pos := func(i int64) int64 { // the position of stream index i, or of the first kept one after it
		if !s.filtered {
			return i
		}
		return int64(sort.Search(len(s.kept), func(x int) bool { return s.kept[x] >= i }))
	}
	p.initialLen = pos(s.initial)
	for _, o := range p.Orgs {
		from, to := pos(starts[o]), pos(starts[o+1])
		if to > from {
			p.initial = append(p.initial, span{from: from, n: to - from, before: p.initialN})
			p.initialN += to - from
		}
	}
	per := s.deltaL
	if s.filtered {
		per = int64(len(s.deltaKept))
	}
	if per == 0 {
		return // no delta sessions: the run ends with the initial ones
	}
	p.period = per * int64(len(s.orgs))
	for _, o := range p.Orgs { // delta session k is corporate k mod Orgs's
		for off := range per {
			p.offsets = append(p.offsets, int64(o)*per+off)
		}
	}
}

// Pos returns the position in the whole run of the part's k-th delivery
// (from 0), or -1 when the part has no more.
func (p *Part) Pos(k int64) int64 {
	if k < 0 {
		return -1
	}
	if k < p.initialN {
		x := sort.Search(len(p.initial), func(x int) bool { return p.initial[x].before+p.initial[x].n > k })
		sp := p.initial[x]
		return sp.from + k - sp.before
	}
	if p.period == 0 {
		return -1
	}
	d, per := k-p.initialN, int64(len(p.offsets))
	return p.initialLen + d/per*p.period + p.offsets[d%per]
}

// Count returns how many of the whole run's first n positions the part
// holds: its share of a run of n deliveries.
func (p *Part) Count(n int64) int64 {
	c := int64(0)
	for _, sp := range p.initial {
		c += min(max(n-sp.from, 0), sp.n)
	}
	if p.period > 0 && n > p.initialLen {
		d := n - p.initialLen
		c += d/p.period*int64(len(p.offsets)) + int64(sort.Search(len(p.offsets), func(x int) bool { return p.offsets[x] >= d%p.period }))
	}
	return c
}

// order is the seeded order in which Part lays the corporates on [0, 1): a
// shuffle, so that the corporates of one part are spread over the whole
// run's schedule rather than bunched at one end of its initial syncs.
func (s *Stream) order() []int {
	out := make([]int, len(s.orgs))
	for i := range out {
		out[i] = i
	}
	for i := len(out) - 1; i > 0; i-- {
		j := int(mix(s.seed^0x5eed5eed, uint64(i)) % uint64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out
}
