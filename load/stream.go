package load

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/wire"
)

// Stream is the endless, deterministic sequence of webhooks a load run
// sends: for Orgs corporates, first each one's initial sync (initiated,
// then its employees in batches of 10), then round after round of delta
// syncs (initiated, then Changes complete records). Delivery i is a pure
// function of the seed and i, so shards and workers make it independently,
// in any order. Records are generated and encoded once, when the stream is
// made; a delivery costs one envelope, the records' bytes and a signature.
// A Stream is safe for concurrent use.
type Stream struct {
	seed    uint64
	layout  wire.Layout
	vendor  fixtures.Vendor
	orgs    []streamOrg
	changes int
	initial int64 // deliveries of all initial sessions
	deltaL  int64 // deliveries of one delta session
	// With a subscription (StreamOptions.Events) the stream skips what it
	// leaves out: kept holds the positions of the initial sessions it
	// keeps, and each delta session keeps the offsets of deltaKept. Both
	// nil: every delivery.
	kept      []int64
	deltaKept []int64
	filtered  bool
	shape     string // see Shape
}

type streamOrg struct {
	corp     fixtures.Corporate
	records  []any // each employee as first synced: a wire.Raw, boxed once
	updated  []any // each employee after a change, likewise
	initialL int64
}

// StreamOptions shape a Stream.
type StreamOptions struct {
	Seed      uint64
	Layout    wire.Layout
	Orgs      int // corporates (default DefaultOrgs)
	Employees int // employees per corporate (default DefaultEmployees)
	Changes   int // records per delta session (default DefaultChanges)
	// Sizes, when set, gives each corporate's employees in turn (cycled
	// over Orgs corporates), e.g. the org sizes of a scenario.
	Sizes []int
	// Events is the subscription: the stream holds only deliveries of
	// these events (default: all). What it keeps is byte for byte what the
	// whole stream has at the same place.
	Events fixtures.Subscription
}

// Defaults for StreamOptions.
const (
	DefaultOrgs      = 20
	DefaultEmployees = 100
	DefaultChanges   = 10
)

// NewStream generates the orgs of a stream. Zero and negative sizes give
// the defaults; StreamOptions.Validate refuses negative ones first.
func NewStream(o StreamOptions) *Stream {
	if o.Orgs <= 0 {
		o.Orgs = DefaultOrgs
	}
	if o.Employees <= 0 {
		o.Employees = DefaultEmployees
	}
	if o.Changes <= 0 {
		o.Changes = DefaultChanges
	}
	g := fixtures.New(fixtures.NewFaker(o.Seed), fixtures.RunID(fixtures.RunIDFor(o.Seed)))
	s := &Stream{seed: o.Seed, layout: o.Layout, vendor: g.Vendor(), changes: o.Changes}
	for k := range o.Orgs {
		n := o.Employees
		if len(o.Sizes) > 0 {
			n = max(1, o.Sizes[k%len(o.Sizes)])
		}
		c := g.Corporate()
		emps := g.Employees(c, n)
		org := streamOrg{corp: c, initialL: 1 + int64((len(emps)+fixtures.MaxRecords-1)/fixtures.MaxRecords)}
		for i := range emps {
			org.records = append(org.records, wire.Raw(wire.AppendAt(nil, emps[i].Record(fixtures.FieldSet{}), o.Layout, 2)))
		}
		for _, change := range []fixtures.Change{fixtures.Promotion, fixtures.Transfer, fixtures.ManagerChange} {
			for range len(emps) / 3 {
				_, _ = g.Apply(change, emps) // ErrNoCandidate only leaves a record as it was
			}
		}
		for i := range emps {
			org.updated = append(org.updated, wire.Raw(wire.AppendAt(nil, emps[i].Record(fixtures.FieldSet{}), o.Layout, 2)))
		}
		s.orgs = append(s.orgs, org)
		s.initial += org.initialL
	}
	s.deltaL = 1 + int64((s.changes+fixtures.MaxRecords-1)/fixtures.MaxRecords)
	if !o.Events.IsAll() {
		s.subscribe(o.Events)
	}
	employees := 0
	for k := range s.orgs {
		employees += len(s.orgs[k].records)
	}
	s.shape = fmt.Sprintf("%d corporates of %d employees in all, %d records per delta session, %s layout, events %s",
		len(s.orgs), employees, s.changes, o.Layout, o.Events)
	return s
}

// Shape describes what the stream holds besides its seed: its corporates,
// their employees, the records per delta session, the layout and the
// subscription. Shards of one run have the same.
func (s *Stream) Shape() string { return s.shape }

// Seed is the stream's seed.
func (s *Stream) Seed() uint64 { return s.seed }

// Orgs is how many corporates the stream syncs.
func (s *Stream) Orgs() int { return len(s.orgs) }

// subscribe keeps only the deliveries of sub's events.
func (s *Stream) subscribe(sub fixtures.Subscription) {
	s.filtered, s.kept, s.deltaKept = true, []int64{}, []int64{}
	for i := range s.initial {
		if sub.Sends(s.Meta(i).Event()) {
			s.kept = append(s.kept, i)
		}
	}
	for off := range s.deltaL {
		if sub.Sends(s.Meta(s.initial + off).Event()) {
			s.deltaKept = append(s.deltaKept, off)
		}
	}
}

// Len is how many deliveries the stream holds: -1 for endless (delta
// rounds go on for ever), or, when a subscription leaves out every delta
// delivery, the initial ones it keeps (perhaps 0).
func (s *Stream) Len() int64 {
	if !s.filtered || len(s.deltaKept) > 0 {
		return -1
	}
	return int64(len(s.kept))
}

// Index returns where the n-th delivery of the stream stands in the whole
// stream, its position for Meta and AppendBody: n itself without a
// subscription. It is -1 past the end of a stream of Len n or fewer.
func (s *Stream) Index(n int64) int64 {
	switch {
	case !s.filtered:
		return n
	case n < int64(len(s.kept)):
		return s.kept[n]
	case len(s.deltaKept) == 0:
		return -1
	}
	d := n - int64(len(s.kept))
	per := int64(len(s.deltaKept))
	return s.initial + d/per*s.deltaL + s.deltaKept[d%per]
}

// Meta describes delivery i without building it.
type Meta struct {
	Org     int
	Round   int64 // 0: the initial sync; then delta rounds
	Counter int   // webhookCounter
}

// Event is the event and eventType of the delivery m describes: the
// session's sync.events.initiated, then employee adds in the initial sync
// and employee updates in delta syncs.
func (m Meta) Event() (event, eventType string) {
	switch {
	case m.Counter == 1:
		return fixtures.EventSyncInitiated, fixtures.TypeSync
	case m.Round == 0:
		return fixtures.EventEmployeeAdd, fixtures.TypeInitial
	default:
		return fixtures.EventEmployeeUpdate, fixtures.TypeDelta
	}
}

// Meta locates delivery i in its session.
func (s *Stream) Meta(i int64) Meta {
	if i < s.initial {
		for o := range s.orgs {
			if i < s.orgs[o].initialL {
				return Meta{Org: o, Counter: int(i) + 1}
			}
			i -= s.orgs[o].initialL
		}
	}
	j := i - s.initial
	k := j / s.deltaL
	return Meta{Org: int(k % int64(len(s.orgs))), Round: 1 + k/int64(len(s.orgs)), Counter: int(j%s.deltaL) + 1}
}

// Body returns the bytes of delivery i, stamped at.
func (s *Stream) Body(i int64, at time.Time) []byte { return s.AppendBody(nil, i, at) }

// AppendBody appends the bytes of delivery i, stamped at, to dst: Body
// into a buffer the caller reuses, as each load worker does.
func (s *Stream) AppendBody(dst []byte, i int64, at time.Time) []byte {
	m := s.Meta(i)
	org := &s.orgs[m.Org]
	event, eventType := m.Event()
	var body []any
	var recordCount *int
	var batch [fixtures.MaxRecords]any
	switch {
	case m.Counter == 1:
		n, u := len(org.records), 0
		if m.Round > 0 {
			n, u = 0, s.changes
		}
		body = []any{wire.NewObject(2).Add("newRecords", n).Add("updatedRecords", u)}
	case m.Round == 0:
		from := (m.Counter - 2) * fixtures.MaxRecords
		to := min(from+fixtures.MaxRecords, len(org.records))
		body = org.records[from:to:to]
	default:
		n := min(fixtures.MaxRecords, s.changes-(m.Counter-2)*fixtures.MaxRecords)
		start := int(mix(s.seed, uint64(i)) % uint64(len(org.updated)))
		body = batch[:0]
		for k := range min(n, len(org.updated)) {
			body = append(body, org.updated[(start+k)%len(org.updated)])
		}
	}
	if m.Counter > 1 {
		recordCount = &counts[len(body)] // read only: no allocation per delivery
	}
	doc := fixtures.Event{ // the documented envelope, keys in their order
		SyncSessionID: sessionID(s.seed, m.Org, m.Round), WebhookCounter: m.Counter,
		RequestID: requestID(s.seed, i), OrgID: org.corp.OrgID, VendorOrgID: s.vendor.OrgID,
		Event: event, EventType: eventType, RecordCount: recordCount, Body: body,
		TimeStamp: fixtures.Stamp(at), StatusCode: "200", Message: "success",
		VendorAfterOrgID: event == fixtures.EventEmployeeAdd,
	}.Document()
	if dst == nil {
		dst = make([]byte, 0, 2048+len(body)*1800)
	}
	return wire.Append(dst, doc, s.layout)
}

// counts holds each recordCount a batch can have, for fixtures.Event's
// *int to point at.
var counts = func() (c [fixtures.MaxRecords + 1]int) {
	for i := range c {
		c[i] = i
	}
	return c
}()

// mix is splitmix64 of seed and n: the stream's source of per-delivery
// randomness, so that no delivery depends on another.
func mix(seed, n uint64) uint64 {
	z := seed + 0x9e3779b97f4a7c15*(n+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// requestID is a version-4-shaped UUID derived from the seed and i.
func requestID(seed uint64, i int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], mix(seed, uint64(i)))
	binary.BigEndian.PutUint64(b[8:], mix(seed^0xa5a5a5a5, uint64(i)))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// sessionID is 12 to 21 lowercase alphanumerics for (org, round).
func sessionID(seed uint64, org int, round int64) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := mix(seed^uint64(org)<<32, uint64(round))
	b := make([]byte, 12+h%10)
	for i := range b {
		h = mix(h, uint64(i))
		b[i] = alphabet[h%uint64(len(alphabet))]
	}
	return string(b)
}
