package scenarios

import (
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// orgRun is an org as the run goes: its corporate and its employees as
// Tartan last reported them.
type orgRun struct {
	spec Org
	corp fixtures.Corporate
	emps []fixtures.Employee
	fs   fixtures.FieldSet
}

// builder turns steps into deliveries. It owns the scenario's generator:
// data depends on the seed and the step sequence only.
type builder struct {
	g       *fixtures.Generator
	shuf    *gofakeit.Faker // shuffles and forgeries, apart from the data
	key     []byte
	vendor  fixtures.Vendor
	orgs    map[string]*orgRun
	orgList []string  // org ids in the file's order
	base    time.Time // real time of Moment 0
	layout  wire.Layout
	seq     int
}

func newBuilder(sc *Scenario, seed uint64, runID string, key []byte, base time.Time) (*builder, error) {
	g := fixtures.New(fixtures.NewFaker(seed), fixtures.At(base), fixtures.RunID(runID))
	b := &builder{
		g: g, shuf: fixtures.NewFaker(seed ^ 0x5eed_5eed), key: key,
		vendor: g.Vendor(), orgs: map[string]*orgRun{}, base: base,
	}
	var err error
	if b.layout, err = layoutOf(sc.Layout, wire.Compact); err != nil {
		return nil, err
	}
	for _, o := range sc.Orgs {
		c := g.Corporate()
		switch o.Codes {
		case "numeric":
			c.CodeStyle = fixtures.NumericCodes
		case "alphanumeric":
			c.CodeStyle = fixtures.AlphanumericCodes
		}
		b.orgList = append(b.orgList, o.ID)
		b.orgs[o.ID] = &orgRun{spec: o, corp: c, fs: fixtures.Without(o.Omit...)}
	}
	return b, nil
}

func layoutOf(s string, def wire.Layout) (wire.Layout, error) {
	if s == "" {
		return def, nil
	}
	return wire.ParseLayout(s)
}

// action names a step's action, for reports.
func (s *Step) action() (string, string) {
	switch {
	case s.Invite != nil:
		return "invite", s.Invite.Org
	case s.InitialSync != nil:
		return "initial-sync", s.InitialSync.Org
	case s.DeltaSync != nil:
		return "delta-sync", s.DeltaSync.Org
	case s.RealtimeSync != nil:
		return "realtime-sync", s.RealtimeSync.Org
	case s.Terminate != nil:
		return "terminate", s.Terminate.Org
	case s.EOD != nil:
		return "eod", ""
	case s.Event != nil:
		return "event:" + s.Event.Kind, s.Event.Org
	}
	return "", ""
}

// events makes the webhooks of a step, stamped from at, one second apart
// within a session.
func (b *builder) events(s *Step, at time.Time) ([]fixtures.Event, error) {
	b.g.SetNow(at)
	action, orgID := s.action()
	o, ok := b.orgs[orgID]
	if !ok {
		return nil, show.Refuse("scenarios", "step %s names unknown org %q", action, orgID)
	}
	kind := func(id string) fixtures.Kind {
		k, err := fixtures.LookupKind(id)
		if err != nil {
			panic(err) // the catalogue's own names
		}
		return k
	}
	switch {
	case s.Invite != nil:
		return []fixtures.Event{b.g.ConnectionEvent(kind(fixtures.EventConnectionRequested), o.corp, b.vendor, fixtures.Invited(b.vendor), at)}, nil
	case s.Terminate != nil:
		return []fixtures.Event{b.g.ConnectionEvent(kind(fixtures.EventConnectionTerminated), o.corp, b.vendor, fixtures.Terminated(o.corp), at)}, nil
	case s.InitialSync != nil:
		if o.emps == nil {
			o.emps = b.g.Employees(o.corp, o.spec.Employees)
		}
		sess := b.g.Session(o.corp, b.vendor)
		evs := []fixtures.Event{sess.Initiated(len(o.emps), 0, at)}
		return append(evs, sess.Employees(kind("sync.events.employee.add/initial"), o.emps, o.fs, at.Add(time.Second))...), nil
	case s.DeltaSync != nil, s.RealtimeSync != nil:
		d := s.DeltaSync
		if d == nil {
			d = s.RealtimeSync
		}
		return b.delta(o, d, at)
	case s.Event != nil:
		return b.single(o, kind(s.Event.Kind), at)
	}
	return nil, show.Refuse("scenarios", "step has no action")
}

// delta applies a sync's changes to the org and makes its webhooks:
// sync.events.initiated with the counts, delta adds for joiners, then
// complete-record updates for everyone changed.
func (b *builder) delta(o *orgRun, d *OrgDelta, at time.Time) ([]fixtures.Event, error) {
	if o.emps == nil {
		o.emps = b.g.Employees(o.corp, o.spec.Employees)
	}
	a, err := b.g.ApplyDelta(o.corp, o.emps, d.Delta)
	if err != nil {
		return nil, show.Refuse("scenarios", "org %q: %w", o.spec.ID, err)
	}
	o.emps = a.Employees
	joiners, updated := a.Joiners, a.Updated
	sess := b.g.Session(o.corp, b.vendor)
	evs := []fixtures.Event{sess.Initiated(len(joiners), len(updated), at)}
	next := at.Add(time.Second)
	if len(joiners) > 0 {
		adds := sess.Employees(fixtures.Kind{Event: fixtures.EventEmployeeAdd, Type: fixtures.TypeDelta}, joiners, o.fs, next)
		evs = append(evs, adds...)
		next = next.Add(time.Duration(len(adds)) * time.Second)
	}
	if len(updated) > 0 {
		evs = append(evs, sess.Employees(fixtures.Kind{Event: fixtures.EventEmployeeUpdate, Type: fixtures.TypeDelta}, updated, o.fs, next)...)
	}
	return evs, nil
}

// single makes one event of any kind about the org.
func (b *builder) single(o *orgRun, k fixtures.Kind, at time.Time) ([]fixtures.Event, error) {
	hrms := o.corp.HRMS
	switch k.Event {
	case fixtures.EventConnectionRequested:
		return []fixtures.Event{b.g.ConnectionEvent(k, o.corp, b.vendor, fixtures.Invited(b.vendor), at)}, nil
	case fixtures.EventConnectionTerminated:
		return []fixtures.Event{b.g.ConnectionEvent(k, o.corp, b.vendor, fixtures.Terminated(o.corp), at)}, nil
	case fixtures.EventConnectionAccepted:
		conn := fixtures.Connection{Status: fixtures.StatusAccepted, HRMS: &hrms, InvitedBy: &b.vendor.Inviter, AcceptedBy: &o.corp.Admin}
		return []fixtures.Event{b.g.ConnectionEvent(k, o.corp, b.vendor, conn, at)}, nil
	case fixtures.EventConnectionFailed:
		conn := fixtures.Connection{Status: fixtures.StatusFailed, InvitedBy: &b.vendor.Inviter}
		return []fixtures.Event{b.g.ConnectionEvent(k, o.corp, b.vendor, conn, at)}, nil
	case fixtures.EventSyncInitiated:
		return []fixtures.Event{b.g.Session(o.corp, b.vendor).Initiated(0, 0, at)}, nil
	case fixtures.EventSyncCompleted:
		s := b.g.Session(o.corp, b.vendor)
		s.Initiated(0, 0, at)
		body := []any{wire.NewObject(2).Add("newRecords", 0).Add("updatedRecords", 0)}
		return []fixtures.Event{s.Event(k, body, nil, at.Add(time.Second))}, nil
	case fixtures.EventEmployeeRemark:
		if len(o.emps) == 0 {
			return nil, show.Refuse("scenarios", "org %q has no employees to remark on yet", o.spec.ID)
		}
		e := o.emps[b.g.Faker().IntN(len(o.emps))]
		s := b.g.Session(o.corp, b.vendor)
		s.Initiated(0, 1, at)
		body := []any{wire.NewObject(3).Add("employeeId", e.EmployeeID).Add("remark", "PAN not linked with Aadhaar").Add("createdAt", fixtures.Stamp(at))}
		one := 1
		return []fixtures.Event{s.Event(k, body, &one, at.Add(time.Second))}, nil
	}
	return nil, show.Refuse("scenarios", "event %s is sent by initial-sync and delta-sync steps, not by event", k.ID())
}

// deliveries builds a step's deliveries in send order, with its overrides
// and faults: genuine ones signed with the key, forged ones beside them.
func (b *builder) deliveries(s *Step, stepIndex int, at Moment, evs []fixtures.Event) ([]*Delivery, error) {
	action, org := s.action()
	layout, err := layoutOf(s.Layout, b.layout)
	if err != nil {
		return nil, err
	}
	n := len(evs)
	docs := make([]*wire.Object, n)
	for i := range evs {
		docs[i] = evs[i].Document()
	}
	if err := applyOverrides(s, stepIndex, docs); err != nil {
		return nil, err
	}
	faults, err := faultsOf(s, n)
	if err != nil {
		return nil, err
	}
	hcase := make([]sender.HeaderCase, n)
	for i := range evs {
		for _, f := range faults[i] {
			switch f.Type {
			case FaultUnknownField:
				addUnknownField(docs[i])
			case FaultHeaderCase:
				hcase[i], _ = sender.ParseHeaderCase(f.Case) // Run validated the case
			}
		}
	}

	var out, delayed []*Delivery
	for _, i := range b.order(s, faults, n) {
		body := wire.Encode(docs[i], layout)
		d := b.delivery(stepIndex, action, org, at, evs[i], sender.Prepare(b.key, body, sender.SignatureValid, hcase[i]))
		var forged []*Delivery
		for _, f := range faults[i] {
			if f.Type == FaultSignature || f.Type == FaultTamper {
				forged = append(forged, b.forge(stepIndex, action, org, at, evs[i], docs[i], layout, f))
			} else if d.inject(f) {
				d.addFault(f)
			}
		}
		// Forged copies go right after the genuine webhook: a consumer
		// that applied one would let it overwrite the genuine values, so
		// the forgery shows in its records as well as in applied.
		d.fromDoc(docs[i])
		if d.delay > 0 {
			delayed = append(append(delayed, d), forged...)
		} else {
			out = append(append(out, d), forged...)
		}
	}
	return append(out, delayed...), nil
}

// applyOverrides changes docs, a step's documents, as its overrides say.
// An override that matches none of the webhooks it selects is an error.
func applyOverrides(s *Step, stepIndex int, docs []*wire.Object) error {
	for _, ov := range s.Overrides {
		o, err := ov.parse()
		if err != nil {
			return err
		}
		sel, err := selectWebhooks(ov.Webhooks, len(docs))
		if err != nil {
			return err
		}
		matched := 0
		for _, i := range sel {
			if o.Apply(docs[i]) == nil {
				matched++
			}
		}
		if matched == 0 {
			return show.Refuse("scenarios", "override %s matches nothing in step %d's webhooks", o, stepIndex)
		}
	}
	return nil
}

// faultsOf returns, for each of a step's n webhooks, the faults that select
// it, in the step's order.
func faultsOf(s *Step, n int) ([][]FaultSpec, error) {
	faults := make([][]FaultSpec, n)
	for _, f := range s.Faults {
		sel, err := selectWebhooks(f.Webhooks, n)
		if err != nil {
			return nil, err
		}
		for _, i := range sel {
			faults[i] = append(faults[i], f)
		}
	}
	return faults, nil
}

// inject gives d the effect of fault f on how it is sent, and reports
// whether f is d's to name (the orderings belong to the step).
func (d *Delivery) inject(f FaultSpec) bool {
	switch f.Type {
	case FaultDrop:
		d.senderFault = sender.FaultDrop
	case FaultAckLost:
		d.senderFault = sender.FaultAckLost
	case FaultDuplicate, FaultDuplicateConcurrent:
		// Validate leaves Copies 0, meaning 1, to Parse's defaults.
		d.copies, d.concurrent = max(1, f.Copies), f.Type == FaultDuplicateConcurrent
	case FaultDelay:
		d.delay = time.Duration(f.Delay)
	case FaultHeaderCase, FaultUnknownField:
		// done to the document and the headers before it was signed
	default: // reorder and shuffle: the step's order, not this delivery
		return false
	}
	return true
}

// order returns the send order of a step's webhooks: reorder reverses the
// selected ones in place, shuffle permutes them.
func (b *builder) order(s *Step, faults [][]FaultSpec, n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for _, f := range s.Faults {
		if f.Type != FaultReorder && f.Type != FaultShuffle {
			continue
		}
		sel, _ := selectWebhooks(f.Webhooks, n)
		vals := make([]int, len(sel))
		for j, p := range sel {
			vals[j] = order[p]
		}
		if f.Type == FaultReorder {
			for l, r := 0, len(vals)-1; l < r; l, r = l+1, r-1 {
				vals[l], vals[r] = vals[r], vals[l]
			}
		} else {
			b.shuf.ShuffleInts(vals)
		}
		for j, p := range sel {
			order[p] = vals[j]
		}
	}
	return order
}

func (b *builder) delivery(step int, action, org string, at Moment, ev fixtures.Event, p sender.Delivery) *Delivery {
	b.seq++
	d := &Delivery{Seq: b.seq, Step: step, Action: action, Org: org, At: at, Body: p.Body, Header: p.Header}
	d.fromEvent(ev)
	return d
}

// forge makes a delivery Tartan would never send, from webhook ev: a new
// requestId and a changed value, so that applying it would show in state;
// then signed with the fault's signature variant, or signed and then
// tampered with.
func (b *builder) forge(step int, action, org string, at Moment, ev fixtures.Event, doc *wire.Object, layout wire.Layout, f FaultSpec) *Delivery {
	forged := doc.Clone()
	rid := b.shuf.UUID()
	forged.Set("requestId", rid)
	mark := func(o *wire.Object) {
		paths := []string{"body[0].name", "body[0].newRecords"}
		if strings.HasPrefix(ev.Event, "connection.events.") {
			paths = []string{"body[0].status"}
		}
		for _, path := range paths {
			p := wire.MustParsePath(path)
			if vals, err := p.Get(o); err == nil {
				switch v := vals[0].(type) {
				case string:
					_, _ = p.Set(o, forgedText(path, v))
				default:
					_, _ = p.Set(o, 999999)
				}
				return
			}
		}
		o.Set("message", "forged")
	}
	var d *Delivery
	if f.Type == FaultTamper {
		// The signature of the bytes before mark, on the bytes after it:
		// Prepare leaves the header out, and it goes in as Tartan spells it.
		sig := sender.Sign(b.key, wire.Encode(forged, layout))
		mark(forged)
		p := sender.Prepare(b.key, wire.Encode(forged, layout), sender.SignatureMissing, sender.HeaderLower)
		p.Header[sender.HeaderSignature] = []string{sig}
		d = b.delivery(step, action, org, at, ev, p)
	} else {
		v, _ := sender.ParseSignature(f.Signature) // Run validated the variant
		mark(forged)
		d = b.delivery(step, action, org, at, ev, sender.Prepare(b.key, wire.Encode(forged, layout), v, sender.HeaderLower))
	}
	d.addFault(f)
	d.Forged = true
	d.fromDoc(forged)
	return d
}

// forgedText is what a forgery writes in place of the text v at path: a
// name marked "(forged)", or, for a connection event's status, the other
// status an attacker wants (a live connection terminated, a terminated one
// invited again), so that a forged connection event applied shows in
// connectionStatus as well as in applied.
func forgedText(path, v string) string {
	switch {
	case path != "body[0].status":
		return v + " (forged)"
	case v == fixtures.StatusTerminated:
		return fixtures.StatusInvited
	}
	return fixtures.StatusTerminated
}

// addUnknownField adds a key no consumer knows to the document and to each
// of its records, once however many unknown-field faults select it.
func addUnknownField(doc *wire.Object) {
	doc.Set("tartansimUnknownField", "added by tartansim: ignore politely")
	body, _ := doc.Get("body")
	records, _ := body.([]any)
	for _, r := range records {
		if rec, ok := r.(*wire.Object); ok && !rec.Has("tartansimUnknownField") {
			rec.Add("tartansimUnknownField", "added by tartansim")
		}
	}
}

// selectWebhooks resolves selectors to the 0-based indexes they select
// among n webhooks, in order (see selects). Selecting nothing is an error.
func selectWebhooks(sel []string, n int) ([]int, error) {
	var out []int
	for pos := 1; pos <= n; pos++ {
		if selects(sel, pos, n) {
			out = append(out, pos-1)
		}
	}
	if len(out) == 0 {
		return nil, show.Refuse("scenarios", "webhooks %v select none of the step's %d", sel, n)
	}
	return out, nil
}

// parse turns an Override of a file into a wire.Override.
func (o Override) parse() (wire.Override, error) {
	switch {
	case o.Set != "":
		return wire.ParseOverride(wire.OpSet, o.Set)
	case o.Add != "":
		return wire.ParseOverride(wire.OpAdd, o.Add)
	default:
		return wire.ParseOverride(wire.OpDelete, o.Unset)
	}
}
