package judge

import (
	"context"
	"time"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/probe"
)

// Settling is how a state judgement waits for a consumer that applies what
// it acknowledged later, from a queue: it reads the probe again and again,
// with backoff, until the state equals the truth and stays equal for a
// quiet interval, or the budget runs out.
//
// The zero value waits DefaultSettle, in every door: the CLI, the
// console, the box, conformance targets and scenario runners alike. To
// judge at once, from one read, set Budget to JudgeAtOnce.
type Settling struct {
	// Budget is how long to wait for the state to equal the truth, counted
	// from when the judgement starts (right after the last delivery was
	// answered). 0 is DefaultSettle; JudgeAtOnce (any negative value)
	// reads the state once.
	Budget time.Duration
	// Quiet is the shortest time the state must stay equal to the truth
	// before it counts as settled; the interval is never shorter than the
	// consumer's processing lag so far, so that a forged or duplicate
	// delivery that waits in the same queue as the genuine ones is applied
	// inside it and caught. 0 means DefaultQuiet.
	Quiet time.Duration
	// Clock paces the reads (nil: the wall clock).
	Clock clock.Clock
}

// Defaults of Settling, as every door uses them.
const (
	// DefaultSettle is the settle budget of the CLI (--settle), the console,
	// the box and conformance targets that set none.
	DefaultSettle = 10 * time.Second
	// DefaultQuiet is the shortest quiet interval.
	DefaultQuiet = 500 * time.Millisecond
)

// JudgeAtOnce is the Settling.Budget that judges state from one read,
// without waiting (the CLI's --settle 0).
const JudgeAtOnce time.Duration = -1

// DefaultSettling is the wait every door uses unless told otherwise: the
// zero Settling, spelled out.
func DefaultSettling() Settling { return Settling{Budget: DefaultSettle} }

// Effective returns the budget s waits: DefaultSettle for 0, 0 (judge at
// once) for a negative Budget.
func (s Settling) Effective() time.Duration {
	switch {
	case s.Budget < 0:
		return 0
	case s.Budget == 0:
		return DefaultSettle
	}
	return s.Budget
}

// The probe is read at once, then after firstPoll, then at intervals
// growing by 30% up to maxPoll: 44 reads for a consumer that never
// converges within DefaultSettle, about 15 for one with a lag of half a
// second. The gentle growth keeps the lag's estimate within about 15% of
// the lag.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 300 * time.Millisecond
)

// nextPoll is the interval after interval.
func nextPoll(interval time.Duration) time.Duration { return min(interval*13/10, maxPoll) }

// Await reads orgID's state through state until it settles (see Settling)
// and holds it against truth in the aspects what. since is when the
// consumer last acknowledged a delivery about the org, from which the lag
// is counted. The error is the probe's (or ctx's); a state that never
// converges is a judged Verdict with Converged false and the last
// differences, never an error.
//
// The wait ends early when the probe's pending (contract v1.1) is 0: a
// consumer with nothing left to apply is judged as it is. While pending is
// above 0 the wait goes on, even through an equal state. A difference that
// no wait can mend (a delivery applied twice, a forged one applied) ends it
// at once.
func Await(ctx context.Context, state probe.Func, orgID string, truth *OrgTruth, what Aspect, since time.Time, s Settling) (Verdict, error) {
	c := clock.Or(s.Clock)
	budget := s.Effective()
	var (
		out        = Verdict{OrgID: orgID, Budget: budget}
		began      = c.Now()
		deadline   = began.Add(budget)
		interval   = firstPoll
		equalSince time.Time // the first read of the current run of equal states
		differed   time.Time // the last read whose state differed
		quiet      = s.Quiet
	)
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	end := func(converged bool, why End) (Verdict, error) {
		out.Judged, out.Converged, out.Ended, out.Waited = true, converged, why, c.Now().Sub(began)
		if converged {
			out.Differences = []Difference{}
			out.Lag, out.LagAtMost = max(0, equalSince.Sub(since)), differed.IsZero()
			if !differed.IsZero() {
				out.Lag = max(0, differed.Add(equalSince.Sub(differed)/2).Sub(since))
			}
		}
		return out, nil
	}
	for {
		read := c.Now()
		st, err := state(ctx, orgID)
		out.Polls++
		if err != nil {
			out.Waited = c.Now().Sub(began)
			return out, err
		}
		diffs, final := truth.compare(st, what)
		if diffs == nil {
			diffs = []Difference{}
		}
		out.State, out.Differences = &st, diffs
		idle := st.Pending != nil && *st.Pending == 0
		switch {
		case len(diffs) > 0:
			equalSince, differed = time.Time{}, read
			switch {
			case final:
				return end(false, NoMending)
			case budget == 0:
				return end(false, AtOnce)
			case idle:
				return end(false, PendingZero)
			}
		default:
			if equalSince.IsZero() {
				equalSince = read
			}
			switch {
			case budget == 0:
				return end(true, AtOnce)
			case idle:
				return end(true, PendingZero)
			case st.Pending == nil && c.Now().Sub(equalSince) >= max(quiet, equalSince.Sub(since)):
				return end(true, Quiet)
			}
		}
		left := deadline.Sub(c.Now())
		if left <= 0 {
			// Equal at the end of the budget is equal: the quiet interval
			// cannot be had, and the state is what the consumer holds.
			return end(!equalSince.IsZero(), BudgetRanOut)
		}
		select {
		case <-ctx.Done():
			out.Waited = c.Now().Sub(began)
			return out, ctx.Err()
		case <-c.After(min(interval, left)):
		}
		interval = nextPoll(interval)
	}
}
