package scenarios

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"time"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// Runner plays scenarios against one consumer. Create it with NewRunner; it
// is safe to Run scenarios one after another, not at once.
type Runner struct {
	send   *sender.Sender
	key    []byte
	probe  probe.Func
	seed   uint64
	start  time.Time
	day    time.Duration
	onStep func(*Report, *StepReport)
	// onAttempt is OnAttempt's.
	onAttempt func(*Delivery, Attempt)
	// reporter is RunAll's, while it plays.
	reporter Reporter
	log      *deliverylog.Writer
	dry      bool
	clock    clock.Clock
	// settling and aspects are how state is judged (Settle, Judging).
	settling judge.Settling
	aspects  judge.Aspect
	events   fixtures.Subscription
}

// Option configures a Runner.
type Option func(*Runner)

// WithProbe lets the runner judge the consumer's state after each scenario.
// Without a probe, state is not judged (and a report says so).
func WithProbe(p probe.Func) Option { return func(r *Runner) { r.probe = p } }

// Seed is the run's seed; a scenario with a seed of its own uses that.
// The default is fixtures.DefaultSeed.
func Seed(n uint64) Option { return func(r *Runner) { r.seed = n } }

// Start is the real time the scenario's last moment maps to, so that no
// timeStamp lies in the future: an EOD batch carries stamps hours old, as in
// production. The default is the time Run is called. The same seed and
// Start give byte-identical deliveries.
func Start(t time.Time) Option { return func(r *Runner) { r.start = t.UTC().Truncate(time.Second) } }

// WithClock sets the runner's clock (default clock.Real): the real time Run
// starts at (see Start), how it paces the steps (DayLength) and how state
// judgements wait, unless Settle gives them a clock of their own.
func WithClock(c clock.Clock) Option { return func(r *Runner) { r.clock = clock.Or(c) } }

// DayLength is how long one scenario day lasts in real time: the runner
// sleeps between steps in proportion (a day of 24h compresses into d). The
// default, 0, does not sleep at all.
func DayLength(d time.Duration) Option { return func(r *Runner) { r.day = d } }

// DryRun builds every delivery, with its exact bytes, and sends nothing:
// steps report the webhooks they would send, the log (Record) gets one line
// per delivery with attempt "dry-run", and nothing is judged.
func DryRun() Option { return func(r *Runner) { r.dry = true } }

// Subscribe sends only the events of sub, as Tartan sends an integrator
// only the events it chose: first sends, duplicates and EOD re-sends
// alike. Deliveries of other events are built (the same seed gives the
// same bytes either way) and left out of the report; the truth holds only
// what was sent, so the consumer is judged on what it subscribed to. The
// default is fixtures.All.
func Subscribe(sub fixtures.Subscription) Option { return func(r *Runner) { r.events = sub } }

// OnStep is called after every step, with the report so far.
func OnStep(f func(*Report, *StepReport)) Option { return func(r *Runner) { r.onStep = f } }

// Record writes one NDJSON line per attempt to w (see package replay): the
// exact body and headers, the answer. The key is never written. Each Run
// flushes what it wrote before it returns.
func Record(w io.Writer) Option { return func(r *Runner) { r.log = deliverylog.NewWriter(w) } }

// OnAttempt calls f with every attempt to send a delivery, once its answer
// (or its failure) is known, and before the step ends: conformance watches
// a consumer that stops answering this way. Deliveries of a burst are sent
// from several goroutines, so f is called from several at once.
func OnAttempt(f func(*Delivery, Attempt)) Option { return func(r *Runner) { r.onAttempt = f } }

// NewRunner returns a runner that posts with s and signs with key.
func NewRunner(s *sender.Sender, key []byte, opts ...Option) *Runner {
	r := &Runner{send: s, key: key, seed: fixtures.DefaultSeed, aspects: judge.CompareAll, clock: clock.Real}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Report is what happened in one scenario.
type Report struct {
	Scenario string    `json:"scenario"`
	Seed     uint64    `json:"seed"`
	Start    time.Time `json:"start"`  // the real time of the last moment
	Base     time.Time `json:"base"`   // the real time of day 1 00:00 IST on the scenario clock
	Target   string    `json:"target"` // redacted: sender.RedactURL
	// Steps in order, EOD batches included.
	Steps      []*StepReport `json:"steps"`
	Deliveries []*Delivery   `json:"deliveries"`
	Orgs       []*OrgReport  `json:"orgs"`
	// DryRun marks a report of a run that sent nothing (see DryRun).
	DryRun bool `json:"dryRun,omitempty"`
	// Problems are the ways the consumer fell short, as plain sentences.
	Problems    []string      `json:"problems"`
	Elapsed     time.Duration `json:"elapsedNs"`
	Interrupted bool          `json:"interrupted,omitempty"`
	truth       *judge.Truth
}

// Passed reports whether the consumer handled the scenario correctly.
func (r *Report) Passed() bool { return len(r.Problems) == 0 && !r.Interrupted }

// Truth returns the expected state the run computed.
func (r *Report) Truth() *judge.Truth { return r.truth }

// Unreachable reports whether no attempt of the run reached the consumer
// at all (every one refused, unresolved, failed TLS or timed out before it
// was written; drops aside): no verdict on the consumer would mean anything.
func (r *Report) Unreachable() bool {
	n := 0
	for _, d := range r.Deliveries {
		for _, a := range d.Attempts {
			switch {
			case a.Result.Class == sender.ClassDropped:
				continue
			case a.Result.Status != 0 || !a.Result.Unreachable():
				return false
			}
			n++
		}
	}
	return n > 0
}

// FirstFailure summarises the first attempt that failed in transport, for
// a one-sentence error; "no answer" when there is none.
func (r *Report) FirstFailure() string {
	for _, d := range r.Deliveries {
		for _, a := range d.Attempts {
			if a.Result.Err != nil {
				return a.Result.Summary()
			}
		}
	}
	return "no answer"
}

// Counts tallies the deliveries by outcome.
func (r *Report) Counts() map[Outcome]int {
	c := map[Outcome]int{}
	for _, d := range r.Deliveries {
		c[d.Outcome()]++
	}
	return c
}

// StepReport is one step: what it sent and how it was answered.
type StepReport struct {
	Index  int    `json:"index"`
	At     Moment `json:"at"`
	Action string `json:"action"`
	Org    string `json:"org,omitempty"`
	// Webhooks counts the deliveries the step made (forged ones included;
	// for an EOD, the ones it re-sent).
	Webhooks int `json:"webhooks"`
	// Sent counts requests written, duplicates included, drops not.
	Sent int `json:"sent"`
	// OK and Failed count genuine attempts (first sends and EOD re-sends).
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	// Duplicates counts the extra identical copies sent, and DuplicatesOK
	// those acknowledged.
	Duplicates   int `json:"duplicates"`
	DuplicatesOK int `json:"duplicatesOk"`
	// Forged counts forged deliveries sent, Rejected those answered 4xx.
	Forged   int `json:"forged"`
	Rejected int `json:"rejected"`
	// Unsubscribed counts the webhooks the step made that the subscription
	// left out (see Subscribe): they were not sent.
	Unsubscribed int `json:"unsubscribed,omitempty"`
	// Faults lists the faults injected, e.g. "drop", "signature:near-miss".
	Faults []string `json:"faults,omitempty"`
	// Resent lists the Seq of each delivery an EOD batch re-sent.
	Resent []int `json:"resent,omitempty"`
}

// OrgReport is the verdict on one org's state: the judge's Verdict, and
// which org of the scenario it is.
type OrgReport struct {
	// ID is the org's name in the scenario file; Name its corporate name.
	ID        string `json:"id"`
	Name      string `json:"name"`
	Employees int    `json:"employees"`
	Status    string `json:"connectionStatus"`
	judge.Verdict
}

// subscribed returns the deliveries of ds whose event the subscription
// takes, numbered on from sent, and how many it left out.
func (r *Runner) subscribed(ds []*Delivery, sent int) ([]*Delivery, int) {
	if r.events.IsAll() {
		return ds, 0
	}
	kept := ds[:0:0]
	for _, d := range ds {
		if r.events.Sends(d.Event, d.EventType) {
			d.Seq = sent + len(kept) + 1
			kept = append(kept, d)
		}
	}
	return kept, len(ds) - len(kept)
}

// seedFor derives a scenario's data seed from the run's seed and its name,
// so that scenarios played together against one consumer never share an org.
func seedFor(seed uint64, name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return seed ^ h.Sum64()
}

func summarizeDiffs(v judge.Verdict) string { return strings.Join(v.Lines(2), "; ") }

// timeline returns every step's moment and the last one.
func timeline(sc *Scenario) ([]Moment, Moment, error) {
	moments, err := sc.Moments()
	if err != nil || len(moments) == 0 {
		return moments, 0, err
	}
	return moments, moments[len(moments)-1], nil
}

func (r *Runner) sleep(ctx context.Context, virtual Moment) error {
	if r.day <= 0 || virtual <= 0 {
		return ctx.Err()
	}
	d := time.Duration(float64(virtual) / float64(24*time.Hour) * float64(r.day))
	select {
	case <-r.clock.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// eodBatch returns the deliveries Tartan's EOD rule re-sends
// (deliverylog.DueAtEOD), in the order they were made.
func (r *Runner) eodBatch(ds []*Delivery) []*Delivery {
	var batch []*Delivery
	for _, d := range ds {
		if deliverylog.DueAtEOD(d.Forged, d.Attempts) {
			batch = append(batch, d)
		}
	}
	return batch
}

// settle marks in t what the consumer may hold of ds without having
// acknowledged it.
func (r *Runner) settle(t *judge.Truth, ds []*Delivery) {
	for _, d := range ds {
		if !d.Forged && !d.acknowledged() && d.maybeApplied() {
			_ = t.Uncertain(d.Body)
		}
	}
}

// judge turns outcomes and state into problems.
func (r *Runner) judge(ctx context.Context, rep *Report, b *builder) error {
	counts := map[Outcome][]*Delivery{}
	var unasked []*Delivery // genuine deliveries failed without a fault asking for it
	for _, d := range rep.Deliveries {
		o := d.Outcome()
		counts[o] = append(counts[o], d)
		if !d.Forged && !d.FailsOnPurpose() && len(d.Attempts) > 0 && !d.Attempts[0].Result.OK() {
			unasked = append(unasked, d)
		}
		for _, a := range d.Attempts[min(1, len(d.Attempts)):] {
			if a.Kind == deliverylog.Duplicate && !a.Result.OK() && !d.Forged {
				rep.Problems = append(rep.Problems, fmt.Sprintf("a duplicate of delivery %d (%s) was answered %s; duplicates must be acknowledged", d.Seq, d.Event, a.Result.Summary()))
				break
			}
		}
	}
	if n := len(counts[Accepted]); n > 0 {
		d := counts[Accepted][0]
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d forged deliveries were not rejected with 4xx, e.g. delivery %d (%s) answered %s", n, d.Seq, d.Fault, d.Attempts[0].Result.Summary()))
	}
	if n := len(unasked); n > 0 {
		d := unasked[0]
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d valid deliveries were not acknowledged when first sent, e.g. delivery %d (%s) answered %s", n, d.Seq, d.Event, d.Attempts[0].Result.Summary()))
	}
	if n := len(counts[FailedForGood]); n > 0 {
		d := counts[FailedForGood][0]
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d deliveries failed for good, even when the EOD batch re-sent them, e.g. delivery %d (%s): %s", n, d.Seq, d.Event, d.Attempts[len(d.Attempts)-1].Result.Summary()))
	}
	for _, id := range b.orgList {
		o := b.orgs[id]
		t := rep.truth.Org(o.corp.OrgID)
		or := &OrgReport{ID: id, Name: o.corp.Name, Employees: len(t.Employees), Status: t.ConnectionStatus,
			Verdict: judge.NotJudged(o.corp.OrgID, "no state probe")}
		or.Budget = r.settling.Effective()
		or.Sessions, or.Acknowledged, or.Deliveries = orgCounts(rep, o.corp.OrgID)
		rep.Orgs = append(rep.Orgs, or)
	}
	if r.probe == nil {
		return nil
	}
	if err := r.awaitOrgs(ctx, rep); err != nil {
		return err
	}
	for _, or := range rep.Orgs {
		if !or.Converged {
			rep.Problems = append(rep.Problems, fmt.Sprintf("org %s (%s) did not converge to the truth%s: %s", or.ID, or.Name, or.How(), summarizeDiffs(or.Verdict)))
		}
	}
	return nil
}

// orgCounts returns how many sync sessions of orgID rep sent, and how many of
// its genuine deliveries were acknowledged, of those made.
func orgCounts(rep *Report, orgID string) (sessions, acknowledged, deliveries int) {
	seen := map[string]bool{}
	for _, d := range rep.Deliveries {
		if d.OrgID != orgID || d.Forged {
			continue
		}
		deliveries++
		if d.acknowledged() {
			acknowledged++
		}
		if d.SyncSessionID != "" && !seen[d.SyncSessionID] {
			seen[d.SyncSessionID] = true
			sessions++
		}
	}
	return sessions, acknowledged, deliveries
}

// write hands attempt a of d to OnAttempt's function and to the log.
func (r *Runner) write(rep *Report, d *Delivery, a Attempt) {
	if r.onAttempt != nil && a.Kind != deliverylog.DryRun {
		r.onAttempt(d, a)
	}
	if r.log == nil {
		return
	}
	la := deliverylog.New(deliverylog.FromRun, a.Kind, sender.Delivery{Body: d.Body, Header: d.Header}, d.Forged, a.Result)
	la.Delivery, la.Run, la.Step, la.At, la.Fault, la.EODBatch = int64(d.Seq), rep.Scenario, d.Step, a.At.String(), d.Fault, a.EODBatch
	if a.Kind == deliverylog.DryRun { // when it would have been sent
		la.Time, la.Class, la.Result = a.At.Time(rep.Base), string(deliverylog.DryRun), "not sent (dry run)"
	}
	r.log.Write(la)
}
