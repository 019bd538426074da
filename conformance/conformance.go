package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// Verdict is the outcome of one check.
type Verdict string

// The three verdicts. A check that cannot be judged is Skip, never Pass.
const (
	Pass Verdict = "PASS"
	Fail Verdict = "FAIL"
	Skip Verdict = "SKIP"
)

// DefaultTimeout is the ack budget when a Target sets none: the time a
// delivery may take before Tartan counts it as failed.
const DefaultTimeout = sender.DefaultTimeout

// Target is the consumer under test.
type Target struct {
	// URL is the consumer's webhook.
	URL string
	// Key is the app key the consumer verifies with.
	Key []byte
	// Probe reads the consumer's state (contract v1): probe.HTTP
	// for a URL, or a Go function. Nil: checks that need state are SKIP.
	Probe probe.Func
	// Timeout is the ack budget that DEL-ACK-TIME and DEL-BURST judge
	// (default DefaultTimeout). Other checks judge correctness, not speed:
	// their deliveries are cut off only at three times the budget, so that
	// a slow consumer fails the checks about speed and no others.
	Timeout time.Duration
	// Seed fixes every check's data; the same seed gives the same bytes.
	Seed uint64
	// TLS is the client TLS configuration for https targets (nil: system roots).
	TLS *tls.Config
	// Settle is how long a check waits for the consumer's state to equal
	// the truth and hold, for consumers that apply later from a queue (see
	// judge.Settling): 0 is judge.DefaultSettle, as in every door;
	// JudgeAtOnce (any negative value) reads the state once, the moment the
	// last delivery was answered.
	Settle time.Duration
	// Events is the consumer's subscription: only these events are sent
	// (the zero value, fixtures.All, sends every one). A check about an
	// event left out is SKIP (see Check.Needs).
	Events fixtures.Subscription
}

// JudgeAtOnce is the Target.Settle that judges state from one read,
// without waiting: judge.JudgeAtOnce.
const JudgeAtOnce = judge.JudgeAtOnce

// Result is the verdict on one check.
type Result struct {
	ID      string        `json:"id"`
	Label   string        `json:"label"`
	Title   string        `json:"title"`
	Verdict Verdict       `json:"verdict"`
	Reason  string        `json:"reason,omitempty"`  // why it failed or was skipped, one sentence
	Details []string      `json:"details,omitempty"` // the evidence
	Seed    uint64        `json:"seed"`
	Elapsed time.Duration `json:"elapsedNs"`
	// Lag is the consumer's processing lag: how long its state took to
	// equal the truth after its last acknowledgement (the largest over the
	// check's orgs; 0 when state was not judged or never converged).
	Lag time.Duration `json:"lagNs"`
	// LagAtMost marks a Lag that is only a bound: the state already
	// matched at the first read (see judge.Settled.LagAtMost).
	LagAtMost bool `json:"lagAtMost,omitempty"`
	// ProbeReads counts the state probe's reads of the check.
	ProbeReads int `json:"probeReads"`
	// ProbeFault says how the state probe broke its contract, when it did:
	// the checks that need state are then SKIP with it, since the probe is
	// at fault, not the consumer's handling.
	ProbeFault string `json:"probeFault,omitempty"`
	// KeyMismatch is true when the consumer refused every genuine delivery
	// of the check with 401 or 403: the keys probably differ, and the
	// Reason says so (KeyMismatchReason) in place of a failure per delivery.
	KeyMismatch bool `json:"keyMismatch,omitempty"`
	// Starved is true when the consumer stopped answering during the
	// check: its deliveries timed out, and so did the state probe or the
	// timeouts that followed. The check FAILs with both facts, and the run
	// stops there (see StarveAfter): the checks left are SKIP, not judged.
	Starved bool `json:"starved,omitempty"`
	// Report is the scenario the check played, with every delivery.
	Report *scenarios.Report `json:"-"`
}

// ErrUnreachable is what Run's error matches, with errors.Is, when the
// target cannot be reached at all: no verdict would mean anything. The
// error itself is an *UnreachableError, which says why.
var ErrUnreachable = error(&show.Refusal{Pkg: "conformance", Why: "target unreachable"})

// UnreachableError is the error of Run when the target cannot be reached
// at all. It matches ErrUnreachable with errors.Is.
type UnreachableError struct {
	// Why is the first failure, e.g. "connection refused".
	Why string
}

// Error is "conformance: target unreachable: " and Why.
func (e *UnreachableError) Error() string { return ErrUnreachable.Error() + ": " + e.Why }

// Reason is "target unreachable: " and Why, for people.
func (e *UnreachableError) Reason() string { return show.Reason(ErrUnreachable) + ": " + e.Why }

// Is reports whether target is ErrUnreachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// starved judges a check during which the consumer stopped answering:
// FAIL when its own deliveries timed out and then the state probe timed
// out too (err) or the run was stopped by the timeouts that followed;
// SKIP, not judged, when the run was stopped while it played and none of
// its deliveries had timed out. It reports whether it judged (done), and
// the error Run returns then. A target that was never reached stays an
// *UnreachableError, and a probe that timed out with every delivery
// answered stays a probe error.
func (c Check) starved(ctx context.Context, res *Result, err error, budget time.Duration, w *watch) (bool, error) {
	rep := res.Report
	why := w.stopped()
	if rep == nil || rep.Unreachable() || (why == nil && !probeTimedOut(err)) {
		return false, nil
	}
	if timedOut, n := timeouts(rep); len(timedOut) > 0 {
		if why == nil { // the probe timed out: the run stops here too
			why = w.starved(&Starved{Check: c.ID, Deliveries: n, ProbeReads: 1})
		}
		probeErr := err
		if !probeTimedOut(err) {
			probeErr = nil
		}
		starvedVerdict(res, timedOut, n, budget, probeErr, why)
		return true, nil
	}
	if why != nil && ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		res.Verdict, res.Reason = Skip, "not judged: "+why.Error()
		return true, nil
	}
	return false, nil
}

// unsubscribed returns the events c needs that sub leaves out.
func (c Check) unsubscribed(sub fixtures.Subscription) []string {
	var out []string
	for _, id := range c.needs {
		k, err := fixtures.LookupKind(id)
		if err != nil || !sub.Has(k) {
			out = append(out, id)
		}
	}
	return out
}

// Run plays this check against t. When the consumer stops answering
// (StarveAfter timeouts in a row), the check stops there rather than wait
// out every timeout, and FAILs with what timed out (see Result.Starved).
func (c Check) Run(ctx context.Context, t Target) (Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	return c.run(ctx, t, &watch{stop: cancel})
}

// run plays this check against t, with w watching for a consumer that
// stops answering; w stops ctx when it does.
func (c Check) run(ctx context.Context, t Target, w *watch) (Result, error) {
	began := time.Now()
	res := Result{ID: c.ID, Label: c.Label, Title: c.Title, Seed: t.Seed}
	if missing := c.unsubscribed(t.Events); len(missing) > 0 {
		res.Verdict = Skip
		res.Reason = fmt.Sprintf("needs %s, which the subscription leaves out", strings.Join(missing, " and "))
		return res, nil
	}
	budget := t.Timeout
	if budget <= 0 {
		budget = DefaultTimeout
	}
	s, err := sender.New(t.URL, sender.Timeout(3*budget), sender.TLSConfig(t.TLS), sender.MaxConns(32))
	if err != nil {
		return res, show.Refuse("conformance", "%w", err)
	}
	defer s.Close()
	sc, err := c.Scenario(t.Seed)
	if err != nil {
		return res, err
	}
	opts := []scenarios.Option{scenarios.Seed(t.Seed), scenarios.Subscribe(t.Events),
		scenarios.OnAttempt(func(_ *scenarios.Delivery, a scenarios.Attempt) { w.attempt(c.ID, a) })}
	probed := t.Probe != nil && c.state != 0
	if probed {
		opts = append(opts, scenarios.WithProbe(w.probe(c.ID, t.Probe)), scenarios.Judging(c.state), scenarios.Settle(judge.Settling{Budget: t.Settle}))
	}
	rep, err := scenarios.NewRunner(s, t.Key, opts...).Run(ctx, sc)
	res.Report, res.Elapsed = rep, time.Since(began)
	if errors.Is(err, probe.ErrInvalidState) && rep != nil && ctx.Err() == nil {
		res.ProbeFault = "the state probe is at fault, not the consumer's handling: " + show.Reason(err)
		err = nil
	}
	if done, err := c.starved(ctx, &res, err, budget, w); done {
		return res, err
	}
	if err != nil {
		return res, show.Refuse("conformance", "check %s: %w", c.ID, err)
	}
	if rep.Interrupted {
		return res, ctx.Err() // cut short: neither judged nor failed
	}
	if rep.Unreachable() {
		return res, &UnreachableError{Why: rep.FirstFailure()}
	}
	if len(rep.Deliveries) == 0 {
		res.Verdict, res.Reason = Skip, "the subscription leaves nothing of this check to send"
		return res, nil
	}
	j := &evidence{rep: rep, probed: probed, what: c.state, probeFault: res.ProbeFault, budget: budget, concern: c.concern, countsIfAny: c.countsIfAny}
	c.judge(j)
	res.Verdict, res.Reason, res.Details = j.verdict()
	res.KeyMismatch = j.keyMismatch
	lagged := false // the largest lag of a converged org so far
	for _, o := range rep.Orgs {
		res.ProbeReads += o.Polls
		if o.Converged && (!lagged || o.Lag > res.Lag) {
			res.Lag, res.LagAtMost, lagged = o.Lag, o.LagAtMost, true
		}
	}
	return res, nil
}
