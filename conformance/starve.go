package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// StarveAfter is how many timeouts in a row stop a run: deliveries that
// were written and got no answer within their timeout, and state probe
// reads that timed out, with no answer from the consumer between them. A
// timeout counts when it began after the last one counted had ended, so
// the deliveries of a burst that time out together count once: a
// consumer that sheds a burst and then answers again keeps its verdicts.
// One that has stopped answering would make every check wait out every
// timeout; the run stops instead, and the checks left are not judged.
const StarveAfter = 3

// Starved says that the consumer stopped answering, and where: the cause
// of a run stopped early. Its Error is the sentence the checks not judged
// give as their reason.
type Starved struct {
	// Check is the check playing when the consumer stopped answering.
	Check string
	// Deliveries and ProbeReads count the timeouts of the row that
	// stopped the run.
	Deliveries, ProbeReads int
}

// Error says what stopped the run, in one sentence.
func (s *Starved) Error() string {
	what := plural(s.Deliveries, "delivery", "deliveries")
	if s.ProbeReads > 0 {
		what += " and " + plural(s.ProbeReads, "state probe read", "state probe reads")
	}
	return fmt.Sprintf("the consumer stopped answering during %s: %s timed out one after another, with no answer between them", s.Check, what)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// watch counts a run's timeouts in a row, across its checks, and stops the
// run when there are StarveAfter of them (see StarveAfter). It is safe for
// concurrent use: checks play side by side, and a burst's deliveries
// answer from several goroutines.
type watch struct {
	stop context.CancelCauseFunc // cancels the run with the *Starved

	mu     sync.Mutex
	row    int       // timeouts counted in the current row
	rowEnd time.Time // when the last one counted ended
	count  Starved   // what the current row holds
	why    *Starved  // set when the run was stopped
}

// answered resets the row: the consumer answered something.
func (w *watch) answered() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.why == nil {
		w.row, w.count = 0, Starved{}
	}
}

// timedOut counts a timeout of check that began and ended at the times
// given, and stops the run at the StarveAfter-th in a row.
func (w *watch) timedOut(check string, began, ended time.Time, probeRead bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.why != nil {
		return
	}
	if probeRead {
		w.count.ProbeReads++
	} else {
		w.count.Deliveries++
	}
	if w.row > 0 && began.Before(w.rowEnd) {
		return // timed out beside the one counted last: the same wait
	}
	w.row++
	w.rowEnd = ended
	if w.row >= StarveAfter {
		s := w.count
		s.Check = check
		w.stopWith(&s)
	}
}

// stopWith stops the run with why, once. w.mu is held.
func (w *watch) stopWith(why *Starved) {
	if w.why == nil {
		w.why = why
		w.stop(why)
	}
}

// starved stops the run with why, unless it was stopped already, and
// returns the cause it stopped with.
func (w *watch) starved(why *Starved) *Starved {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopWith(why)
	return w.why
}

// stopped returns why the run was stopped, or nil.
func (w *watch) stopped() *Starved {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.why
}

// attempt watches one attempt of a delivery of check.
func (w *watch) attempt(check string, a scenarios.Attempt) {
	switch {
	case a.Result.Class.Injected():
		// dropped or its answer ignored on purpose: says nothing
	case a.Result.Status != 0:
		w.answered()
	case a.Result.Class == sender.ClassTimeout && a.Result.Sent:
		w.timedOut(check, a.Result.Start, a.Result.Start.Add(a.Latency), false)
	}
}

// probe wraps the state probe of check so that its reads are watched.
func (w *watch) probe(check string, f probe.Func) probe.Func {
	return func(ctx context.Context, orgID string) (probe.State, error) {
		began := time.Now()
		st, err := f(ctx, orgID)
		switch {
		case err == nil:
			w.answered()
		case probeTimedOut(err):
			w.timedOut(check, began, time.Now(), true)
		}
		return st, err
	}
}

// probeTimedOut reports whether err is a state probe read that timed out.
func probeTimedOut(err error) bool {
	var pe *probe.Error
	return errors.As(err, &pe) && sender.Classify(pe.Err) == sender.ClassTimeout
}

// timeouts returns the genuine deliveries of rep with an attempt that was
// written and got no answer within its timeout, and how many such
// attempts there were.
func timeouts(rep *scenarios.Report) ([]*scenarios.Delivery, int) {
	var out []*scenarios.Delivery
	n := 0
	for _, d := range rep.Deliveries {
		hit := false
		for _, a := range d.Attempts {
			if a.Result.Class == sender.ClassTimeout && a.Result.Sent {
				n++
				hit = true
			}
		}
		if hit && !d.Forged {
			out = append(out, d)
		}
	}
	return out, n
}

// maxStarvedDetails bounds the deliveries a starved verdict lists.
const maxStarvedDetails = 5

// starvedVerdict is the FAIL of a check during which the consumer stopped
// answering: its deliveries timed out, and so did the state probe (probeErr)
// or the timeouts that followed (why). Both facts come first in the
// details, then the deliveries that timed out.
func starvedVerdict(res *Result, timedOut []*scenarios.Delivery, attempts int, budget time.Duration, probeErr error, why *Starved) {
	res.Verdict, res.Starved = Fail, true
	res.Reason = fmt.Sprintf("the consumer stopped answering: %s got no answer within %s", plural(len(timedOut), "delivery", "deliveries"), 3*budget)
	if probeErr != nil {
		res.Reason += ", and the state probe timed out too"
	}
	res.Details = append(res.Details, res.Reason)
	if probeErr != nil {
		res.Details = append(res.Details, "the state probe timed out as well: "+strings.TrimPrefix(probeErr.Error(), "scenarios: "))
	}
	if why != nil {
		res.Details = append(res.Details, why.Error()+"; the run stopped there rather than wait out every timeout")
	}
	for i, d := range timedOut {
		if i == maxStarvedDetails {
			res.Details = append(res.Details, fmt.Sprintf("and %d more deliveries (%d attempts in all) timed out", len(timedOut)-i, attempts))
			break
		}
		for _, a := range d.Attempts {
			if a.Result.Class == sender.ClassTimeout && a.Result.Sent {
				res.Details = append(res.Details, describe(d)+" got no answer: "+a.Result.Summary())
				break
			}
		}
	}
}
