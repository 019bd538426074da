package scenarios

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tartansim/tartansim/probe"
)

// Settling is how a state judgement waits for a consumer that applies what
// it acknowledged later, from a queue: it reads the probe again and again,
// with backoff, until the state equals the truth and stays equal for a
// quiet interval, or the budget runs out. The zero value judges at once,
// from one read.
type Settling struct {
	// Budget is how long to wait for the state to equal the truth, counted
	// from when the judgement starts (right after the last delivery was
	// answered). 0 judges at once.
	Budget time.Duration
	// Quiet is the shortest time the state must stay equal to the truth
	// before it counts as settled; the interval is never shorter than the
	// consumer's processing lag so far, so that a forged or duplicate
	// delivery that waits in the same queue as the genuine ones is applied
	// inside it and caught. 0 means DefaultQuiet.
	Quiet time.Duration
}

// Defaults of Settling, as the CLI and the conformance checks use them.
const (
	// DefaultSettle is the settle budget of the CLI (--settle) and of
	// conformance targets that set none.
	DefaultSettle = 10 * time.Second
	// DefaultQuiet is the shortest quiet interval.
	DefaultQuiet = 500 * time.Millisecond
)

// The probe is read at once, then after firstPoll, then at intervals
// growing by 30% up to maxPoll: 44 reads for a consumer that never
// converges within DefaultSettle, about 15 for one with a lag of half a
// second. The gentle growth keeps the lag's estimate within about 15% of
// the lag (see Settled.Lag).
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 300 * time.Millisecond
)

// nextPoll is the interval after interval.
func nextPoll(interval time.Duration) time.Duration { return min(interval*13/10, maxPoll) }

// Settle makes the runner wait for the consumer's state to settle before it
// judges it (see Settling). Without it, state is judged at once.
func Settle(s Settling) Option { return func(r *Runner) { r.settling = s } }

// Judging limits what the state judgement compares to the aspects in what
// (default CompareAll): the runner waits for those to settle, and no
// others. A check about the connection need not wait for employee records
// a consumer keeps wrong.
func Judging(what Aspect) Option { return func(r *Runner) { r.aspects = what } }

// Settled is the outcome of waiting for one org's state.
type Settled struct {
	// State is the last state the probe gave.
	State probe.State
	// Diffs are its differences from the truth (none when Converged).
	Diffs []string
	// Converged reports that the state equalled the truth, and held: for
	// the quiet interval, until the probe's pending said 0, or at the end
	// of the budget.
	Converged bool
	// Lag is the consumer's processing lag: from since (its last
	// acknowledgement) to when its state came to equal the truth, and
	// held. That moment lies between the last read that differed and the
	// first that matched; Lag takes the middle, so it is off by at most
	// half a poll interval. It is 0 when the state never converged.
	Lag time.Duration
	// LagAtMost marks a Lag that is only a bound: the first read already
	// matched, so the state came to equal the truth at some moment between
	// since and that read (a scenario paced on its clock reads long after
	// the last acknowledgement; a consumer that applies before it answers
	// is at most that).
	LagAtMost bool
	// Waited is how long the judgement read the probe.
	Waited time.Duration
	// Polls counts the probe reads.
	Polls int
	// Ended says in a few words why the wait ended: "judged at once",
	// "pending 0", "quiet for 500ms", "the budget ran out", "a difference
	// no wait can mend".
	Ended string
}

// Await reads orgID's state through probe until it settles (see Settling)
// and holds it against truth in the aspects what. since is when the
// consumer last acknowledged a delivery about the org, from which the lag
// is counted. The error is the probe's; a state that never converges is a
// Settled with Converged false and the last differences, never an error.
//
// The wait ends early when the probe's pending (contract v1.1) is 0: a
// consumer with nothing left to apply is judged as it is. While pending is
// above 0 the wait goes on, even through an equal state. A difference that
// no wait can mend (a delivery applied twice, a forged one applied) ends it
// at once.
func Await(ctx context.Context, state probe.Func, orgID string, truth *OrgTruth, what Aspect, since time.Time, s Settling) (Settled, error) {
	var (
		out        Settled
		began      = time.Now()
		deadline   = began.Add(s.Budget)
		interval   = firstPoll
		equalSince time.Time // the first read of the current run of equal states
		differed   time.Time // the last read whose state differed
		quiet      = s.Quiet
	)
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	end := func(converged bool, why string) (Settled, error) {
		out.Converged, out.Ended, out.Waited = converged, why, time.Since(began)
		if converged {
			out.Diffs = nil
			out.Lag, out.LagAtMost = max(0, equalSince.Sub(since)), differed.IsZero()
			if !differed.IsZero() {
				out.Lag = max(0, differed.Add(equalSince.Sub(differed)/2).Sub(since))
			}
		} else {
			out.Lag = 0
		}
		return out, nil
	}
	for {
		read := time.Now()
		st, err := state(ctx, orgID)
		out.Polls++
		if err != nil {
			out.Waited = time.Since(began)
			return out, err
		}
		diffs, final := truth.compare(st, what)
		out.State, out.Diffs = st, diffs
		idle := st.Pending != nil && *st.Pending == 0
		switch {
		case len(diffs) > 0:
			equalSince, differed = time.Time{}, read
			switch {
			case final:
				return end(false, "a difference no wait can mend")
			case s.Budget <= 0:
				return end(false, "judged at once")
			case idle:
				return end(false, "pending 0")
			}
		default:
			if equalSince.IsZero() {
				equalSince = read
			}
			held := time.Since(equalSince)
			switch {
			case s.Budget <= 0:
				return end(true, "judged at once")
			case idle:
				return end(true, "pending 0")
			case st.Pending == nil && held >= max(quiet, equalSince.Sub(since)):
				return end(true, fmt.Sprintf("quiet for %s", held.Round(time.Millisecond)))
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			// Equal at the end of the budget is equal: the quiet interval
			// cannot be had, and the state is what the consumer holds.
			return end(!equalSince.IsZero(), "the budget ran out")
		}
		t := time.NewTimer(min(interval, left))
		select {
		case <-ctx.Done():
			t.Stop()
			out.Waited = time.Since(began)
			return out, ctx.Err()
		case <-t.C:
		}
		interval = nextPoll(interval)
	}
}

// lastAck returns when the consumer last acknowledged a delivery about
// orgID in rep; the zero time when it acknowledged none.
func lastAck(rep *Report, orgID string) time.Time {
	var last time.Time
	for _, d := range rep.Deliveries {
		if d.OrgID != orgID {
			continue
		}
		for _, a := range d.Attempts {
			if end := a.Result.Start.Add(a.Result.Latency); a.Result.OK() && end.After(last) {
				last = end
			}
		}
	}
	return last
}

// awaitOrgs settles every org of rep at once, each in its own goroutine,
// and fills in their reports. It returns the first probe error.
func (r *Runner) awaitOrgs(ctx context.Context, rep *Report) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	began := time.Now()
	for _, or := range rep.Orgs {
		since := lastAck(rep, or.OrgID)
		if since.IsZero() {
			since = began
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := Await(ctx, r.probe, or.OrgID, rep.truth.Org(or.OrgID), r.aspects, since, r.settling)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("scenarios: probe for org %s: %w", or.OrgID, err))
				mu.Unlock()
				return
			}
			or.Judged, or.State = true, &got.State
			or.Converged, or.Diffs = got.Converged, got.Diffs
			or.Lag, or.LagAtMost, or.Waited, or.Polls, or.Ended = got.Lag, got.LagAtMost, got.Waited, got.Polls, got.Ended
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// LagSummary is the processing lag over many judged orgs.
type LagSummary struct {
	// Orgs counts the orgs that converged, whose lag is summarised;
	// AtMost those whose lag is only a bound (see Settled.LagAtMost).
	Orgs   int           `json:"orgs"`
	AtMost int           `json:"atMost,omitempty"`
	Median time.Duration `json:"medianNs"`
	Max    time.Duration `json:"maxNs"`
}

// SummarizeLag returns the median and the largest processing lag of the
// converged orgs of reps.
func SummarizeLag(reps ...*Report) LagSummary {
	var lags []time.Duration
	atMost := 0
	for _, rep := range reps {
		if rep == nil {
			continue
		}
		for _, o := range rep.Orgs {
			if o.Judged && o.Converged {
				lags = append(lags, o.Lag)
				if o.LagAtMost {
					atMost++
				}
			}
		}
	}
	sum := summarize(lags)
	sum.AtMost = atMost
	return sum
}

func summarize(lags []time.Duration) LagSummary {
	if len(lags) == 0 {
		return LagSummary{}
	}
	slices.Sort(lags)
	med := lags[len(lags)/2]
	if len(lags)%2 == 0 {
		med = (lags[len(lags)/2-1] + med) / 2
	}
	return LagSummary{Orgs: len(lags), Median: med, Max: lags[len(lags)-1]}
}

// String is "median 120ms, max 410ms over 3 org(s)", with "; 2 at most
// (converged by the first read)" when some are bounds, or "none judged".
func (l LagSummary) String() string {
	if l.Orgs == 0 {
		return "none judged"
	}
	s := fmt.Sprintf("median %s, max %s over %d org(s)", FormatLag(l.Median), FormatLag(l.Max), l.Orgs)
	if l.AtMost > 0 {
		s += fmt.Sprintf("; %d at most (converged by the first read)", l.AtMost)
	}
	return s
}

// LagWords writes a lag for people, with "≤" when it is only a bound.
func LagWords(d time.Duration, atMost bool) string {
	if atMost {
		return "≤" + FormatLag(d)
	}
	return FormatLag(d)
}

// FormatLag writes a lag for people: to the millisecond, or to the
// microsecond under one ("412ms", "273µs").
func FormatLag(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// judgeEOD holds, after an EOD batch and with a probe, every org the batch
// touched against the truth so far: a consumer that answers 2xx to a burst
// and drops what its queue cannot hold has lost data behind a 2xx, even if
// a later step would paper over it. Only records and applied counts are
// judged, within the runner's settle budget; a difference is a problem of
// the report, naming the step. An EOD that ends the scenario is left to
// the final judgement, which covers it.
func (r *Runner) judgeEOD(ctx context.Context, rep *Report, sr *StepReport, batch []*Delivery) error {
	what := (Records | AppliedOnce) & r.aspects
	if r.probe == nil || r.dry || len(sr.Resent) == 0 || what == 0 || ctx.Err() != nil {
		return nil
	}
	now := rep.truth.clone()
	r.settle(now, rep.Deliveries)
	var orgs []string
	for _, d := range batch {
		if d.acknowledged() && !slices.Contains(orgs, d.OrgID) {
			orgs = append(orgs, d.OrgID)
		}
	}
	for _, org := range orgs {
		since := lastAck(rep, org)
		got, err := Await(ctx, r.probe, org, now.Org(org), what, since, r.settling)
		if err != nil {
			if ctx.Err() != nil {
				return nil // the interrupt is the report's to tell
			}
			return fmt.Errorf("scenarios: probe for org %s: %w", org, err)
		}
		if !got.Converged {
			rep.Problems = append(rep.Problems, fmt.Sprintf("after the EOD batch at %s, org %s had not applied everything it acknowledged: %s", sr.At, org, summarizeDiffs(got.Diffs)))
		}
	}
	return nil
}
