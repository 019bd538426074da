package spec

import (
	"context"
	"errors"
	"fmt"
	"text/template"
	"time"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
)

// Probed is an org's state as the consumer's probe gives it, read when a
// matcher asks: the actual value of SettleTo.
type Probed struct {
	// Probe reads the state (probe.HTTP, or a Go function).
	Probe probe.Func
	// OrgID is the org to read.
	OrgID string
	// Since is when the consumer last acknowledged a delivery about the
	// org, from which the processing lag is counted; zero: when the
	// matcher starts.
	Since time.Time
	// Ctx bounds the reads (nil: context.Background()).
	Ctx context.Context
}

// settleMessage is the data of SettleTo's failure message.
type settleMessage struct {
	Org     string
	Within  time.Duration
	Settled judge.Verdict
	Lag     string
	Waited  string
}

var settleTemplate = template.Must(gcustom.ParseTemplate(`{{if .Failure}}Expected the consumer's state of org {{.Data.Org}} to settle at the truth within {{.Data.Within}}, but {{.Data.Settled.Ended}} after {{.Data.Waited}} and {{.Data.Settled.Polls}} probe reads, and it still differs:
{{range .Data.Settled.Differences}}    - {{.}}
{{end}}{{else}}Expected the consumer's state of org {{.Data.Org}} not to settle at the truth, but it did, with a processing lag of {{.Data.Lag}} ({{.Data.Settled.Polls}} probe reads)
{{end}}`))

// SettleTo succeeds when the state a Probed gives comes to equal truth (as
// ConvergeTo judges: every aspect) and holds, within the budget: the
// settling of the conformance checks (see judge.Await), for consumers
// that apply later from a queue. within of 0 is judge.DefaultSettle.
// The failure message gives the last differences, how long it waited and
// how many times it read the probe; a probe that fails is an error.
//
//	org := r.Report.Orgs[0].OrgID
//	Expect(spec.Probed{Probe: target.Probe, OrgID: org}).To(spec.SettleTo(r.Report.Truth().Org(org), 10*time.Second))
func SettleTo(truth *judge.OrgTruth, within time.Duration) types.GomegaMatcher {
	if within <= 0 {
		within = judge.DefaultSettle
	}
	msg := &settleMessage{Within: within}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		var p Probed
		switch v := actual.(type) {
		case Probed:
			p = v
		case *Probed:
			if v == nil {
				return false, errors.New("spec: the Probed is nil")
			}
			p = *v
		default:
			return false, fmt.Errorf("spec: SettleTo wants a spec.Probed, got %T", actual)
		}
		switch {
		case truth == nil:
			return false, errors.New("spec: SettleTo needs the truth, got nil")
		case p.Probe == nil:
			return false, errors.New("spec: the Probed has no Probe")
		case truth.OrgID != "" && p.OrgID != truth.OrgID:
			return false, fmt.Errorf("spec: SettleTo was given the truth of org %s for org %s", truth.OrgID, p.OrgID)
		}
		ctx := p.Ctx
		if ctx == nil {
			ctx = context.Background()
		}
		since := p.Since
		if since.IsZero() {
			since = time.Now()
		}
		got, err := judge.Await(ctx, p.Probe, p.OrgID, truth, judge.CompareAll, since, judge.Settling{Budget: within})
		if err != nil {
			return false, fmt.Errorf("spec: reading the state of org %s: %w", p.OrgID, err)
		}
		msg.Org, msg.Settled = p.OrgID, got
		msg.Lag, msg.Waited = judge.LagWords(got.Lag, got.LagAtMost), judge.FormatLag(got.Waited)
		return got.Converged, nil
	}).WithPrecompiledTemplate(settleTemplate, msg)
}
