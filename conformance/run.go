package conformance

import (
	"cmp"
	"context"
	"sync"
)

// DefaultParallel is how many checks Run plays at once when Options set
// none. Each check plays its own org, so a correct consumer gives the same
// verdicts in parallel as in series; four keeps a laptop-sized consumer
// (and a 2-core CI runner) far from saturation while hiding most of the
// settling waits of a consumer that applies later.
const DefaultParallel = 4

// Options says which checks Run plays and how.
type Options struct {
	// Keep selects the checks to play (nil: all).
	Keep func(Check) bool
	// Parallel is how many checks play at once (0: DefaultParallel; 1: one
	// after another). Checks that judge speed (DEL-ACK-TIME, DEL-BURST)
	// always play alone, before the others, so that parallelism cannot
	// make a consumer look slow.
	Parallel int
	// OnResult, if set, is called with each result as it is known, in
	// catalogue order (a result waits for those before it), from one
	// goroutine at a time.
	OnResult func(Result)
}

// Run plays the checks that o keeps against t and returns their results in
// catalogue order. The error is for a target that cannot be reached, a
// probe that fails, or a broken check: the first such error (in catalogue
// order) stops the checks still playing, and Run returns it with every
// result that was known. A consumer that stops answering (StarveAfter
// timeouts in a row, see Result.Starved) is no error: the check it stopped
// in FAILs, the run stops, and every check left is SKIP, not judged, with
// the reason. When ctx ends, Run returns the checks that
// finished, and ctx's error; a check cut short is neither judged nor
// returned. A Target or Options that make no sense (see their Validate)
// are refused with an *OptionError, and nothing is played.
func Run(ctx context.Context, t Target, o Options) ([]Result, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var checks []Check
	for _, c := range Checks() {
		if o.Keep == nil || o.Keep(c) {
			checks = append(checks, c)
		}
	}
	p := &play{checks: checks, t: t, results: make([]*Result, len(checks)), errs: make([]error, len(checks)), onResult: o.OnResult}
	run, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.cancel = cancel
	p.watch = &watch{stop: cancel}
	// Speed first, alone, on a consumer that nothing else is loading.
	for i, c := range checks {
		if c.timing {
			p.one(run, i)
		}
	}
	p.pool(run, cmp.Or(o.Parallel, DefaultParallel), func(c Check) bool { return !c.timing })
	return p.collect(ctx)
}

// play is one Run: the checks, their results by catalogue position, and
// the ordered delivery of results to OnResult.
type play struct {
	checks   []Check
	t        Target
	cancel   context.CancelCauseFunc
	watch    *watch // stops the run when the consumer stops answering
	onResult func(Result)

	mu      sync.Mutex
	results []*Result
	errs    []error
	emitted int // results[:emitted] have gone to onResult
}

// pool plays the checks that keep selects, n at once.
func (p *play) pool(ctx context.Context, n int, keep func(Check) bool) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p.one(ctx, i)
			}
		}()
	}
	for i, c := range p.checks {
		if keep(c) && ctx.Err() == nil {
			work <- i
		}
	}
	close(work)
	wg.Wait()
}

// one plays check i, unless an earlier error or the end of ctx stopped the run.
func (p *play) one(ctx context.Context, i int) {
	if ctx.Err() != nil {
		return
	}
	r, err := p.checks[i].run(ctx, p.t, p.watch)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil && r.Verdict != "" && (ctx.Err() == nil || p.watch.stopped() != nil):
		p.results[i] = &r // judged, or not judged because the consumer stopped answering
		p.emit()
	case ctx.Err() != nil:
		// cut short: neither judged nor failed
	case err != nil:
		p.errs[i] = err
		p.cancel(err)
	}
}

// emit hands OnResult every result whose predecessors are all known.
// p.mu is held.
func (p *play) emit() {
	for p.emitted < len(p.results) && p.results[p.emitted] != nil {
		if p.onResult != nil {
			p.onResult(*p.results[p.emitted])
		}
		p.emitted++
	}
}

// collect returns every result known, in catalogue order, and the first
// error (in catalogue order), or ctx's when it ended the run. Results that
// were waiting for an unfinished check go to OnResult now.
func (p *play) collect(ctx context.Context) ([]Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	for _, e := range p.errs {
		if e != nil {
			err = e
			break
		}
	}
	if why := p.watch.stopped(); why != nil {
		for i, r := range p.results {
			if r == nil && p.errs[i] == nil {
				c := p.checks[i]
				p.results[i] = &Result{ID: c.ID, Label: c.Label, Title: c.Title, Seed: p.t.Seed, Verdict: Skip, Reason: "not judged: " + why.Error()}
			}
		}
	}
	var out []Result
	for i, r := range p.results {
		if r == nil {
			continue
		}
		out = append(out, *r)
		if i >= p.emitted && p.onResult != nil {
			p.onResult(*r)
		}
	}
	if err == nil && len(out) < len(p.results) {
		err = ctx.Err()
	}
	return out, err
}
