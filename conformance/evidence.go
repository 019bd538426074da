package conformance

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// evidence collects the evidence of one check from its scenario's report.
// A failure anywhere makes the check FAIL, even when another part of it
// could not be judged; otherwise anything not judged makes it SKIP.
type evidence struct {
	rep    *scenarios.Report
	probed bool
	// what is the check's state aspects; probeFault, when the probe's
	// answers broke its contract, says how (the checks that need state
	// SKIP with it).
	what       judge.Aspect
	probeFault string
	budget     time.Duration
	fails      []string
	skips      []string
	notes      []string // evidence beside the failures, e.g. the first refused delivery
	// concern keeps the state differences that are the check's own (nil:
	// every one); the others are another check's to report.
	concern func(judge.Difference) bool
	// keyMismatch: the consumer refused every genuine delivery it
	// answered with 401 or 403 (see refusedAll).
	keyMismatch bool
	// countsIfAny: a probe without applied counts leaves them unjudged,
	// not the check SKIP (see Check.countsIfAny).
	countsIfAny bool
}

// KeyMismatchReason is the one sentence a check gives when the consumer
// refused every genuine delivery with 401 or 403: one cause, not a failure
// per delivery.
const KeyMismatchReason = "the consumer refused every genuine delivery with 401 or 403, as if every signature were wrong: the key it verifies with and the key tartansim signs with probably differ"

// refusedAll reports whether every answer the consumer gave to a genuine
// delivery was 401 or 403 (and there was at least one): not a signature
// bug in one place, but the wrong key.
func refusedAll(rep *scenarios.Report) bool {
	answered := 0
	for _, d := range rep.Deliveries {
		if d.Forged {
			continue
		}
		for _, a := range d.Attempts {
			if a.Status == 0 {
				continue // no answer: dropped, ack-lost, or cut off
			}
			if a.Status != http.StatusUnauthorized && a.Status != http.StatusForbidden {
				return false
			}
			answered++
		}
	}
	return answered > 0
}

func (j *evidence) fail(format string, a ...any) {
	j.fails = append(j.fails, fmt.Sprintf(format, a...))
}

func (j *evidence) verdict() (Verdict, string, []string) {
	switch {
	case len(j.fails) > 0:
		reason := j.fails[0]
		if n := len(j.fails) - 1; n > 0 {
			reason += fmt.Sprintf(" (and %d more)", n)
		}
		return Fail, reason, append(j.fails, j.notes...)
	case len(j.skips) > 0:
		return Skip, j.skips[0], j.skips
	}
	return Pass, "", nil
}

// describe names a delivery for people.
func describe(d *scenarios.Delivery) string {
	what := fmt.Sprintf("delivery %d (%s #%d, requestId %s", d.Seq, d.Event, d.WebhookCounter, d.RequestID)
	if d.Fault != "" {
		what += ", " + d.Fault
	}
	return what + ")"
}

// genuineAcked: every genuine delivery that no fault made fail on purpose
// was acknowledged when first sent, and so was every duplicate copy.
//
// When the consumer refused every one of them with 401 or 403, that is
// said once, as the keys probably differing.
func (j *evidence) genuineAcked() {
	if j.refused() {
		return
	}
	for _, d := range j.rep.Deliveries {
		if d.Forged || len(d.Attempts) == 0 {
			continue
		}
		for _, a := range d.Attempts {
			planned := a.Kind == deliverylog.First && d.FailsOnPurpose()
			if !planned && a.Kind != deliverylog.EOD && !a.Result.OK() {
				j.fail("%s was answered %s; a valid delivery must get a 2xx", describe(d), a.Result.Summary())
				break
			}
		}
	}
}

// refused reports whether the consumer refused every genuine delivery with
// 401 or 403, and the first time says so as the check's one failure.
func (j *evidence) refused() bool {
	if !refusedAll(j.rep) {
		return false
	}
	if !j.keyMismatch {
		j.keyMismatch = true
		j.fail("%s", KeyMismatchReason)
		for _, d := range j.rep.Deliveries {
			if !d.Forged && len(d.Attempts) > 0 && d.Attempts[0].Status != 0 {
				j.notes = append(j.notes, fmt.Sprintf("%s was answered %s, and every other genuine delivery alike", describe(d), d.Attempts[0].Result.Summary()))
				break
			}
		}
	}
	return true
}

// eodAcked: every delivery an EOD batch re-sent was acknowledged.
func (j *evidence) eodAcked() {
	if j.refused() {
		return
	}
	for _, d := range j.rep.Deliveries {
		for _, a := range d.Attempts {
			if a.Kind == deliverylog.EOD && !a.Result.OK() {
				j.fail("the EOD redelivery of %s was answered %s", describe(d), a.Result.Summary())
			}
		}
	}
}

// forgedRejected: every forged delivery was answered with a 4xx.
func (j *evidence) forgedRejected() {
	for _, d := range j.rep.Deliveries {
		if !d.Forged {
			continue
		}
		for _, a := range d.Attempts {
			if a.Status < 400 || a.Status >= 500 {
				j.fail("forged %s was answered %s; it must get a 4xx", describe(d), a.Result.Summary())
			}
		}
	}
}

// withinBudget: every attempt that reached the consumer was answered within
// the ack budget. When the consumer refused every genuine delivery with 401
// or 403 (the keys differ) and answered them in time, there is nothing
// acknowledged to time: SKIP, not a pass, and not a second failure for the
// cause that genuineAcked names.
func (j *evidence) withinBudget(keep func(*scenarios.Delivery, scenarios.Attempt) bool) {
	before := len(j.fails)
	defer func() {
		if len(j.fails) == before && refusedAll(j.rep) {
			j.keyMismatch = true
			j.skips = append(j.skips, "nothing was acknowledged to time: "+KeyMismatchReason)
		}
	}()
	for _, d := range j.rep.Deliveries {
		for _, a := range d.Attempts {
			if a.Result.Class == sender.ClassDropped || a.Result.Class == sender.ClassAckLost || !keep(d, a) {
				continue
			}
			if a.Result.Class == sender.ClassTimeout || a.Latency > j.budget {
				j.fail("%s took %s to be answered, over the %s budget", describe(d), a.Latency.Round(time.Millisecond), j.budget)
			}
		}
	}
}

// state: every org converged to the truth in the check's aspects, as the
// runner's settling left it. Without a probe, or without the applied counts
// the aspects need, the check cannot pass: it is SKIP (unless something
// else failed).
func (j *evidence) state(needs string) {
	switch {
	case j.probeFault != "":
		j.skips = append(j.skips, j.probeFault)
		return
	case !j.probed:
		j.skips = append(j.skips, "needs a state probe to judge "+needs)
		return
	}
	j.compare(needs)
}

// stateIfProbed judges state when there is a probe, and is silent when
// there is none (or it is at fault): for checks whose verdict stands on
// HTTP alone, where the probe can only add evidence (a 2xx that dropped
// the data).
func (j *evidence) stateIfProbed() {
	if j.probed && j.probeFault == "" {
		j.compare("that the data was kept")
	}
}

func (j *evidence) compare(needs string) {
	if j.keyMismatch {
		return // nothing was accepted: the state says the same thing again
	}
	for _, o := range j.rep.Orgs {
		if o.State == nil {
			j.skips = append(j.skips, "the probe gave no state for org "+o.OrgID)
			continue
		}
		if !j.countsIfAny && j.what&(judge.AppliedOnce|judge.NoForgery) != 0 && len(o.State.Applied) == 0 {
			j.skips = append(j.skips, "the probe reports no applied counts, so "+needs+" cannot be judged")
		}
		for _, diff := range o.Differences {
			if j.concern != nil && !j.concern(diff) {
				continue // another check's concern: reported there, once
			}
			j.fail("the consumer's state of org %s %s%s", o.OrgID, diff, o.How())
		}
	}
}
