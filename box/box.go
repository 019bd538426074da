package box

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/internal/journal"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// Errors of the Go API; the HTTP handlers answer them as 400 or 404.
var (
	// ErrUnknownOrg means no corporate has that org_id (or remote_org_id).
	ErrUnknownOrg = error(&show.Refusal{Pkg: "box", Why: "unknown org"})
	// ErrNotAccepted means the corporate has not accepted the invite yet.
	ErrNotAccepted = error(&show.Refusal{Pkg: "box", Why: "the corporate has not accepted the invite"})
	// ErrSyncInProgress means a sync session of the org is still being sent.
	ErrSyncInProgress = error(&show.Refusal{Pkg: "box", Why: "a sync is in progress"})
	// ErrTerminated means the connection has ended.
	ErrTerminated = error(&show.Refusal{Pkg: "box", Why: "the connection is terminated"})
	// ErrRejected means the corporate rejected the invite.
	ErrRejected = error(&show.Refusal{Pkg: "box", Why: "the corporate rejected the invite"})
	// ErrNotPending means the corporate has no pending invite to reject.
	ErrNotPending = error(&show.Refusal{Pkg: "box", Why: "the invite is not pending"})
	// ErrBadOption is wrapped by New's error for a bad option.
	ErrBadOption = error(&show.Refusal{Pkg: "box", Why: "bad option"})
	// ErrClosed means the box was closed.
	ErrClosed = error(&show.Refusal{Pkg: "box", Why: "closed"})
)

// Box is Tartan in a box: Tartan's REST API (Handler), the corporates it
// simulates, and the signed webhooks both send to one consumer, all from
// one state. Make it with New and Close it when done. A Box is safe for
// concurrent use.
type Box struct {
	cfg    config
	send   *sender.Sender
	secret []byte // signs access tokens; never the app key or the API key

	mu         sync.Mutex
	changed    *sync.Cond // broadcast on every change of queue, verdicts, orgs
	g          *fixtures.Generator
	ids        *gofakeit.Faker // requestIds of API answers, apart from the data
	vendor     fixtures.Vendor
	orgs       map[string]*org
	order      []string // org ids in invite order
	log        []*Delivery
	stamps     map[string]time.Time // each org's last timeStamp
	queues     map[string][]job     // each org's sends and session ends, in order
	ready      []string             // orgs with something queued and nothing in flight, in turn
	running    map[string]bool      // orgs with a job in a worker's hands
	pending    int                  // jobs queued, all orgs
	inflight   int                  // jobs in workers' hands
	fail       sender.Fault
	failN      int
	acks       int   // numbers acknowledgements, to apply them in order
	attempts   int64 // numbers attempts, from 1
	eodBatches int64 // numbers EOD batches, from 1
	stops      []func() bool
	closed     bool
	ctx        context.Context
	cancel     context.CancelFunc
	done       chan struct{}
	api        apiState // faults on the API and its call log (faults.go)

	jw        *journal.Writer // writes the journal (Persist); nil without one
	replaying bool            // the journal is being replayed: nothing is sent or written
	restored  Restored
	// vendorUserID is the numeric id of the vendor's user who invites
	// (org_details' invited_by and created_by).
	vendorUserID int
}

type config struct {
	target      string
	appKey      []byte
	apiKey      string
	seed        uint64
	clock       clock.Clock
	acceptAfter time.Duration
	employees   int
	events      fixtures.Subscription
	layout      wire.Layout
	schedule    func(time.Time) time.Time
	churn       fixtures.Delta
	eod         func(time.Time) time.Time
	probe       probe.Func
	settling    judge.Settling
	senderOpts  []sender.Option
	onSend      func(Sent)
	apiFaults   []APIFault
	journal     Journal
}

// Sent is one send of a delivery, as OnSend hears of it.
type Sent struct {
	// Seq is the delivery's (see Delivery.Seq); Kind the attempt's
	// (deliverylog.First, EOD or Resend), and EODBatch the number of the
	// EOD batch of an EOD send (0 otherwise).
	Seq      int
	Kind     deliverylog.Kind
	EODBatch int64
	// Target is where it went; Request its exact bytes and headers; Result
	// the answer.
	Target  string
	Request sender.Delivery
	Result  sender.Result
}

// OnSend registers f, called after every send of a webhook, outside the
// box's locks, from the box's sending goroutines: one call at a time for a
// corporate, in the order of its sends, before its next send (calls about
// different corporates may run at once). For a log of the box's own, such
// as the console's Deliveries list.
func OnSend(f func(Sent)) Option { return func(c *config) error { c.onSend = f; return nil } }

// Option configures a Box in New.
type Option func(*config) error

// Seed fixes every generated value (org ids, employees, request ids); the
// same seed and the same calls give the same bytes. Default 1.
func Seed(n uint64) Option { return func(c *config) error { c.seed = n; return nil } }

// WithClock sets the box's clock (default: the wall clock).
func WithClock(cl clock.Clock) Option {
	return func(c *config) error {
		if cl == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrBadOption)
		}
		c.clock = cl
		return nil
	}
}

// AcceptAfter is how long after an invite the simulated corporate accepts
// and its initial sync starts: 0 at once, Never only when Accept is called.
// Default DefaultAcceptAfter.
func AcceptAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 && d != Never {
			return fmt.Errorf("%w: AcceptAfter(%s): want 0 or more, or Never", ErrBadOption, d)
		}
		c.acceptAfter = d
		return nil
	}
}

// Employees is how many employees each new corporate has (default
// DefaultEmployees; 0 is a corporate with nobody yet; at most
// MaxEmployees), unless its invite says (Invitation.Employees).
func Employees(n int) Option {
	return func(c *config) error {
		if n < 0 || n > MaxEmployees {
			return fmt.Errorf("%w: Employees(%d): want 0 to %d", ErrBadOption, n, MaxEmployees)
		}
		c.employees = n
		return nil
	}
}

// Events is the subscription: only these events are sent, first sends, EOD
// batches and resends alike (default fixtures.All).
func Events(s fixtures.Subscription) Option {
	return func(c *config) error { c.events = s; return nil }
}

// Layout is the byte layout of webhook bodies (default wire.Compact).
func Layout(l wire.Layout) Option { return func(c *config) error { c.layout = l; return nil } }

// Schedule sets when delta syncs run: next returns the first run after its
// argument; nil runs none. Default Weekly(time.Monday, 3, 18), in UTC.
func Schedule(next func(time.Time) time.Time) Option {
	return func(c *config) error { c.schedule = next; return nil }
}

// Churn is what changes in each corporate's HRMS before a scheduled sync
// (default one joiner, one promotion, one leaver).
func Churn(d fixtures.Delta) Option { return func(c *config) error { c.churn = d; return nil } }

// EODSchedule sets when the EOD batch runs by itself: next returns the
// first run after its argument; nil (the default) runs it only on demand.
// Daily(23, 59, wire.IST) is Tartan's end of day.
func EODSchedule(next func(time.Time) time.Time) Option {
	return func(c *config) error { c.eod = next; return nil }
}

// WithProbe lets the box judge each org's state after each session (see
// Verdict): probe.HTTP for a URL, or a Go function.
func WithProbe(p probe.Func) Option { return func(c *config) error { c.probe = p; return nil } }

// Settle is how verdicts wait for a consumer that applies later (default:
// a budget of judge.DefaultSettle).
func Settle(s judge.Settling) Option { return func(c *config) error { c.settling = s; return nil } }

// SenderOptions passes options to the webhook sender (timeout, TLS, ...).
func SenderOptions(opts ...sender.Option) Option {
	return func(c *config) error { c.senderOpts = append(c.senderOpts, opts...); return nil }
}

// Weekly returns a schedule at weekday hh:mm UTC.
func Weekly(day time.Weekday, hh, mm int) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		t = t.UTC()
		n := time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, time.UTC)
		n = n.AddDate(0, 0, (int(day)-int(n.Weekday())+7)%7)
		if !n.After(t) {
			n = n.AddDate(0, 0, 7)
		}
		return n
	}
}

// Daily returns a schedule at hh:mm in loc.
func Daily(hh, mm int, loc *time.Location) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		t = t.In(loc)
		n := time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, loc)
		if !n.After(t) {
			n = n.AddDate(0, 0, 1)
		}
		return n
	}
}

// Every returns a schedule every d from the time it is asked.
func Every(d time.Duration) func(time.Time) time.Time {
	return func(t time.Time) time.Time { return t.Add(d) }
}

// New returns a box that sends webhooks to target, signed with appKey, and
// serves Tartan's API to callers that present apiKey. Both keys are
// required and must differ; neither is ever returned by the API.
func New(target string, appKey []byte, apiKey string, opts ...Option) (*Box, error) {
	cfg := config{
		target: target, appKey: append([]byte(nil), appKey...), apiKey: apiKey,
		seed: 1, clock: clock.Real, acceptAfter: DefaultAcceptAfter, employees: DefaultEmployees,
		layout: wire.Compact, schedule: Weekly(time.Monday, 3, 18),
		churn:    fixtures.Delta{Joiners: 1, Promotions: 1, Leavers: 1},
		settling: judge.Settling{Budget: judge.DefaultSettle},
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case len(cfg.appKey) == 0:
		return nil, fmt.Errorf("%w: the app key is empty", ErrBadOption)
	case cfg.apiKey == "":
		return nil, fmt.Errorf("%w: the API key is empty", ErrBadOption)
	case cfg.apiKey == string(cfg.appKey):
		return nil, fmt.Errorf("%w: the API key must differ from the app key", ErrBadOption)
	}
	s, err := sender.New(target, cfg.senderOpts...)
	if err != nil {
		return nil, err
	}
	var history [][]byte
	if cfg.journal != nil {
		if history, err = cfg.journal.Load(); err != nil {
			s.Close()
			return nil, err
		}
	}
	seed := cfg.seed
	if journaled, ok := journalSeed(history); ok {
		cfg.seed = journaled // its data came from that seed
	}
	b := &Box{cfg: cfg, send: s, done: make(chan struct{})}
	b.changed = sync.NewCond(&b.mu)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.fresh()
	var interrupted []Sent
	if cfg.journal != nil {
		b.jw = journal.NewWriter(cfg.journal)
		interrupted = b.restore(history, seed)
	}
	var workers sync.WaitGroup
	for range Connections {
		workers.Go(b.work)
	}
	go func() { workers.Wait(); close(b.done) }()
	b.mu.Lock()
	if cfg.schedule != nil {
		b.arm(cfg.schedule, b.scheduledSync)
	}
	if cfg.eod != nil {
		b.arm(cfg.eod, func() { b.EOD() })
	}
	b.mu.Unlock()
	if b.cfg.onSend != nil {
		for _, sent := range interrupted {
			b.cfg.onSend(sent)
		}
	}
	return b, nil
}

// fresh gives the box the state of a new one: no corporates, nothing sent,
// a generator at the start of its seed.
func (b *Box) fresh() {
	g := fixtures.New(fixtures.NewFaker(b.cfg.seed), fixtures.At(b.cfg.clock.Now()), fixtures.RunID(fixtures.RunIDFor(b.cfg.seed)))
	b.g, b.vendor = g, g.Vendor()
	b.secret = []byte(g.Faker().LetterN(32))
	b.ids = fixtures.NewFaker(b.cfg.seed ^ 0x1d5_1d5)
	b.vendorUserID = 100 + int(b.cfg.seed%900)
	b.orgs, b.order, b.log, b.stamps = map[string]*org{}, nil, nil, map[string]time.Time{}
	b.queues, b.ready, b.running = map[string][]job{}, nil, map[string]bool{}
	b.pending, b.inflight, b.fail, b.failN = 0, 0, sender.FaultNone, 0
	b.acks, b.attempts, b.eodBatches = 0, 0, 0
}

// arm runs f at next(now), then again at each following time. b.mu held.
func (b *Box) arm(next func(time.Time) time.Time, f func()) {
	now := b.cfg.clock.Now()
	b.stops = append(b.stops, b.cfg.clock.AfterFunc(next(now).Sub(now), func() {
		b.mu.Lock()
		closed := b.closed
		b.mu.Unlock()
		if closed {
			return
		}
		f()
		b.mu.Lock()
		if !b.closed {
			b.arm(next, f)
		}
		b.mu.Unlock()
	}))
}

// SetTarget points the webhooks at another consumer URL, from the next
// send on; a send in flight finishes where it was going.
func (b *Box) SetTarget(target string) error {
	s, err := sender.New(target, b.cfg.senderOpts...)
	if err != nil {
		return err
	}
	b.mu.Lock()
	old := b.send
	b.send, b.cfg.target = s, target
	b.mu.Unlock()
	old.Close()
	return nil
}

// SetEvents changes the subscription, from the next webhook made or re-sent
// on (see Events).
func (b *Box) SetEvents(sub fixtures.Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.events = sub
	b.note(entry{Op: opEvents, Events: sub.String()}, len(b.log))
}

// SetLayout changes the byte layout of the webhooks made from now on;
// stored ones keep their bytes.
func (b *Box) SetLayout(l wire.Layout) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.layout = l
	b.note(entry{Op: opLayout, Layout: &l}, len(b.log))
}

// SetProbe changes the state probe of the verdicts judged from now on (nil:
// no probe, verdicts not judged).
func (b *Box) SetProbe(p probe.Func) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.probe = p
}

// HasProbe reports whether the box has a state probe to judge with.
func (b *Box) HasProbe() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg.probe != nil
}

// Seed returns the box's seed, for failure reports.
func (b *Box) Seed() uint64 { return b.cfg.seed }

// Vendor returns the integrator's own organisation: the vendor.orgId of
// every webhook, and employee_details' vendor_org.
func (b *Box) Vendor() fixtures.Vendor { return b.vendor }

// Close stops the schedules and the sender, dropping webhooks not sent
// yet, and waits for the sender to stop. Verdicts being judged are
// abandoned.
func (b *Box) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	for _, stop := range b.stops {
		stop()
	}
	for _, o := range b.orgs {
		if o.stopAccept != nil {
			o.stopAccept()
		}
	}
	b.cancel()
	b.changed.Broadcast()
	b.mu.Unlock()
	<-b.done
	b.mu.Lock()
	s := b.send
	b.mu.Unlock()
	s.Close()
	if b.jw != nil {
		_ = b.jw.Close() // its error stays in JournalError
	}
}

// Handler returns Tartan's REST API (every path under /api/), to mount at
// the root of the consumer's Tartan base URL. It records every call (see
// Calls) and answers the ones an armed fault takes (see ArmAPIFault).
func (b *Box) Handler() http.Handler { return b.faulty(b.apiMux()) }
