package scenarios

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/show"
)

// Run plays sc. Consumer failures are in the report, never errors; the
// error is for a scenario that cannot be played (one that Validate refuses,
// with no report, or an override that matches nothing in the webhooks the
// run made) or a probe that cannot be reached. When ctx ends, Run stops
// sending and returns the report so far, marked Interrupted.
func (r *Runner) Run(ctx context.Context, sc *Scenario) (*Report, error) {
	p, err := r.prepare(sc)
	if err != nil {
		return nil, err
	}
	defer func() { p.rep.Elapsed = r.clock.Now().Sub(p.began) }()
	if err := p.steps(ctx); err != nil {
		return p.rep, err
	}
	return p.rep, p.finish(ctx)
}

// play is one Run of one scenario: what it was given, what it built, and
// the report it fills in.
type play struct {
	r        *Runner
	sc       *Scenario
	b        *builder
	rep      *Report
	moments  []Moment
	began    time.Time
	sinceEOD int   // deliveries before this index were settled by an EOD
	eods     int64 // the EOD steps played so far: their batches' numbers
}

// prepare checks sc and builds what its run needs: the seeds, the
// timeline, the builder and an empty report.
func (r *Runner) prepare(sc *Scenario) (*play, error) {
	// A scenario built in Go has not been through Parse's checks; the
	// builder counts on them.
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	p := &play{r: r, sc: sc, began: r.clock.Now()}
	start := r.start
	if start.IsZero() {
		start = p.began.UTC().Truncate(time.Second)
	}
	seed := r.seed
	if sc.Seed != 0 {
		seed = sc.Seed
	}
	moments, end, err := timeline(sc)
	if err != nil {
		return nil, err
	}
	base := start.Add(-time.Duration(end))
	if p.b, err = newBuilder(sc, seedFor(seed, sc.Name), fixtures.RunIDFor(seed), r.key, base); err != nil {
		return nil, err
	}
	p.moments = moments
	p.rep = &Report{Scenario: sc.Name, Seed: seed, Start: start, Base: base, Target: show.URL(r.send.Target()), truth: judge.NewTruth(), DryRun: r.dry}
	return p, nil
}

// steps plays every step in turn, pacing them on the scenario clock, until
// the last or until ctx ends.
func (p *play) steps(ctx context.Context) error {
	prev := Moment(0) // no wait before the first step
	if len(p.moments) > 0 {
		prev = p.moments[0]
	}
	for i := range p.sc.Steps {
		if err := p.r.sleep(ctx, p.moments[i]-prev); err != nil {
			p.rep.Interrupted = true
			return nil
		}
		prev = p.moments[i]
		sr, err := p.step(ctx, i)
		if err != nil {
			return err
		}
		p.rep.Steps = append(p.rep.Steps, sr)
		if p.r.log != nil {
			_ = p.r.log.Flush() // a step's deliveries are on disk before the next step; errors are seen at the end
		}
		if p.r.onStep != nil {
			p.r.onStep(p.rep, sr)
		}
		if p.r.reporter != nil {
			p.r.reporter.Step(p.rep, sr)
		}
		if ctx.Err() != nil {
			p.rep.Interrupted = true
			return nil
		}
	}
	return nil
}

// step plays step i: an EOD batch, or the webhooks of an action.
func (p *play) step(ctx context.Context, i int) (*StepReport, error) {
	s := &p.sc.Steps[i]
	action, org := s.action()
	sr := &StepReport{Index: i + 1, At: p.moments[i], Action: action, Org: org}
	out := &stepSend{r: p.r, ctx: ctx, rep: p.rep, sr: sr, at: p.moments[i]}
	if s.EOD != nil {
		batch := p.r.eodBatch(p.rep.Deliveries[p.sinceEOD:])
		p.sinceEOD = len(p.rep.Deliveries)
		p.eods++
		out.batch = p.eods
		if s.EOD.Concurrency > 1 {
			// Tartan promises no order within a batch sent at once; a
			// seeded shuffle, so that what failed first does not always
			// reach the consumer first (an older update of an employee
			// released with a newer one must sometimes trail it).
			r := rand.New(rand.NewPCG(p.rep.Seed, uint64(i)))
			r.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		}
		out.all(batch, deliverylog.EOD, s.EOD.Concurrency)
		// The ones it re-sent: an interrupt can leave part of the batch unsent.
		sr.Webhooks = len(sr.Resent)
		if i == len(p.sc.Steps)-1 {
			return sr, nil // the final judgement covers it
		}
		return sr, p.r.judgeEOD(ctx, p.rep, sr, batch)
	}
	evs, err := p.b.events(s, p.moments[i].Time(p.rep.Base))
	if err != nil {
		return nil, err
	}
	ds, err := p.b.deliveries(s, i+1, p.moments[i], evs)
	if err != nil {
		return nil, fmt.Errorf("%s: step %d: %w", p.sc.Name, i+1, err)
	}
	ds, sr.Unsubscribed = p.r.subscribed(ds, len(p.rep.Deliveries))
	sr.Webhooks = len(ds)
	sr.Faults = stepFaults(s, ds)
	p.rep.Deliveries = append(p.rep.Deliveries, ds...)
	out.all(ds, deliverylog.First, s.Concurrency)
	return sr, nil
}

// stepFaults lists the faults a step injected into ds, each once: those of
// each delivery, and the orderings of the whole step.
func stepFaults(s *Step, ds []*Delivery) []string {
	var faults []string
	for _, d := range ds {
		for _, f := range d.faults {
			if !slices.Contains(faults, f) {
				faults = append(faults, f)
			}
		}
	}
	for _, f := range s.Faults {
		if (f.Type == FaultReorder || f.Type == FaultShuffle) && !slices.Contains(faults, string(f.Type)) {
			faults = append(faults, string(f.Type))
		}
	}
	return faults
}

// finish marks what is uncertain, flushes the log and judges the run.
func (p *play) finish(ctx context.Context) error {
	p.r.settle(p.rep.truth, p.rep.Deliveries)
	if p.r.log != nil {
		if err := p.r.log.Flush(); err != nil {
			return show.Refuse("scenarios", "writing the delivery log: %w", err)
		}
	}
	if p.rep.Interrupted || p.r.dry {
		return nil
	}
	return p.r.judge(ctx, p.rep, p.b)
}
