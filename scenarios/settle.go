package scenarios

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/show"
)

// Settle makes the runner wait for the consumer's state to settle before it
// judges it (see Settling). Without it, state is judged at once.
func Settle(s judge.Settling) Option { return func(r *Runner) { r.settling = s } }

// judging is the runner's Settling, on the runner's clock unless it has
// one of its own.
func (r *Runner) judging() judge.Settling {
	s := r.settling
	if s.Clock == nil {
		s.Clock = r.clock
	}
	return s
}

// Judging limits what the state judgement compares to the aspects in what
// (default judge.CompareAll): the runner waits for those to settle, and no
// others. A check about the connection need not wait for employee records
// a consumer keeps wrong.
func Judging(what judge.Aspect) Option { return func(r *Runner) { r.aspects = what } }

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
	began := r.clock.Now()
	for _, or := range rep.Orgs {
		since := lastAck(rep, or.OrgID)
		if since.IsZero() {
			since = began
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := judge.Await(ctx, r.probe, or.OrgID, rep.truth.Org(or.OrgID), r.aspects, since, r.judging())
			if err != nil {
				mu.Lock()
				errs = append(errs, show.Refuse("scenarios", "probe for org %s: %w", or.OrgID, err))
				mu.Unlock()
				return
			}
			got.Sessions, got.Acknowledged, got.Deliveries = or.Sessions, or.Acknowledged, or.Deliveries
			or.Verdict = got
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// SummarizeLag returns the median and the largest processing lag of the
// converged orgs of reps.
func SummarizeLag(reps ...*Report) judge.LagSummary {
	var vs []judge.Verdict
	for _, rep := range reps {
		if rep != nil {
			for _, o := range rep.Orgs {
				vs = append(vs, o.Verdict)
			}
		}
	}
	return judge.SummarizeLag(vs)
}

// judgeEOD holds, after an EOD batch and with a probe, every org the batch
// touched against the truth so far: a consumer that answers 2xx to a burst
// and drops what its queue cannot hold has lost data behind a 2xx, even if
// a later step would paper over it. Only records and applied counts are
// judged, within the runner's settle budget; a difference is a problem of
// the report, naming the step. An EOD that ends the scenario is left to
// the final judgement, which covers it.
func (r *Runner) judgeEOD(ctx context.Context, rep *Report, sr *StepReport, batch []*Delivery) error {
	what := (judge.Records | judge.AppliedOnce) & r.aspects
	if r.probe == nil || r.dry || len(sr.Resent) == 0 || what == 0 || ctx.Err() != nil {
		return nil
	}
	now := rep.truth.Clone()
	r.settle(now, rep.Deliveries)
	var orgs []string
	for _, d := range batch {
		if d.acknowledged() && !slices.Contains(orgs, d.OrgID) {
			orgs = append(orgs, d.OrgID)
		}
	}
	for _, org := range orgs {
		since := lastAck(rep, org)
		got, err := judge.Await(ctx, r.probe, org, now.Org(org), what, since, r.judging())
		if err != nil {
			if ctx.Err() != nil {
				return nil // the interrupt is the report's to tell
			}
			return show.Refuse("scenarios", "probe for org %s: %w", org, err)
		}
		if !got.Converged {
			rep.Problems = append(rep.Problems, fmt.Sprintf("after the EOD batch at %s, org %s had not applied everything it acknowledged: %s", sr.At, org, summarizeDiffs(got)))
		}
	}
	return nil
}
